package harness

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ClockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on Linux).
const ClockTicks = 100

// ProcStat is what benchmarks read from /proc/<pid>/stat.
type ProcStat struct {
	UTime, STime uint64 // clock ticks
	StartTime    uint64 // clock ticks since boot; with the PID identifies one process
}

// ReadStat reads /proc/<pid>/stat.
func ReadStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
	if len(f) < 20 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var st ProcStat
	st.UTime, _ = strconv.ParseUint(f[11], 10, 64)
	st.STime, _ = strconv.ParseUint(f[12], 10, 64)
	st.StartTime, _ = strconv.ParseUint(f[19], 10, 64)
	return st, nil
}

// CPUTicks is utime+stime of pid.
func CPUTicks(pid int) (uint64, error) {
	st, err := ReadStat(pid)
	return st.UTime + st.STime, err
}

// StatusKB reads a "Key:   N kB" field (VmRSS, VmHWM...) of /proc/<pid>/status.
func StatusKB(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, key)
}

// EngineProc is a redis-server / memcached process serving an address of a range.
type EngineProc struct {
	PID       int
	StartTime uint64
	Exe       string
	Endpoint  string // address:port as far as the command line tells (port may be "")
}

// Alive reports whether the process with that PID and start time still exists.
func (p EngineProc) Alive() bool {
	st, err := ReadStat(p.PID)
	return err == nil && st.StartTime == p.StartTime && !isZombie(p.PID)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X')
}

// ParseRange parses FIRST-LAST into its smallest covering prefix check.
func ParseRange(r string) (first, last netip.Addr, err error) {
	a, b, ok := strings.Cut(r, "-")
	if !ok {
		return first, last, fmt.Errorf("range %q: want FIRST-LAST", r)
	}
	if first, err = netip.ParseAddr(a); err != nil {
		return
	}
	last, err = netip.ParseAddr(b)
	return
}

// InRange reports whether addr is within [first, last].
func InRange(addr, first, last netip.Addr) bool {
	return addr.IsValid() && addr.Compare(first) >= 0 && addr.Compare(last) <= 0
}

// FindEngineProcs scans /proc for redis-server, valkey-server and memcached
// processes whose command line names an address in the range FIRST-LAST
// (redis retitles itself "redis-server ADDR:PORT"; memcached has "-l ADDR").
// Keyed by endpoint.
func FindEngineProcs(addrRange string) (map[string]EngineProc, error) {
	first, last, err := ParseRange(addrRange)
	if err != nil {
		return nil, err
	}
	out := map[string]EngineProc{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			continue
		}
		base := filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
		if base != "redis-server" && base != "memcached" && base != "valkey-server" {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		ep := endpointFromCmdline(cmdline, first, last)
		if ep == "" {
			continue
		}
		st, err := ReadStat(pid)
		if err != nil || isZombie(pid) {
			continue
		}
		out[ep] = EngineProc{PID: pid, StartTime: st.StartTime, Exe: exe, Endpoint: ep}
	}
	return out, nil
}

func endpointFromCmdline(cmdline []byte, first, last netip.Addr) string {
	toks := strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' })
	port := ""
	addr := ""
	for i, t := range toks {
		if t == "-p" && i+1 < len(toks) {
			port = toks[i+1]
		}
		host, p := t, ""
		if h, pp, ok := strings.Cut(t, ":"); ok && strings.Count(t, ":") == 1 {
			host, p = h, pp
		}
		if a, err := netip.ParseAddr(host); err == nil && InRange(a, first, last) && addr == "" {
			addr = host
			if p != "" {
				port = p
			}
		}
	}
	if addr == "" {
		return ""
	}
	return addr + ":" + port
}

// StopPIDs sends SIGTERM to each process (PID + start time, so a reused PID is
// never hit), waits up to grace, then SIGKILLs what is left and waits for it.
func StopPIDs(procs []EngineProc, grace time.Duration) error {
	for _, p := range procs {
		if p.Alive() {
			_ = syscall.Kill(p.PID, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && anyAlive(procs) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range procs {
		if p.Alive() {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && anyAlive(procs) {
		time.Sleep(10 * time.Millisecond)
	}
	if anyAlive(procs) {
		return errors.New("some processes survived SIGKILL")
	}
	return nil
}

func anyAlive(procs []EngineProc) bool {
	for _, p := range procs {
		if p.Alive() {
			return true
		}
	}
	return false
}

// SweepEngines stops every engine process serving an address of addrRange
// (the benchmark's own range) and reports how many it found.
func SweepEngines(addrRange string) int {
	found, err := FindEngineProcs(addrRange)
	if err != nil {
		Logf("sweep %s: %v", addrRange, err)
		return 0
	}
	if len(found) == 0 {
		return 0
	}
	procs := make([]EngineProc, 0, len(found))
	for _, p := range found {
		procs = append(procs, p)
	}
	if err := StopPIDs(procs, 5*time.Second); err != nil {
		Logf("sweep %s: %v", addrRange, err)
	}
	return len(procs)
}

// RequireFree fails if engine processes already serve addresses of the
// ranges (left by a benchmark run that was killed with SIGKILL, say); the
// benchmark does not stop processes it did not start.
func RequireFree(ranges ...string) error {
	for _, r := range ranges {
		found, err := FindEngineProcs(r)
		if err != nil {
			return err
		}
		if len(found) > 0 {
			var pids []string
			for ep, p := range found {
				pids = append(pids, fmt.Sprintf("%d (%s)", p.PID, ep))
			}
			return fmt.Errorf("engine processes already serve %s: %s; stop them first (a benchmark run killed with SIGKILL leaves its nodes running)", r, strings.Join(pids, ", "))
		}
	}
	return nil
}
