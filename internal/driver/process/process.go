// Package process implements driver.Driver with local processes.
//
// Every node is a process started in its own session (setsid), with stdin
// from /dev/null, stdout and stderr appended to <Dir>/node.log, and a minimal
// environment. It therefore survives the death of the control plane, even a
// kill -9. What is needed to re-adopt it later is recorded in <Dir>/node.json:
// the PID, the process start time from /proc/<pid>/stat (which defeats PID
// reuse), the boot ID, the binary and the arguments. A new Driver (a
// restarted control plane) re-attaches to such a process instead of starting
// a second one.
//
// Exits of processes the driver started are observed by reaping them
// (cmd.Wait); exits of adopted processes, which are not children of this
// control plane, are observed with a pidfd registered with the Go netpoller,
// or a /proc poll every 500ms if pidfds are unavailable.
//
// The package is Linux-only.
package process

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver"
	"golang.org/x/sys/unix"
)

const (
	// RecordFile is the name of the adoption record in the node directory.
	RecordFile = "node.json"
	// LogFile is the name of the node's stdout/stderr log in the node directory.
	LogFile = "node.log"

	defaultStopGrace    = 5 * time.Second
	defaultExitedBuffer = 1024
	// killWait bounds how long Stop waits for a process after SIGKILL.
	killWait = 10 * time.Second
	// minimalPath is the whole PATH of a node process.
	minimalPath   = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
	recordVersion = 1
)

// Options configures a Driver. The zero value is usable.
type Options struct {
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// StopGrace is how long Stop waits after SIGTERM before sending
	// SIGKILL; 0 means 5s.
	StopGrace time.Duration
	// StateDir, if set, is a directory where the driver keeps a small
	// index from node ID to node directory, so that Inspect and Stop can
	// find a node on disk that this control-plane process has not Ensured
	// yet (e.g. right after a restart). Without it, such calls only know
	// about nodes passed to Ensure or Remove since New.
	StateDir string
	// ExitedBuffer is the capacity of the Exited channel; 0 means 1024.
	ExitedBuffer int
}

// Driver runs nodes as local processes. Create it with New.
type Driver struct {
	log      *slog.Logger
	grace    time.Duration
	stateDir string

	mu       sync.Mutex
	nodes    map[string]*node
	watchers map[*proc]struct{} // adopted processes with a live watcher
	closed   bool

	exitMu     sync.Mutex
	exited     chan string
	exitClosed bool
}

var _ driver.Driver = (*Driver)(nil)

// node is the driver's per-ID entry. All fields except id and sem are guarded
// by sem (a one-slot semaphore serializing calls for the same ID).
type node struct {
	id       string
	sem      chan struct{}
	removed  bool   // entry deleted from the map; callers must retry
	dir      string // last known node directory
	p        *proc  // current or last process, nil if none known
	startErr error  // why the last start attempt failed
}

// proc is one process incarnation of a node.
type proc struct {
	pid        int
	startTime  uint64 // /proc/<pid>/stat field 22
	startedAt  time.Time
	binary     string
	args       []string
	dir        string
	adopted    bool
	stopping   atomic.Bool   // Stop/Remove/restart requested: exit is expected
	done       chan struct{} // closed once the process is gone (reaped, for children)
	exitReason string        // set before done is closed
	w          *watcher      // adopted processes only
}

// record is the content of node.json.
type record struct {
	Version   int       `json:"version"`
	ID        string    `json:"id"`
	PID       int       `json:"pid"`
	StartTime uint64    `json:"start_time"` // /proc/<pid>/stat field 22, clock ticks since boot
	BootID    string    `json:"boot_id,omitempty"`
	StartedAt time.Time `json:"started_at"`
	Binary    string    `json:"binary"`
	Args      []string  `json:"args"`
}

// indexEntry is the content of a StateDir index file.
type indexEntry struct {
	ID  string `json:"id"`
	Dir string `json:"dir"`
}

