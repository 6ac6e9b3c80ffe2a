// Package hostinfo reads facts about the host cacheplane runs on.
package hostinfo

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// MemoryBytes is MemTotal from /proc/meminfo, or 0 when it cannot be read
// (callers then skip memory capacity checks).
func MemoryBytes() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
