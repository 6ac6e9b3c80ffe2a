package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cacheplane/cacheplane/internal/driver"
)

func TestStartAndInspect(t *testing.T) {
	d := newDriver(t, Options{})
	spec := redisSpec(t, "my-redis/0001")
	st := ensure(t, d, spec)
	if st.Adopted || st.StartedAt.IsZero() {
		t.Fatalf("state = %+v", st)
	}
	if got := redisCmd(t, spec.Port, "PING"); got != "+PONG" {
		t.Fatalf("PING = %q", got)
	}
	got, err := d.Inspect(ctxT(t), spec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Running || got.PID != st.PID || got.Adopted {
		t.Fatalf("Inspect = %+v, want running pid %d", got, st.PID)
	}

	// Own session and process group.
	ps, err := readStat(st.PID)
	if err != nil {
		t.Fatal(err)
	}
	if ps.pgrp != st.PID {
		t.Errorf("pgrp = %d, want %d", ps.pgrp, st.PID)
	}
	if sid, err := unixGetsid(st.PID); err != nil || sid != st.PID {
		t.Errorf("sid = %d (%v), want %d", sid, err, st.PID)
	}
	// stdin /dev/null, stdout+stderr to node.log, cwd is Dir.
	if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", st.PID)); l != os.DevNull {
		t.Errorf("stdin = %q", l)
	}
	logPath := filepath.Join(spec.Dir, LogFile)
	for _, fd := range []int{1, 2} {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", st.PID, fd)); l != logPath {
			t.Errorf("fd %d = %q, want %s", fd, l, logPath)
		}
	}
	if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", st.PID)); l != spec.Dir {
		t.Errorf("cwd = %q", l)
	}
	// Modes and the adoption record.
	if m := fileMode(t, spec.Dir); m != 0o700 {
		t.Errorf("dir mode = %v", m)
	}
	for _, name := range []string{LogFile, RecordFile} {
		if m := fileMode(t, filepath.Join(spec.Dir, name)); m != 0o600 {
			t.Errorf("%s mode = %v", name, m)
		}
	}
	rec, err := readRecord(spec.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec.PID != st.PID || rec.StartTime != ps.startTime || rec.Binary != spec.Binary ||
		!slices.Equal(rec.Args, spec.Args) || rec.ID != spec.ID {
		t.Errorf("record = %+v", rec)
	}
	b, _ := os.ReadFile(logPath)
	if !bytes.Contains(b, []byte("cacheplane: ")) {
		t.Errorf("node.log lacks the start marker: %q", b)
	}

	if _, err := d.Inspect(ctxT(t), "no-such-node"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Inspect(unknown) = %v, want ErrNotFound", err)
	}
	if err := d.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatal(err)
	}
}

func TestMinimalEnvironment(t *testing.T) {
	// sleep, because redis overwrites its environ area with its title.
	d := newDriver(t, Options{})
	spec := sleepSpec(t, "env/1")
	spec.Env = []string{"CACHEPLANE_NODE=1", "PATH=/usr/bin"}
	t.Setenv("CACHEPLANE_TEST_LEAK", "must-not-leak")
	st := ensure(t, d, spec)
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", st.PID))
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.Split(strings.TrimRight(string(env), "\x00"), "\x00")
	slices.Sort(vars)
	if want := []string{"CACHEPLANE_NODE=1", "PATH=/usr/bin"}; !slices.Equal(vars, want) {
		t.Errorf("environ = %q, want %q (spec.Env overrides the minimal PATH)", vars, want)
	}
	spec2 := sleepSpec(t, "env/2")
	st2 := ensure(t, d, spec2)
	env, _ = os.ReadFile(fmt.Sprintf("/proc/%d/environ", st2.PID))
	if got := strings.TrimRight(string(env), "\x00"); got != minimalPath {
		t.Errorf("environ = %q, want only %q", got, minimalPath)
	}
}