// New returns a Driver. It does not touch any running process: nodes are
// re-adopted lazily, by Ensure (or Inspect/Stop) for their ID.
func New(opts Options) *Driver {
	d := &Driver{
		log:      opts.Logger,
		grace:    opts.StopGrace,
		stateDir: opts.StateDir,
		nodes:    make(map[string]*node),
		watchers: make(map[*proc]struct{}),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.grace <= 0 {
		d.grace = defaultStopGrace
	}
	n := opts.ExitedBuffer
	if n <= 0 {
		n = defaultExitedBuffer
	}
	d.exited = make(chan string, n)
	return d
}

// Exited implements driver.Driver. The channel is closed by Close.
func (d *Driver) Exited() <-chan string { return d.exited }

// Close releases the driver's watchers WITHOUT stopping any node: the
// processes keep running and a later Driver re-adopts them. Close closes the
// Exited channel; afterwards every method returns driver.ErrClosed.
// Close is idempotent.
func (d *Driver) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	ws := make([]*watcher, 0, len(d.watchers))
	for p := range d.watchers {
		ws = append(ws, p.w)
	}
	clear(d.watchers)
	d.mu.Unlock()
	for _, w := range ws {
		w.release()
	}
	d.exitMu.Lock()
	d.exitClosed = true
	close(d.exited)
	d.exitMu.Unlock()
}

func (d *Driver) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// acquire returns the entry for id with its semaphore held. With create
// false it returns (nil, nil) if there is no entry.
func (d *Driver) acquire(ctx context.Context, id string, create bool) (*node, error) {
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return nil, driver.ErrClosed
		}
		n := d.nodes[id]
		if n == nil {
			if !create {
				d.mu.Unlock()
				return nil, nil
			}
			n = &node{id: id, sem: make(chan struct{}, 1)}
			d.nodes[id] = n
		}
		d.mu.Unlock()
		select {
		case n.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if n.removed {
			<-n.sem
			continue
		}
		return n, nil
	}
}

func (n *node) unlock() { <-n.sem }

