// Package fake provides an in-memory driver.Driver for fast reconciler unit
// tests. It starts no processes: nodes are records with fake PIDs. It
// records every call, can simulate a node dying (Kill, which also notifies
// Exited), nodes left running by an earlier control plane (Preload), and
// Ensure failures (FailEnsure, SetEnsureHook).
//
// Its semantics mirror the process driver: Ensure on a running node with the
// same Binary+Args is a no-op, a changed Binary+Args restarts it (new PID),
// Stop and Remove are idempotent, Inspect returns driver.ErrNotFound for
// unknown IDs.
package fake

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver"
)

// Op names recorded in Call.Op.
const (
	OpEnsure  = "Ensure"
	OpInspect = "Inspect"
	OpStop    = "Stop"
	OpRemove  = "Remove"
)

// Exit reasons used by the fake.
const (
	ReasonKilled  = "signal: killed"
	ReasonStopped = "signal: terminated"
)

// Call is one recorded method call.
type Call struct {
	Op   string
	ID   string
	Spec driver.NodeSpec // for Ensure and Remove
	Err  error           // what the call returned
}

type node struct {
	spec   driver.NodeSpec
	state  driver.NodeState
	starts int
}

// Driver is the in-memory driver. The zero value is not usable; call New.
type Driver struct {
	mu       sync.Mutex
	nodes    map[string]*node
	calls    []Call
	nextPID  int
	failNext map[string][]error // by ID; "" applies to any ID
	hook     func(driver.NodeSpec) error
	exited   chan string
	now      func() time.Time
}

var _ driver.Driver = (*Driver)(nil)

// New returns an empty fake driver whose Exited channel holds 1024 IDs.
func New() *Driver {
	return &Driver{
		nodes:    make(map[string]*node),
		nextPID:  1000,
		failNext: make(map[string][]error),
		exited:   make(chan string, 1024),
		now:      time.Now,
	}
}

// Ensure implements driver.Driver.
func (d *Driver) Ensure(ctx context.Context, spec driver.NodeSpec) (driver.NodeState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := d.ensure(ctx, spec)
	d.calls = append(d.calls, Call{Op: OpEnsure, ID: spec.ID, Spec: cloneSpec(spec), Err: err})
	return st, err
}

func (d *Driver) ensure(ctx context.Context, spec driver.NodeSpec) (driver.NodeState, error) {
	if err := ctx.Err(); err != nil {
		return driver.NodeState{}, err
	}
	if err := spec.Validate(); err != nil {
		return driver.NodeState{}, err
	}
	if err := d.injectedError(spec); err != nil {
		return driver.NodeState{}, err
	}
	n := d.nodes[spec.ID]
	if n != nil && n.state.Running && n.spec.Binary == spec.Binary && slices.Equal(n.spec.Args, spec.Args) {
		n.spec = cloneSpec(spec)
		return n.state, nil
	}
	if n == nil {
		n = &node{}
		d.nodes[spec.ID] = n
	}
	n.spec = cloneSpec(spec)
	n.starts++
	d.nextPID++
	n.state = driver.NodeState{ID: spec.ID, Running: true, PID: d.nextPID, StartedAt: d.now()}
	return n.state, nil
}

func (d *Driver) injectedError(spec driver.NodeSpec) error {
	for _, key := range []string{spec.ID, ""} {
		if q := d.failNext[key]; len(q) > 0 {
			err := q[0]
			if len(q) == 1 {
				delete(d.failNext, key)
			} else {
				d.failNext[key] = q[1:]
			}
			return err
		}
	}
	if d.hook != nil {
		return d.hook(spec)
	}
	return nil
}

// Inspect implements driver.Driver.
func (d *Driver) Inspect(ctx context.Context, id string) (driver.NodeState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var st driver.NodeState
	err := ctx.Err()
	if err == nil {
		if n := d.nodes[id]; n != nil {
			st = n.state
		} else {
			err = driver.ErrNotFound
		}
	}
	d.calls = append(d.calls, Call{Op: OpInspect, ID: id, Err: err})
	return st, err
}

// Stop implements driver.Driver.
func (d *Driver) Stop(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := ctx.Err()
	if err == nil {
		d.stop(id)
	}
	d.calls = append(d.calls, Call{Op: OpStop, ID: id, Err: err})
	return err
}

