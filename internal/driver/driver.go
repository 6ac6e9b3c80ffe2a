// Package driver defines the engine-agnostic node runtime used by the
// cacheplane reconciler.
//
// A driver runs cache nodes from a fully rendered NodeSpec: the executable,
// its arguments, the files it needs and the directory it lives in. It knows
// nothing about Redis or Memcached; rendering engine configuration is the
// caller's job. The Driver interface is deliberately free of process details
// so that a local-process implementation (package process) and a future
// Kubernetes implementation can be used interchangeably.
package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is a file the driver writes into the node's directory before every
// (re)start. Files are the place for secrets (passwords, ACLs, TLS keys):
// they never appear in Args.
type File struct {
	// Name is relative to NodeSpec.Dir. It must not be absolute and must
	// not contain ".." components. It may contain "/" to create files in
	// subdirectories.
	Name    string
	Content []byte
	// Mode is the permission of the file; 0 means 0600.
	Mode os.FileMode
}

// NodeSpec is a rendered, engine-agnostic description of one cache node.
type NodeSpec struct {
	ID      string   // stable unique key, e.g. "my-redis/0001"; drivers must map it to safe names
	Binary  string   // absolute path of the executable
	Args    []string // argv after Binary; never contains secrets
	Env     []string // extra environment (KEY=VALUE); the process gets a minimal env, not the control plane's
	Files   []File   // written into Dir before every (re)start
	Dir     string   // the node's own directory, created 0700; cwd of the process; holds its data
	Address string   // listen address, informational for the driver (used by kube later)
	Port    int      // listen port, informational for the driver (used by kube later)
}

// NodeState is the observed state of a node.
type NodeState struct {
	ID        string
	Running   bool
	PID       int // 0 if not a process
	StartedAt time.Time
	// Adopted is true when this control plane found the node already
	// running (started by an earlier control-plane process) and
	// re-attached to it instead of starting it.
	Adopted bool
	// ExitReason tells, when !Running, how the node ended, e.g.
	// "exit status 1" or "signal: killed".
	ExitReason string
}

// ErrNotFound is returned by Inspect for a node the driver has never heard
// of and that has nothing on disk.
var ErrNotFound = errors.New("driver: node not found")

// ErrClosed is returned by drivers that have been closed.
var ErrClosed = errors.New("driver: closed")

// Driver runs nodes. Implementations must be safe for concurrent use; calls
// for the same node ID are serialized.
type Driver interface {
	// Ensure makes the node run: if a node for spec.ID is already running
	// and was started from the same Binary+Args (e.g. by an earlier
	// control-plane process, before a restart or kill -9), it re-attaches
	// WITHOUT restarting it (NodeState.Adopted=true). Otherwise it writes
	// Files and starts it.
	Ensure(ctx context.Context, spec NodeSpec) (NodeState, error)
	// Inspect reports the node's current state (ErrNotFound if this driver
	// has never heard of it and nothing is on disk).
	Inspect(ctx context.Context, id string) (NodeState, error)
	// Stop ends the node (SIGTERM, then SIGKILL after a grace period of a
	// few seconds) and waits until it is gone. Idempotent.
	Stop(ctx context.Context, id string) error
	// Remove stops the node and deletes spec.Dir entirely. Idempotent.
	Remove(ctx context.Context, spec NodeSpec) error
	// Exited delivers the ID of a node whose process ended unexpectedly
	// (not via Stop/Remove), so the reconciler can replace it fast.
	// Buffered; never blocks the driver (IDs are dropped if it is full,
	// the reconciler also polls).
	Exited() <-chan string
}

// ValidateFileName reports whether name is acceptable as File.Name: non-empty,
// relative, clean, without ".." components.
func ValidateFileName(name string) error {
	if name == "" {
		return errors.New("driver: empty file name")
	}
	if strings.ContainsRune(name, 0) {
		return fmt.Errorf("driver: file name %q contains NUL", name)
	}
	if filepath.IsAbs(name) || strings.HasPrefix(name, "/") {
		return fmt.Errorf("driver: file name %q is absolute", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return fmt.Errorf("driver: file name %q contains ..", name)
		}
	}
	if filepath.Clean(name) != name || name == "." {
		return fmt.Errorf("driver: file name %q is not clean", name)
	}
	return nil
}

// Validate checks the engine-agnostic invariants of a spec: a non-empty ID,
// an absolute Binary, an absolute Dir that is not the filesystem root, valid
// file names without duplicates, and a port in range.
func (s NodeSpec) Validate() error {
	if s.ID == "" {
		return errors.New("driver: empty node ID")
	}
	if !filepath.IsAbs(s.Binary) {
		return fmt.Errorf("driver: node %s: binary %q is not an absolute path", s.ID, s.Binary)
	}
	if !filepath.IsAbs(s.Dir) {
		return fmt.Errorf("driver: node %s: dir %q is not an absolute path", s.ID, s.Dir)
	}
	if filepath.Clean(s.Dir) == "/" {
		return fmt.Errorf("driver: node %s: dir must not be /", s.ID)
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("driver: node %s: port %d out of range", s.ID, s.Port)
	}
	seen := make(map[string]bool, len(s.Files))
	for _, f := range s.Files {
		if err := ValidateFileName(f.Name); err != nil {
			return fmt.Errorf("node %s: %w", s.ID, err)
		}
		if seen[f.Name] {
			return fmt.Errorf("driver: node %s: duplicate file %q", s.ID, f.Name)
		}
		seen[f.Name] = true
	}
	for _, e := range s.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return fmt.Errorf("driver: node %s: env entry is not KEY=VALUE", s.ID)
		}
	}
	return nil
}

// FileMode returns the effective permission bits of f (0600 if unset).
func (f File) FileMode() os.FileMode {
	if f.Mode.Perm() == 0 {
		return 0o600
	}
	return f.Mode.Perm()
}
