package process

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver"
)

const (
	redisBinary = "/usr/bin/redis-server"
	sleepBinary = "/bin/sleep"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testLogger logs to t until the test's cleanups are done; driver
// goroutines may still log afterwards, which t.Log would not allow.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// newDriver returns a driver that is closed at the end of the test (which
// leaves processes running: every test tracks its PIDs separately).
func newDriver(t *testing.T, opts Options) *Driver {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.StopGrace == 0 {
		opts.StopGrace = 2 * time.Second
	}
	d := New(opts)
	t.Cleanup(d.Close)
	return d
}

func needBinary(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not available: %v", path, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func sleepSpec(t *testing.T, id string) driver.NodeSpec {
	t.Helper()
	needBinary(t, sleepBinary)
	return driver.NodeSpec{
		ID:     id,
		Binary: sleepBinary,
		Args:   []string{"1000"},
		Dir:    filepath.Join(t.TempDir(), "node"),
	}
}

func redisSpec(t *testing.T, id string) driver.NodeSpec {
	t.Helper()
	needBinary(t, redisBinary)
	dir := filepath.Join(t.TempDir(), "node")
	port := freePort(t)
	return driver.NodeSpec{
		ID:     id,
		Binary: redisBinary,
		Args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir},
		Dir:     dir,
		Address: "127.0.0.1",
		Port:    port,
	}
}

// track makes sure pid (verified by its start time, so a reused PID is
// never hit) is dead at the end of the test, whatever the test did.
func track(t *testing.T, pid int) {
	t.Helper()
	st, err := readStat(pid)
	if err != nil {
		t.Fatalf("track pid %d: %v", pid, err)
	}
	t.Cleanup(func() {
		if aliveAs(pid, st.startTime) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		deadline := time.Now().Add(5 * time.Second)
		for aliveAs(pid, st.startTime) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if aliveAs(pid, st.startTime) {
			t.Errorf("cleanup: pid %d still alive", pid)
		}
	})
}

func ensure(t *testing.T, d *Driver, spec driver.NodeSpec) driver.NodeState {
	t.Helper()
	st, err := d.Ensure(ctxT(t), spec)
	if err != nil {
		t.Fatalf("Ensure(%s): %v", spec.ID, err)
	}
	if st.PID > 0 {
		track(t, st.PID)
	}
	if !st.Running || st.PID <= 0 || st.ID != spec.ID {
		t.Fatalf("Ensure(%s) = %+v, want running with a pid", spec.ID, st)
	}
	return st
}

// redisCmd sends one inline command to the redis at port and returns the
// first reply line, retrying the connection for a few seconds.
func redisCmd(t *testing.T, port int, cmd string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(3 * time.Second))
			_, err = fmt.Fprintf(c, "%s\r\n", cmd)
			var line string
			if err == nil {
				line, err = bufio.NewReader(c).ReadString('\n')
			}
			c.Close()
			if err == nil {
				return strings.TrimRight(line, "\r\n")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis on port %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gone reports whether pid no longer runs (absent, or a zombie).
func gone(pid int) bool {
	st, err := readStat(pid)
	return err != nil || st.dead()
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitExited(t *testing.T, d *Driver, id string, within time.Duration) {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case got, ok := <-d.Exited():
			if !ok {
				t.Fatalf("Exited closed while waiting for %s", id)
			}
			if got == id {
				return
			}
			t.Logf("Exited: other node %s", got)
		case <-timer.C:
			t.Fatalf("no Exited notification for %s within %s", id, within)
		}
	}
}

func expectNoExited(t *testing.T, d *Driver, within time.Duration) {
	t.Helper()
	select {
	case got := <-d.Exited():
		t.Fatalf("unexpected Exited notification for %s", got)
	case <-time.After(within):
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