func unixGetsid(pid int) (int, error) {
	sid, _, errno := syscall.RawSyscall(syscall.SYS_GETSID, uintptr(pid), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(sid), nil
}

func TestEnsureTwiceSamePID(t *testing.T) {
	d := newDriver(t, Options{})
	spec := sleepSpec(t, "n/1")
	a := ensure(t, d, spec)
	b := ensure(t, d, spec)
	if a.PID != b.PID || b.Adopted {
		t.Fatalf("second Ensure = %+v, first %+v", b, a)
	}
	expectNoExited(t, d, 100*time.Millisecond)
}

func TestSpecChangeRestarts(t *testing.T) {
	d := newDriver(t, Options{})
	spec := sleepSpec(t, "n/1")
	a := ensure(t, d, spec)
	spec.Args = []string{"1001"}
	b := ensure(t, d, spec)
	if a.PID == b.PID {
		t.Fatal("Ensure with new args kept the old process")
	}
	waitGone(t, a.PID)
	expectNoExited(t, d, 200*time.Millisecond) // a requested restart is not an unexpected exit
}

func TestAdoptedWithChangedArgsRestarts(t *testing.T) {
	d1 := newDriver(t, Options{})
	spec := sleepSpec(t, "n/1")
	old := ensure(t, d1, spec)
	d1.Close()
	d2 := newDriver(t, Options{})
	spec.Args = []string{"1001"}
	st := ensure(t, d2, spec)
	if st.Adopted || st.PID == old.PID {
		t.Fatalf("Ensure with new args = %+v", st)
	}
	waitGone(t, old.PID)
	expectNoExited(t, d2, 200*time.Millisecond)
}

func TestAdoptionAfterRestart(t *testing.T) {
	state := t.TempDir()
	d1 := newDriver(t, Options{StateDir: state})
	spec := redisSpec(t, "my-redis/0001")
	st1 := ensure(t, d1, spec)
	if redisCmd(t, spec.Port, "SET k v") != "+OK" {
		t.Fatal("SET failed")
	}
	d1.Close() // control plane shuts down; the node keeps running

	if gone(st1.PID) {
		t.Fatal("Close stopped the node")
	}
	if _, err := d1.Ensure(ctxT(t), spec); !errors.Is(err, driver.ErrClosed) {
		t.Fatalf("Ensure after Close = %v", err)
	}
	if _, ok := <-d1.Exited(); ok {
		t.Fatal("Exited not closed by Close")
	}

	// A fresh driver, as a restarted control plane, finds it by ID alone.
	d2 := newDriver(t, Options{StateDir: state})
	in, err := d2.Inspect(ctxT(t), spec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !in.Running || in.PID != st1.PID || !in.Adopted {
		t.Fatalf("Inspect on new driver = %+v", in)
	}

	d3 := newDriver(t, Options{})
	st3 := ensure(t, d3, spec)
	if !st3.Adopted || st3.PID != st1.PID || !st3.StartedAt.Equal(st1.StartedAt) {
		t.Fatalf("Ensure on new driver = %+v, want adopted pid %d", st3, st1.PID)
	}
	if got := redisCmd(t, spec.Port, "GET k"); got != "$1" {
		t.Fatalf("GET after adoption = %q (node was restarted?)", got)
	}
	again := ensure(t, d3, spec)
	if again.PID != st1.PID || !again.Adopted {
		t.Fatalf("second Ensure = %+v", again)
	}

	// Stop works on adopted processes, and is not an unexpected exit.
	if err := d3.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatal(err)
	}
	waitGone(t, st1.PID)
	if in, _ := d3.Inspect(ctxT(t), spec.ID); in.Running {
		t.Fatalf("Inspect after Stop = %+v", in)
	}
	expectNoExited(t, d3, 200*time.Millisecond)

	// The next Ensure starts a new process.
	st4 := ensure(t, d3, spec)
	if st4.PID == st1.PID || st4.Adopted {
		t.Fatalf("Ensure after Stop = %+v", st4)
	}
	if err := d3.Remove(ctxT(t), spec); err != nil {
		t.Fatal(err)
	}
}

func TestStopWithoutEnsureAfterRestart(t *testing.T) {
	state := t.TempDir()
	d1 := newDriver(t, Options{StateDir: state})
	spec := sleepSpec(t, "n/1")
	st := ensure(t, d1, spec)
	d1.Close()

	d2 := newDriver(t, Options{StateDir: state})
	if err := d2.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatal(err)
	}
	waitGone(t, st.PID)
	if err := d2.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	// Without a StateDir index the unknown ID is a no-op.
	d3 := newDriver(t, Options{})
	if err := d3.Stop(ctxT(t), "never-seen"); err != nil {
		t.Fatal(err)
	}
}