// lookup returns the entry for id, creating it if the StateDir index knows
// the node's directory. It returns (nil, nil) if the node is unknown.
func (d *Driver) lookup(ctx context.Context, id string) (*node, error) {
	n, err := d.acquire(ctx, id, false)
	if err != nil || n != nil {
		return n, err
	}
	dir := d.indexLookup(id)
	if dir == "" {
		return nil, nil
	}
	n, err = d.acquire(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if n.dir == "" {
		n.dir = dir
	}
	return n, nil
}

// Ensure implements driver.Driver.
func (d *Driver) Ensure(ctx context.Context, spec driver.NodeSpec) (driver.NodeState, error) {
	if err := validate(spec); err != nil {
		return driver.NodeState{}, err
	}
	if err := ctx.Err(); err != nil {
		return driver.NodeState{}, err
	}
	spec.Dir = filepath.Clean(spec.Dir)
	n, err := d.acquire(ctx, spec.ID, true)
	if err != nil {
		return driver.NodeState{}, err
	}
	defer n.unlock()

	if p := n.p; p != nil && p.alive() {
		if p.matches(spec) {
			return p.state(n.id), nil
		}
		d.log.Info("node spec changed, restarting", "id", n.id, "pid", p.pid)
		if err := d.stopProc(ctx, n.id, p); err != nil {
			return driver.NodeState{}, err
		}
	}
	// Look for a process started by an earlier control plane (or by this
	// one before the node moved directories).
	if n.p == nil || n.p.dir != spec.Dir {
		p, err := d.adoptFromDisk(n.id, spec.Dir)
		if err != nil {
			return driver.NodeState{}, err
		}
		if p != nil {
			n.p, n.dir, n.startErr = p, spec.Dir, nil
			if p.matches(spec) {
				d.writeIndex(n.id, spec.Dir)
				return p.state(n.id), nil
			}
			d.log.Info("adopted node has a different spec, restarting", "id", n.id, "pid", p.pid)
			if err := d.stopProc(ctx, n.id, p); err != nil {
				return driver.NodeState{}, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return driver.NodeState{}, err
	}
	n.dir = spec.Dir
	d.writeIndex(n.id, spec.Dir)
	if err := d.killStrays(n.id, spec.Dir, spec.Binary); err != nil {
		return driver.NodeState{}, err
	}
	p, err := d.start(n.id, spec)
	if err != nil {
		n.startErr = err
		return driver.NodeState{}, err
	}
	n.p, n.startErr = p, nil
	return p.state(n.id), nil
}

// Inspect implements driver.Driver. A live node found on disk (started by an
// earlier control plane) is re-attached, as Ensure would.
func (d *Driver) Inspect(ctx context.Context, id string) (driver.NodeState, error) {
	n, err := d.lookup(ctx, id)
	if err != nil {
		return driver.NodeState{}, err
	}
	if n == nil {
		return driver.NodeState{}, driver.ErrNotFound
	}
	defer n.unlock()
	if n.p != nil {
		return n.p.state(id), nil
	}
	if n.dir != "" {
		p, err := d.adoptFromDisk(id, n.dir)
		if err != nil {
			return driver.NodeState{}, err
		}
		if p != nil {
			n.p = p
			return p.state(id), nil
		}
		if rec, err := readRecord(n.dir); err == nil && rec.ID == id {
			return driver.NodeState{ID: id, PID: rec.PID, StartedAt: rec.StartedAt, ExitReason: "not running"}, nil
		}
	}
	if n.startErr != nil {
		return driver.NodeState{ID: id, ExitReason: "start failed: " + n.startErr.Error()}, nil
	}
	return driver.NodeState{ID: id, ExitReason: "never started"}, nil
}

// Stop implements driver.Driver: SIGTERM to the node's process group, then
// SIGKILL after StopGrace, or as soon as ctx is done; it returns once the
// process is gone (for children: reaped).
func (d *Driver) Stop(ctx context.Context, id string) error {
	n, err := d.lookup(ctx, id)
	if err != nil || n == nil {
		return err
	}
	defer n.unlock()
	return d.stopNode(ctx, n, n.dir)
}

// Remove implements driver.Driver.
func (d *Driver) Remove(ctx context.Context, spec driver.NodeSpec) error {
	if spec.ID == "" {
		return errors.New("process: empty node ID")
	}
	if !filepath.IsAbs(spec.Dir) || filepath.Clean(spec.Dir) == "/" {
		return fmt.Errorf("process: node %s: refusing to remove dir %q", spec.ID, spec.Dir)
	}
	dir := filepath.Clean(spec.Dir)
	n, err := d.acquire(ctx, spec.ID, true)
	if err != nil {
		return err
	}
	defer n.unlock()
	if n.dir == "" {
		n.dir = dir
	}
	if err := d.stopNode(ctx, n, dir); err != nil {
		return err
	}
	binary := ""
	if rec, err := readRecord(dir); err == nil {
		binary = rec.Binary
	} else if n.p != nil {
		binary = n.p.binary
	}
	if err := d.killStrays(spec.ID, dir, binary); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("process: node %s: remove dir: %w", spec.ID, err)
	}
	d.removeIndex(spec.ID)
	d.mu.Lock()
	if d.nodes[spec.ID] == n {
		delete(d.nodes, spec.ID)
	}
	n.removed = true
	d.mu.Unlock()
	d.log.Info("node removed", "id", spec.ID)
	return nil
}

// stopNode stops the node's current process and any live process recorded
// in dir (or n.dir) that this driver has not attached yet.
func (d *Driver) stopNode(ctx context.Context, n *node, dir string) error {
	if p := n.p; p != nil && p.alive() {
		if err := d.stopProc(ctx, n.id, p); err != nil {
			return err
		}
	}
	for _, dd := range uniqueDirs(n.dir, dir) {
		if n.p != nil && n.p.dir == dd {
			continue // already handled above
		}
		p, err := d.adoptFromDisk(n.id, dd)
		if err != nil {
			return err
		}
		if p == nil {
			continue
		}
		if n.p == nil || !n.p.alive() {
			n.p = p
		}
		if err := d.stopProc(ctx, n.id, p); err != nil {
			return err
		}
	}
	return nil
}

func uniqueDirs(a, b string) []string {
	var out []string
	for _, s := range []string{a, b} {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// stopProc sends SIGTERM to the process group, waits up to the grace period
// (or until ctx is done), then sends SIGKILL and waits for the process to be
// gone.
func (d *Driver) stopProc(ctx context.Context, id string, p *proc) error {
	if !p.alive() {
		return nil
	}
	p.stopping.Store(true)
	d.log.Info("stopping node", "id", id, "pid", p.pid)
	p.signal(syscall.SIGTERM)
	// A stopped process (SIGSTOP, a hung node being replaced) cannot act on
	// SIGTERM until it is continued; without this it always took the whole
	// grace period and a SIGKILL.
	p.signal(syscall.SIGCONT)
	grace := time.NewTimer(d.grace)
	defer grace.Stop()
	select {
	case <-p.done:
		return nil
	case <-grace.C:
		d.log.Warn("node did not stop within grace period, killing", "id", id, "pid", p.pid, "grace", d.grace)
	case <-ctx.Done():
		d.log.Warn("stop cancelled, killing node", "id", id, "pid", p.pid)
	}
	p.signal(syscall.SIGKILL)
	kill := time.NewTimer(killWait)
	defer kill.Stop()
	select {
	case <-p.done:
		return nil
	case <-kill.C:
		return fmt.Errorf("process: node %s: pid %d still running %s after SIGKILL", id, p.pid, killWait)
	}
}

// signal sends sig to the process group of p (each node is a session and
// group leader), falling back to the process itself. Adopted processes are
// re-verified against PID reuse first.
func (p *proc) signal(sig syscall.Signal) {
	if !p.alive() {
		return
	}
	if p.adopted && !aliveAs(p.pid, p.startTime) {
		return
	}
	if err := syscall.Kill(-p.pid, sig); err != nil {
		_ = syscall.Kill(p.pid, sig)
	}
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *proc) matches(spec driver.NodeSpec) bool {
	return p.binary == spec.Binary && slices.Equal(p.args, spec.Args) && p.dir == spec.Dir
}

func (p *proc) state(id string) driver.NodeState {
	st := driver.NodeState{ID: id, PID: p.pid, StartedAt: p.startedAt, Adopted: p.adopted, Running: true}
	select {
	case <-p.done:
		st.Running = false
		st.ExitReason = p.exitReason
	default:
	}
	return st
}

// killStrays kills the node processes in dir that no record points to. A
// control plane that dies between starting a node and writing its node.json
// leaves such a process behind: it holds the node's endpoint, so every
// replacement fails to bind (while health probes reach the stray), and
// nothing would ever stop it, not even deleting the node. A stray is a live
// process that leads its own session and process group (as every node is
// started), runs binary, and has dir (possibly deleted since) as its working
// directory. It is called only when no process of the node is tracked.
func (d *Driver) killStrays(id, dir, binary string) error {
	if binary == "" {
		return nil
	}
	type stray struct {
		pid   int
		start uint64
	}
	dirs := []string{dir}
	if r, err := filepath.EvalSymlinks(dir); err == nil && r != dir {
		dirs = append(dirs, r)
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil
	}
	var found []stray
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cwd, err := os.Readlink(procPath(pid, "cwd"))
		if err != nil || !slices.Contains(dirs, strings.TrimSuffix(cwd, " (deleted)")) {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.dead() || st.pgrp != pid {
			continue
		}
		if sid, err := unix.Getsid(pid); err != nil || sid != pid {
			continue
		}
		if ok, _ := exeMatches(pid, binary); !ok {
			continue
		}
		d.log.Warn("killing a node process that was started but never recorded", "id", id, "pid", pid, "dir", dir)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		found = append(found, stray{pid, st.startTime})
	}
	deadline := time.Now().Add(killWait)
	for _, s := range found {
		for aliveAs(s.pid, s.start) {
			if time.Now().After(deadline) {
				return fmt.Errorf("process: node %s: unrecorded process %d still running %s after SIGKILL", id, s.pid, killWait)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// start writes the node's files and starts its process.
func (d *Driver) start(id string, spec driver.NodeSpec) (*proc, error) {
	dir := spec.Dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("process: node %s: create dir: %w", id, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("process: node %s: chmod dir: %w", id, err)
	}
	for _, f := range spec.Files {
		if err := writeFileAtomic(dir, f.Name, f.Content, f.FileMode()); err != nil {
			return nil, fmt.Errorf("process: node %s: write %s: %w", id, f.Name, err)
		}
	}
	logPath := filepath.Join(dir, LogFile)
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("process: node %s: open log: %w", id, err)
	}
	defer logf.Close()
	if err := logf.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("process: node %s: chmod log: %w", id, err)
	}
	_, _ = fmt.Fprintf(logf, "--- cacheplane: %s starting %s %s\n",
		time.Now().UTC().Format(time.RFC3339), spec.Binary, strings.Join(spec.Args, " "))

	cmd := &exec.Cmd{
		Path:   spec.Binary,
		Args:   append([]string{spec.Binary}, spec.Args...),
		Env:    append([]string{minimalPath}, spec.Env...),
		Dir:    dir,
		Stdin:  nil, // /dev/null
		Stdout: logf,
		Stderr: logf,
		// Own session and process group: no controlling terminal, not
		// hit by signals to the control plane's group, survives its death.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("process: node %s: start: %w", id, err)
	}
	startedAt := time.Now()
	pid := cmd.Process.Pid
	// Not reaped yet (nobody Waits before the goroutine below), so
	// /proc/<pid>/stat exists even if the process already exited.
	st, err := readStat(pid)
	if err == nil {
		rec := record{
			Version: recordVersion, ID: id, PID: pid, StartTime: st.startTime, BootID: bootID(),
			StartedAt: startedAt, Binary: spec.Binary, Args: spec.Args,
		}
		err = writeRecord(dir, rec)
	}
	if err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("process: node %s: record: %w", id, err)
	}
	p := &proc{
		pid: pid, startTime: st.startTime, startedAt: startedAt,
		binary: spec.Binary, args: slices.Clone(spec.Args), dir: dir,
		done: make(chan struct{}),
	}
	// The child is not reaped yet, so the pidfd surely refers to it.
	pfd, _ := openPidfd(pid)
	go d.reap(id, p, cmd, pfd)
	d.log.Info("node started", "id", id, "pid", pid, "binary", spec.Binary, "args", spec.Args)
	return p, nil
}

// reap waits for a child process, so it never lingers as a zombie, and
// reports unexpected exits. With a pidfd it first waits in the netpoller, so
// that a thousand idle nodes do not pin a thousand OS threads in wait(2);
// cmd.Wait then returns at once. Without one it falls back to cmd.Wait.
// Close does not stop reaping: the children remain ours until we exit.
func (d *Driver) reap(id string, p *proc, cmd *exec.Cmd, pfd *os.File) {
	if pfd != nil {
		_ = waitPidfd(pfd, func() bool { return true })
		_ = pfd.Close()
	}
	err := cmd.Wait()
	reason := "exited"
	switch {
	case cmd.ProcessState != nil:
		reason = cmd.ProcessState.String()
	case err != nil:
		reason = err.Error()
	}
	p.exitReason = reason
	close(p.done)
	d.exitedUnexpectedly(id, p)
}

func (d *Driver) exitedUnexpectedly(id string, p *proc) {
	if p.stopping.Load() {
		d.log.Info("node stopped", "id", id, "pid", p.pid, "reason", p.exitReason)
		return
	}
	d.log.Warn("node exited unexpectedly", "id", id, "pid", p.pid, "reason", p.exitReason)
	d.exitMu.Lock()
	defer d.exitMu.Unlock()
	if d.exitClosed {
		return
	}
	select {
	case d.exited <- id:
	default:
		d.log.Warn("exited channel full, dropping notification", "id", id)
	}
}

// adoptFromDisk re-attaches to the live process recorded in dir/node.json,
// if there is one and it is verifiably the recorded process. It returns
// (nil, nil) when there is nothing to adopt.
func (d *Driver) adoptFromDisk(id, dir string) (*proc, error) {
	rec, err := readRecord(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		d.log.Warn("ignoring unreadable node record", "id", id, "dir", dir, "err", err)
		return nil, nil
	}
	if ok, why := verify(rec); !ok {
		lvl := slog.LevelInfo
		if why == reasonGone {
			lvl = slog.LevelDebug
		}
		d.log.Log(context.Background(), lvl, "not adopting recorded process", "id", id, "pid", rec.PID, "reason", why)
		return nil, nil
	}
	if rec.ID != id {
		return nil, fmt.Errorf("process: node %s: dir %s holds live node %s (pid %d)", id, dir, rec.ID, rec.PID)
	}
	p := &proc{
		pid: rec.PID, startTime: rec.StartTime, startedAt: rec.StartedAt,
		binary: rec.Binary, args: rec.Args, dir: dir, adopted: true,
		done: make(chan struct{}),
	}
	p.w = watchExternal(p.pid, p.startTime, func() {
		p.exitReason = "exited (status unknown: not a child of this control plane)"
		close(p.done)
		// After close(done), so that the registration below either sees
		// the process dead or is undone here.
		d.mu.Lock()
		delete(d.watchers, p)
		d.mu.Unlock()
		d.exitedUnexpectedly(id, p)
	})
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		p.w.release()
		return nil, driver.ErrClosed
	}
	if p.alive() {
		d.watchers[p] = struct{}{}
	}
	d.mu.Unlock()
	d.log.Info("node adopted", "id", id, "pid", p.pid, "binary", p.binary)
	return p, nil
}

const reasonGone = "process gone"

// verify reports whether rec describes a process that is alive right now:
// same boot, same start time (no PID reuse), not a zombie, still leading
// its own process group, running rec.Binary.
func verify(rec record) (bool, string) {
	if rec.PID <= 0 {
		return false, "no pid"
	}
	if rec.BootID != "" && bootID() != "" && rec.BootID != bootID() {
		return false, "recorded before a reboot"
	}
	st, err := readStat(rec.PID)
	if err != nil {
		return false, reasonGone
	}
	if st.startTime != rec.StartTime {
		return false, "pid reused (start time differs)"
	}
	if st.dead() {
		return false, "process is a zombie"
	}
	if ok, why := exeMatches(rec.PID, rec.Binary); !ok {
		return false, "pid reused: " + why
	}
	if st.pgrp != rec.PID {
		return false, "process is not its own group leader"
	}
	return true, ""
}

func validate(spec driver.NodeSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	for _, f := range spec.Files {
		if f.Name == RecordFile || f.Name == LogFile {
			return fmt.Errorf("process: node %s: file name %q is reserved", spec.ID, f.Name)
		}
	}
	return nil
}

func readRecord(dir string) (record, error) {
	b, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if err != nil {
		return record{}, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return record{}, err
	}
	return rec, nil
}

func writeRecord(dir string, rec record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(dir, RecordFile, append(b, '\n'), 0o600)
}

// writeFileAtomic writes dir/name via a temporary file and rename, so the
// node never sees a partial file. Missing parent directories are created
// 0700.
func writeFileAtomic(dir, name string, content []byte, mode os.FileMode) (err error) {
	path := filepath.Join(dir, name)
	parent := filepath.Dir(path)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(parent, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(mode.Perm()); err != nil {
		return err
	}
	if _, err = tmp.Write(content); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// safeName maps a node ID to a file name: [A-Za-z0-9-] are kept, every other
// byte becomes _xx (hex), which keeps the mapping injective. Very long IDs
// are shortened with a hash.
func safeName(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	s := b.String()
	if len(s) > 160 {
		sum := sha256.Sum256([]byte(id))
		s = s[:96] + "_" + hex.EncodeToString(sum[:16])
	}
	return s
}

func (d *Driver) indexPath(id string) string {
	return filepath.Join(d.stateDir, safeName(id)+".json")
}

func (d *Driver) writeIndex(id, dir string) {
	if d.stateDir == "" {
		return
	}
	if d.indexLookup(id) == dir {
		return
	}
	b, err := json.Marshal(indexEntry{ID: id, Dir: dir})
	if err == nil {
		if err = os.MkdirAll(d.stateDir, 0o700); err == nil {
			err = writeFileAtomic(d.stateDir, safeName(id)+".json", b, 0o600)
		}
	}
	if err != nil {
		d.log.Warn("cannot write node index", "id", id, "err", err)
	}
}

func (d *Driver) indexLookup(id string) string {
	if d.stateDir == "" {
		return ""
	}
	b, err := os.ReadFile(d.indexPath(id))
	if err != nil {
		return ""
	}
	var e indexEntry
	if json.Unmarshal(b, &e) != nil || e.ID != id || !filepath.IsAbs(e.Dir) {
		return ""
	}
	return filepath.Clean(e.Dir)
}

func (d *Driver) removeIndex(id string) {
	if d.stateDir == "" {
		return
	}
	if err := os.Remove(d.indexPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("cannot remove node index", "id", id, "err", err)
	}
}