func (d *Driver) stop(id string) {
	if n := d.nodes[id]; n != nil && n.state.Running {
		n.state.Running = false
		n.state.ExitReason = ReasonStopped
	}
}

// Remove implements driver.Driver.
func (d *Driver) Remove(ctx context.Context, spec driver.NodeSpec) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := ctx.Err()
	if err == nil {
		d.stop(spec.ID)
		delete(d.nodes, spec.ID)
	}
	d.calls = append(d.calls, Call{Op: OpRemove, ID: spec.ID, Spec: cloneSpec(spec), Err: err})
	return err
}

// Exited implements driver.Driver.
func (d *Driver) Exited() <-chan string { return d.exited }

// Kill marks a running node dead as if its process had been killed
// (ExitReason "signal: killed") and sends its ID on Exited (dropped if the
// channel is full). It reports whether the node was running.
func (d *Driver) Kill(id string) bool {
	return d.Exit(id, ReasonKilled)
}

// Exit is Kill with a chosen exit reason, e.g. "exit status 1".
func (d *Driver) Exit(id, reason string) bool {
	d.mu.Lock()
	n := d.nodes[id]
	if n == nil || !n.state.Running {
		d.mu.Unlock()
		return false
	}
	n.state.Running = false
	n.state.ExitReason = reason
	d.mu.Unlock()
	select {
	case d.exited <- id:
	default:
	}
	return true
}

// Preload registers spec as a node already running, started by an earlier
// control plane: a following Ensure with the same Binary+Args returns it
// with Adopted=true and no restart. It returns the node's state.
func (d *Driver) Preload(spec driver.NodeSpec) driver.NodeState {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextPID++
	n := &node{spec: cloneSpec(spec)}
	n.state = driver.NodeState{ID: spec.ID, Running: true, PID: d.nextPID, StartedAt: d.now(), Adopted: true}
	d.nodes[spec.ID] = n
	return n.state
}

// FailEnsure makes the next Ensure for id fail with err; successive calls
// queue errors. An empty id applies to the next Ensure of any node (after
// any error queued for that node's own ID).
func (d *Driver) FailEnsure(id string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failNext[id] = append(d.failNext[id], err)
}

// SetEnsureHook installs fn, called (under the driver's lock, so it must not
// call back into the driver) by every Ensure that has no queued error; a
// non-nil result fails that Ensure. nil removes the hook.
func (d *Driver) SetEnsureHook(fn func(driver.NodeSpec) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hook = fn
}

// SetClock replaces time.Now for StartedAt.
func (d *Driver) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

// Calls returns a copy of all recorded calls, oldest first.
func (d *Driver) Calls() []Call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

// CallCount counts recorded calls with the given op; an empty id counts
// calls for every ID.
func (d *Driver) CallCount(op, id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := 0
	for _, call := range d.calls {
		if call.Op == op && (id == "" || call.ID == id) {
			c++
		}
	}
	return c
}

// ResetCalls forgets the recorded calls.
func (d *Driver) ResetCalls() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = nil
}

// Spec returns the last spec passed to Ensure for a known node.
func (d *Driver) Spec(id string) (driver.NodeSpec, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.nodes[id]
	if n == nil {
		return driver.NodeSpec{}, false
	}
	return cloneSpec(n.spec), true
}

// Starts returns how many times the node was (re)started by Ensure since
// it was last removed.
func (d *Driver) Starts(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := d.nodes[id]; n != nil {
		return n.starts
	}
	return 0
}

// Nodes returns the state of every known node, sorted by ID.
func (d *Driver) Nodes() []driver.NodeState {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]driver.NodeState, 0, len(d.nodes))
	for _, n := range d.nodes {
		out = append(out, n.state)
	}
	slices.SortFunc(out, func(a, b driver.NodeState) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Running returns the IDs of running nodes, sorted.
func (d *Driver) Running() []string {
	var ids []string
	for _, st := range d.Nodes() {
		if st.Running {
			ids = append(ids, st.ID)
		}
	}
	return ids
}

func cloneSpec(s driver.NodeSpec) driver.NodeSpec {
	s.Args = slices.Clone(s.Args)
	s.Env = slices.Clone(s.Env)
	if s.Files != nil {
		files := make([]driver.File, len(s.Files))
		for i, f := range s.Files {
			f.Content = slices.Clone(f.Content)
			files[i] = f
		}
		s.Files = files
	}
	return s
}