func writeFakeRecord(t *testing.T, dir string, rec record) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(filepath.Join(dir, RecordFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAdoptionRefusedOnPIDReuse(t *testing.T) {
	self := os.Getpid()
	selfStat, err := readStat(self)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("pid of another binary", func(t *testing.T) {
		// node.json points at a live process (this test binary) with the
		// right start time: only the executable check can refuse it.
		d := newDriver(t, Options{})
		spec := sleepSpec(t, "n/1")
		writeFakeRecord(t, spec.Dir, record{Version: 1, ID: spec.ID, PID: self, StartTime: selfStat.startTime,
			BootID: bootID(), StartedAt: time.Now(), Binary: spec.Binary, Args: spec.Args})
		st := ensure(t, d, spec)
		if st.Adopted || st.PID == self {
			t.Fatalf("adopted the test process: %+v", st)
		}
		if rec, _ := readRecord(spec.Dir); rec.PID != st.PID {
			t.Fatalf("node.json not rewritten: %+v", rec)
		}
	})

	t.Run("session leader running another binary", func(t *testing.T) {
		// A real session leader (like a node) that runs sleep, while the
		// record claims redis-server: must be refused AND left alone.
		needBinary(t, redisBinary)
		other := exec.Command(sleepBinary, "1000")
		other.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := other.Start(); err != nil {
			t.Fatal(err)
		}
		track(t, other.Process.Pid)
		t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
		os_, err := readStat(other.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		d := newDriver(t, Options{})
		spec := redisSpec(t, "r/1")
		writeFakeRecord(t, spec.Dir, record{Version: 1, ID: spec.ID, PID: other.Process.Pid, StartTime: os_.startTime,
			BootID: bootID(), StartedAt: time.Now(), Binary: spec.Binary, Args: spec.Args})
		st := ensure(t, d, spec)
		if st.Adopted || st.PID == other.Process.Pid {
			t.Fatalf("adopted a foreign process: %+v", st)
		}
		if redisCmd(t, spec.Port, "PING") != "+PONG" {
			t.Fatal("new redis not answering")
		}
		if gone(other.Process.Pid) {
			t.Fatal("driver killed a foreign process")
		}
		if err := d.Remove(ctxT(t), spec); err != nil {
			t.Fatal(err)
		}
		if gone(other.Process.Pid) {
			t.Fatal("Remove killed a foreign process")
		}
	})

	t.Run("start time differs", func(t *testing.T) {
		d := newDriver(t, Options{})
		spec := sleepSpec(t, "n/1")
		real := ensure(t, d, spec)
		d.Close()
		rec, err := readRecord(spec.Dir)
		if err != nil {
			t.Fatal(err)
		}
		rec.StartTime++
		writeFakeRecord(t, spec.Dir, rec)
		d2 := newDriver(t, Options{})
		st := ensure(t, d2, spec)
		if st.Adopted || st.PID == real.PID {
			t.Fatalf("adopted despite different start time: %+v", st)
		}
	})

	t.Run("recorded before a reboot", func(t *testing.T) {
		if bootID() == "" {
			t.Skip("no boot id")
		}
		d := newDriver(t, Options{})
		spec := sleepSpec(t, "n/1")
		real := ensure(t, d, spec)
		d.Close()
		rec, _ := readRecord(spec.Dir)
		rec.BootID = "00000000-0000-0000-0000-000000000000"
		writeFakeRecord(t, spec.Dir, rec)
		st := ensure(t, newDriver(t, Options{}), spec)
		if st.Adopted || st.PID == real.PID {
			t.Fatalf("adopted despite different boot id: %+v", st)
		}
	})
}

func TestUnexpectedExitChild(t *testing.T) {
	d := newDriver(t, Options{})
	spec := sleepSpec(t, "n/1")
	st := ensure(t, d, spec)
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, d, spec.ID, time.Second)
	in, err := d.Inspect(ctxT(t), spec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Running || in.ExitReason != "signal: killed" {
		t.Fatalf("Inspect after kill = %+v", in)
	}
	// Reaped: no zombie left behind.
	if _, err := readStat(st.PID); err == nil {
		t.Fatalf("pid %d still in /proc (zombie?)", st.PID)
	}
	st2 := ensure(t, d, spec)
	if st2.PID == st.PID {
		t.Fatal("Ensure did not start a new process")
	}
}

func TestUnexpectedExitAdopted(t *testing.T) {
	d1 := newDriver(t, Options{})
	spec := sleepSpec(t, "n/1")
	st := ensure(t, d1, spec)
	d1.Close()
	d2 := newDriver(t, Options{})
	ad := ensure(t, d2, spec)
	if !ad.Adopted || ad.PID != st.PID {
		t.Fatalf("not adopted: %+v", ad)
	}
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, d2, spec.ID, time.Second)
	in, _ := d2.Inspect(ctxT(t), spec.ID)
	if in.Running || in.ExitReason == "" {
		t.Fatalf("Inspect after kill = %+v", in)
	}
}

func TestWatchFallbackPoll(t *testing.T) {
	// The /proc poll used when pidfds are unavailable.
	cmd := exec.Command(sleepBinary, "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	track(t, pid)
	st, err := readStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	w := &watcher{quit: make(chan struct{})}
	go w.poll(pid, st.startTime, func() { close(exited) })
	_ = cmd.Process.Kill() // a zombie until reaped: must count as exited
	select {
	case <-exited:
	case <-time.After(time.Second + pollInterval):
		t.Fatal("poll watcher did not notice the exit")
	}
	_ = cmd.Wait()

	// release stops a watcher silently.
	w2 := &watcher{quit: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		w2.poll(os.Getpid(), mustStat(t, os.Getpid()).startTime, func() { t.Error("onExit after release") })
		close(done)
	}()
	w2.release()
	<-done
}

func mustStat(t *testing.T, pid int) procStat {
	t.Helper()
	st, err := readStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStopAndRemove(t *testing.T) {
	d := newDriver(t, Options{})
	spec := redisSpec(t, "my-redis/0002")
	st := ensure(t, d, spec)
	redisCmd(t, spec.Port, "PING")
	if err := d.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatal(err)
	}
	if !gone(st.PID) {
		t.Fatal("process still running after Stop returned")
	}
	if err := d.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatalf("Stop is not idempotent: %v", err)
	}
	in, err := d.Inspect(ctxT(t), spec.ID)
	if err != nil || in.Running || in.ExitReason == "" {
		t.Fatalf("Inspect after Stop = %+v, %v", in, err)
	}
	expectNoExited(t, d, 200*time.Millisecond)

	st2 := ensure(t, d, spec)
	if err := d.Remove(ctxT(t), spec); err != nil {
		t.Fatal(err)
	}
	if !gone(st2.PID) {
		t.Fatal("process still running after Remove")
	}
	if _, err := os.Stat(spec.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dir still there: %v", err)
	}
	if _, err := d.Inspect(ctxT(t), spec.ID); !errors.Is(err, driver.ErrNotFound) {
		t.Fatalf("Inspect after Remove = %v", err)
	}
	if err := d.Remove(ctxT(t), spec); err != nil {
		t.Fatalf("Remove is not idempotent: %v", err)
	}
	expectNoExited(t, d, 100*time.Millisecond)
}

func TestRemoveAdoptedOnFreshDriver(t *testing.T) {
	d1 := newDriver(t, Options{})
	spec := sleepSpec(t, "n/1")
	st := ensure(t, d1, spec)
	d1.Close()
	d2 := newDriver(t, Options{})
	if err := d2.Remove(ctxT(t), spec); err != nil {
		t.Fatal(err)
	}
	waitGone(t, st.PID)
	if _, err := os.Stat(spec.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dir still there: %v", err)
	}
}

func TestStopEscalatesToSIGKILLForTheGroup(t *testing.T) {
	d := newDriver(t, Options{StopGrace: 300 * time.Millisecond})
	spec := driver.NodeSpec{
		ID:     "stubborn",
		Binary: "/bin/sh",
		// Ignores SIGTERM (inherited by the sleep child too).
		Args: []string{"-c", "trap '' TERM; /bin/sleep 1000; /bin/sleep 1000"},
		Dir:  filepath.Join(t.TempDir(), "node"),
	}
	st := ensure(t, d, spec)
	var members []int
	deadline := time.Now().Add(5 * time.Second)
	for len(members) < 2 && time.Now().Before(deadline) {
		members = groupMembers(st.PID)
		time.Sleep(10 * time.Millisecond)
	}
	if len(members) < 2 {
		t.Fatalf("group members = %v", members)
	}
	for _, pid := range members {
		if pid != st.PID {
			track(t, pid)
		}
	}
	start := time.Now()
	if err := d.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("Stop returned after %s, before the grace period", el)
	}
	for _, pid := range members {
		waitGone(t, pid)
	}
	in, _ := d.Inspect(ctxT(t), spec.ID)
	if in.ExitReason != "signal: killed" {
		t.Fatalf("exit reason = %q", in.ExitReason)
	}
}

// groupMembers lists live processes whose process group is pgid.
func groupMembers(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.pgrp == pgid && !st.dead() {
			out = append(out, pid)
		}
	}
	return out
}

