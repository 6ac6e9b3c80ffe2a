package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// procStat is the part of /proc/<pid>/stat the driver cares about.
type procStat struct {
	state     byte   // field 3
	pgrp      int    // field 5
	startTime uint64 // field 22: start time in clock ticks since boot
}

// procRoot is the procfs mount point.
const procRoot = "/proc"

func procPath(pid int, name string) string {
	return filepath.Join(procRoot, strconv.Itoa(pid), name)
}

// readStat parses /proc/<pid>/stat. The comm field may contain spaces and
// parentheses, so parsing starts after the last ')'.
func readStat(pid int) (procStat, error) {
	if pid <= 0 {
		return procStat{}, fmt.Errorf("invalid pid %d", pid)
	}
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("malformed /proc stat: no comm")
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state), so field N is fields[N-3].
	if len(fields) < 20 || len(fields[0]) == 0 {
		return procStat{}, errors.New("malformed /proc stat: too few fields")
	}
	var st procStat
	st.state = fields[0][0]
	pgrp, err := strconv.Atoi(fields[5-3])
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc stat pgrp: %w", err)
	}
	st.pgrp = pgrp
	start, err := strconv.ParseUint(fields[22-3], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc stat starttime: %w", err)
	}
	st.startTime = start
	return st, nil
}

// dead reports whether a process state letter means the process has exited
// (zombie or dead) even though /proc/<pid> still exists.
func (s procStat) dead() bool {
	return s.state == 'Z' || s.state == 'X' || s.state == 'x'
}

// aliveAs reports whether pid is a live (non-zombie) process with the given
// start time, i.e. the very process we recorded and not a PID reuse.
func aliveAs(pid int, startTime uint64) bool {
	st, err := readStat(pid)
	if err != nil {
		return false
	}
	return st.startTime == startTime && !st.dead()
}

// exeMatches reports whether the executable of pid is binary. It compares
// /proc/<pid>/exe with binary with symlinks resolved (e.g. redis-server is
// often a symlink to redis-check-rdb); a binary replaced on disk by a
// package upgrade shows up as "<path> (deleted)" and still matches. If exe
// cannot be read (no ptrace rights), it falls back to argv[0] from cmdline,
// allowing for engines that rewrite their process title ("argv0 host:port").
func exeMatches(pid int, binary string) (bool, string) {
	want := filepath.Clean(binary)
	if r, err := filepath.EvalSymlinks(binary); err == nil {
		want = r
	}
	got, err := os.Readlink(procPath(pid, "exe"))
	if err == nil {
		got = strings.TrimSuffix(got, " (deleted)")
		if got == want || got == filepath.Clean(binary) {
			return true, ""
		}
		return false, fmt.Sprintf("executable is %s, want %s", got, want)
	}
	b, cerr := os.ReadFile(procPath(pid, "cmdline"))
	if cerr != nil {
		return false, fmt.Sprintf("cannot read exe (%v) nor cmdline (%v)", err, cerr)
	}
	argv0, _, _ := bytes.Cut(b, []byte{0})
	if string(argv0) == binary || strings.HasPrefix(string(argv0), binary+" ") {
		return true, ""
	}
	return false, fmt.Sprintf("cmdline argv[0] is %q, want %q", argv0, binary)
}

var (
	bootIDOnce sync.Once
	bootIDVal  string
)

// bootID identifies the current boot, so that a node.json from before a
// reboot is never matched against a process of this boot. Empty if unknown.
func bootID() string {
	bootIDOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(procRoot, "sys/kernel/random/boot_id"))
		if err == nil {
			bootIDVal = strings.TrimSpace(string(b))
		}
	})
	return bootIDVal
}
