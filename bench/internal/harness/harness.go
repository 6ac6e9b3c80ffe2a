// Package harness is shared plumbing for the cacheplane benchmark programs
// under bench/cmd: starting and stopping the real cacheplane binary, an AWS
// SDK client for it, statistics, /proc readings, and cleanup that stops every
// process a benchmark started (by PID), also on failure or Ctrl-C.
//
// Every benchmark binds only loopback addresses inside 127.90.0.0/16, each in
// its own sub-range (see the Range* constants), so that benchmarks, tests and
// a developer's own cacheplane never collide.
package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Node address ranges of the benchmarks (all inside 127.90.0.0/16).
const (
	RangeTTA        = "127.90.0.1-127.90.0.254"   // tta: nodes started through cacheplane
	RangeTTAFloor   = "127.90.1.1-127.90.1.254"   // tta: bare engine processes (the floor)
	RangeAPIReal    = "127.90.2.1-127.90.3.254"   // apiload against the real binary
	RangeAPIFake    = "127.90.16.1-127.90.63.254" // apiload in-process: fake nodes (probe responders)
	RangeDensity    = "127.90.64.1-127.90.79.254" // density / restart
	RangeDataPlane  = "127.90.100.1-127.90.100.254"
	RangeDataPlaneB = "127.90.101.1-127.90.101.254" // dataplane: hand-started baseline engines
)

var (
	cleanupMu sync.Mutex
	cleanups  []func()
	cleanOnce sync.Once
)

// AtExit registers fn to run when the benchmark ends, in reverse order of
// registration, whether it succeeds, fails, panics or is interrupted.
func AtExit(fn func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, fn)
}

func runCleanups() {
	cleanOnce.Do(func() {
		cleanupMu.Lock()
		fns := cleanups
		cleanups = nil
		cleanupMu.Unlock()
		for i := len(fns) - 1; i >= 0; i-- {
			func() {
				defer func() {
					if p := recover(); p != nil {
						Logf("cleanup panicked: %v", p)
					}
				}()
				fns[i]()
			}()
		}
	})
}

// Main runs fn with a context that ends on SIGINT/SIGTERM/SIGHUP, then runs the
// registered cleanups, and exits 1 if fn failed or was interrupted.
func Main(fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		Logf("got %v: stopping and cleaning up", s)
		cancel()
		// A second signal, or cleanup taking too long, still cleans up.
		select {
		case <-sigs:
		case <-time.After(60 * time.Second):
		}
		runCleanups()
		os.Exit(1)
	}()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return fn(ctx)
	}()
	cancel()
	runCleanups()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			err = errors.New("interrupted")
		}
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}

// Logf writes a progress line to stderr (stdout carries only the results).
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000")+" "+format+"\n", args...)
}

// CommandLine is the invocation of this benchmark, for the results: the
// program is named by its package so that it can be re-run with `go run`.
func CommandLine(pkg string) string {
	parts := []string{"go run ./" + pkg}
	for _, a := range os.Args[1:] {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TempDir makes a private work directory removed at exit (unless keep).
func TempDir(prefix string, keep bool) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if keep {
		Logf("work directory %s is kept", dir)
	} else {
		AtExit(func() { _ = os.RemoveAll(dir) })
	}
	return dir, nil
}