func TestFilesModesAndSecrets(t *testing.T) {
	needBinary(t, redisBinary)
	const secret = "s3cr3t-Pa55-do-not-leak"
	d := newDriver(t, Options{})
	spec := redisSpec(t, "secure/0001")
	// The directory pre-exists with loose permissions: Ensure tightens it.
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	spec.Files = []driver.File{
		{Name: "redis.conf", Content: []byte("requirepass " + secret + "\n")},
		{Name: "tls/ca.pem", Content: []byte("not really a cert\n"), Mode: 0o640},
	}
	spec.Args = append([]string{filepath.Join(spec.Dir, "redis.conf")}, spec.Args...)
	st := ensure(t, d, spec)

	if m := fileMode(t, spec.Dir); m != 0o700 {
		t.Errorf("dir mode = %v", m)
	}
	if m := fileMode(t, filepath.Join(spec.Dir, "redis.conf")); m != 0o600 {
		t.Errorf("redis.conf mode = %v", m)
	}
	if m := fileMode(t, filepath.Join(spec.Dir, "tls")); m != 0o700 {
		t.Errorf("tls dir mode = %v", m)
	}
	if m := fileMode(t, filepath.Join(spec.Dir, "tls/ca.pem")); m != 0o640 {
		t.Errorf("ca.pem mode = %v", m)
	}
	if b, _ := os.ReadFile(filepath.Join(spec.Dir, "redis.conf")); string(b) != "requirepass "+secret+"\n" {
		t.Errorf("redis.conf = %q", b)
	}
	if got := redisCmd(t, spec.Port, "PING"); !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("PING without auth = %q, config file not used?", got)
	}
	if got := redisCmd(t, spec.Port, "AUTH "+secret); got != "+OK" {
		t.Errorf("AUTH = %q", got)
	}
	for _, p := range []string{
		fmt.Sprintf("/proc/%d/cmdline", st.PID),
		fmt.Sprintf("/proc/%d/environ", st.PID),
		filepath.Join(spec.Dir, RecordFile),
		filepath.Join(spec.Dir, LogFile),
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("secret found in %s", p)
		}
	}
	// Atomic writes leave no temporaries behind.
	_ = filepath.WalkDir(spec.Dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("leftover temp file %s", p)
		}
		return nil
	})
	// Files are rewritten on restart.
	if err := d.Stop(ctxT(t), spec.ID); err != nil {
		t.Fatal(err)
	}
	spec.Files[1].Content = []byte("rotated\n")
	ensure(t, d, spec)
	if b, _ := os.ReadFile(filepath.Join(spec.Dir, "tls/ca.pem")); string(b) != "rotated\n" {
		t.Errorf("ca.pem after restart = %q", b)
	}
	if err := d.Remove(ctxT(t), spec); err != nil {
		t.Fatal(err)
	}
}

func TestValidation(t *testing.T) {
	d := newDriver(t, Options{})
	base := sleepSpec(t, "v/1")
	cases := map[string]func(*driver.NodeSpec){
		"empty id":       func(s *driver.NodeSpec) { s.ID = "" },
		"relative bin":   func(s *driver.NodeSpec) { s.Binary = "sleep" },
		"relative dir":   func(s *driver.NodeSpec) { s.Dir = "node" },
		"root dir":       func(s *driver.NodeSpec) { s.Dir = "/" },
		"dotdot file":    func(s *driver.NodeSpec) { s.Files = []driver.File{{Name: "../evil"}} },
		"inner dotdot":   func(s *driver.NodeSpec) { s.Files = []driver.File{{Name: "a/../../evil"}} },
		"absolute file":  func(s *driver.NodeSpec) { s.Files = []driver.File{{Name: "/etc/evil"}} },
		"reserved file":  func(s *driver.NodeSpec) { s.Files = []driver.File{{Name: RecordFile}} },
		"duplicate file": func(s *driver.NodeSpec) { s.Files = []driver.File{{Name: "a"}, {Name: "a"}} },
		"bad env":        func(s *driver.NodeSpec) { s.Env = []string{"NOEQUALS"} },
	}
	for name, mutate := range cases {
		spec := base
		mutate(&spec)
		if st, err := d.Ensure(ctxT(t), spec); err == nil {
			track(t, st.PID)
			t.Errorf("%s: Ensure succeeded", name)
		}
	}
	if _, err := os.Stat(base.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("invalid specs created the dir")
	}
	// A start failure is reported by Inspect.
	bad := base
	bad.Binary = "/nonexistent/binary"
	if _, err := d.Ensure(ctxT(t), bad); err == nil {
		t.Fatal("Ensure of a missing binary succeeded")
	}
	in, err := d.Inspect(ctxT(t), bad.ID)
	if err != nil || in.Running || !strings.Contains(in.ExitReason, "start failed") {
		t.Fatalf("Inspect after failed start = %+v, %v", in, err)
	}
}

func TestConcurrentEnsureStop(t *testing.T) {
	d := newDriver(t, Options{})
	const nodes, callers = 8, 4
	specs := make([]driver.NodeSpec, nodes)
	for i := range specs {
		specs[i] = sleepSpec(t, fmt.Sprintf("c/%04d", i))
	}
	var mu sync.Mutex
	pids := make(map[string]map[int]bool)
	var wg sync.WaitGroup
	for i := range nodes * callers {
		spec := specs[i%nodes]
		wg.Go(func() {
			st, err := d.Ensure(ctxT(t), spec)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if pids[spec.ID] == nil {
				pids[spec.ID] = map[int]bool{}
				track(t, st.PID)
			}
			pids[spec.ID][st.PID] = true
		})
	}
	wg.Wait()
	for id, set := range pids {
		if len(set) != 1 {
			t.Errorf("%s: %d different pids from concurrent Ensure", id, len(set))
		}
	}
	for i := range nodes * 2 {
		spec := specs[i%nodes]
		wg.Go(func() {
			if i%2 == 0 {
				if err := d.Stop(ctxT(t), spec.ID); err != nil {
					t.Error(err)
				}
			} else if _, err := d.Inspect(ctxT(t), spec.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, spec := range specs {
		if err := d.Remove(ctxT(t), spec); err != nil {
			t.Error(err)
		}
	}
	for id, set := range pids {
		for pid := range set {
			if !gone(pid) {
				t.Errorf("%s: pid %d still running", id, pid)
			}
		}
	}
	expectNoExited(t, d, 100*time.Millisecond)
}

func TestContextCancelled(t *testing.T) {
	d := newDriver(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Ensure(ctx, sleepSpec(t, "x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ensure with cancelled ctx = %v", err)
	}
}

// TestParentKilled runs a real control plane in a child process (this test
// binary, re-executed), kills it with SIGKILL and adopts its node.
func TestParentKilled(t *testing.T) {
	if os.Getenv("CACHEPLANE_DRIVER_HELPER") != "" {
		return
	}
	// Become the subreaper so the orphaned node is reparented to this test
	// (and can be reaped here) instead of to init.
	if err := prctlSubreaper(); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	spec := sleepSpec(t, "orphan/1")
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperControlPlane$")
	helper.Env = append(os.Environ(), "CACHEPLANE_DRIVER_HELPER="+spec.Dir)
	var out bytes.Buffer
	helper.Stdout = &out
	helper.Stderr = &out
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })

	var rec record
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := readRecord(spec.Dir)
		if err == nil && r.PID > 0 {
			rec = r
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("helper did not start a node: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	track(t, rec.PID)
	reap := func() { // the node is our child now; reap it once dead
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(rec.PID, &ws, syscall.WNOHANG, nil)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := readStat(rec.PID); err != nil {
				return
			}
			reap()
			time.Sleep(10 * time.Millisecond)
		}
	})

	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	time.Sleep(50 * time.Millisecond)
	if gone(rec.PID) {
		t.Fatal("node died with its control plane")
	}

	d := newDriver(t, Options{})
	st := ensure(t, d, spec)
	if !st.Adopted || st.PID != rec.PID {
		t.Fatalf("Ensure after parent kill = %+v, want adopted pid %d", st, rec.PID)
	}
	if err := syscall.Kill(rec.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, d, spec.ID, time.Second)
	reap()
}

// TestHelperControlPlane is the control plane run by TestParentKilled.
func TestHelperControlPlane(t *testing.T) {
	dir := os.Getenv("CACHEPLANE_DRIVER_HELPER")
	if dir == "" {
		t.Skip("helper process for TestParentKilled")
	}
	d := New(Options{})
	_, err := d.Ensure(context.Background(), driver.NodeSpec{
		ID: "orphan/1", Binary: sleepBinary, Args: []string{"1000"}, Dir: dir,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	time.Sleep(time.Minute) // until killed
	os.Exit(3)
}

func prctlSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}
