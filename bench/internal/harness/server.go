package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerOptions starts the real cacheplane binary.
type ServerOptions struct {
	Binary     string   // the built cacheplane binary
	DataDir    string   // --data-dir
	NodeRange  string   // --node-addresses
	Args       []string // extra flags, e.g. --max-nodes 1100
	LogPath    string   // stdout+stderr of the server; one file per start
	StopOnExit bool     // --stop-nodes-on-exit (nodes end with a clean SIGTERM of the server)
}

// Server is a running cacheplane process.
type Server struct {
	opts     ServerOptions
	cmd      *exec.Cmd
	PID      int
	Endpoint string        // http://HOST:PORT
	Ready    time.Duration // from exec to the "cacheplane ready" log line
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
}

var readyRE = regexp.MustCompile(`msg="cacheplane ready" listen=(\S+)`)

// StartServer execs cacheplane on 127.0.0.1:0 and waits for its ready line.
// The server (and, through SweepNodeRecords/SweepEngines, its nodes) is
// stopped at exit.
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", o.DataDir, "--node-addresses", o.NodeRange}
	if o.StopOnExit {
		args = append(args, "--stop-nodes-on-exit")
	}
	args = append(args, o.Args...)
	logf, err := os.OpenFile(o.LogPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(o.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A minimal, predictable environment: no CACHEPLANE_* from the caller.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	// Own process group: a Ctrl-C of the benchmark does not hit it first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{opts: o, cmd: cmd, PID: cmd.Process.Pid, done: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()
	AtExit(func() { s.Stop() })
	for {
		b, _ := os.ReadFile(o.LogPath)
		if m := readyRE.FindSubmatch(b); m != nil {
			s.Ready = time.Since(t0)
			s.Endpoint = "http://" + string(m[1])
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("cacheplane exited before it was ready (%v); log %s:\n%s", s.waitErr, o.LogPath, tail(b, 2000))
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Since(t0) > 30*time.Second {
			s.Stop()
			return nil, fmt.Errorf("cacheplane not ready after 30s; log %s:\n%s", o.LogPath, tail(b, 2000))
		}
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Stop sends SIGTERM, waits up to 30s (stopping nodes takes a while with
// --stop-nodes-on-exit), then SIGKILLs. Idempotent.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		select {
		case <-s.done:
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			Logf("cacheplane %d did not stop after SIGTERM; killing it", s.PID)
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// Kill9 kills the server with SIGKILL (its nodes keep running) and waits until it is reaped.
func (s *Server) Kill9() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

// Exited reports whether the server process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Log returns the server's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.opts.LogPath)
	return string(b)
}

// NodeRecord is the part of a node's node.json (written by the process driver) benchmarks use.
type NodeRecord struct {
	ID        string   `json:"id"`
	PID       int      `json:"pid"`
	StartTime uint64   `json:"start_time"`
	Binary    string   `json:"binary"`
	Args      []string `json:"args"`
	Dir       string   `json:"-"`
}

// NodeRecords reads every DATA_DIR/nodes/<cluster>/<node>/node.json.
func NodeRecords(dataDir string) ([]NodeRecord, error) {
	paths, err := filepath.Glob(filepath.Join(dataDir, "nodes", "*", "*", "node.json"))
	if err != nil {
		return nil, err
	}
	var out []NodeRecord
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // being removed
		}
		var r NodeRecord
		if err := json.Unmarshal(b, &r); err != nil {
			continue
		}
		r.Dir = filepath.Dir(p)
		out = append(out, r)
	}
	return out, nil
}

// SweepNodeRecords stops every live process recorded in a node.json under
// dataDir (PID + start time checked) and reports how many there were.
func SweepNodeRecords(dataDir string) int {
	recs, err := NodeRecords(dataDir)
	if err != nil {
		return 0
	}
	var procs []EngineProc
	for _, r := range recs {
		p := EngineProc{PID: r.PID, StartTime: r.StartTime}
		if r.PID > 0 && p.Alive() {
			procs = append(procs, p)
		}
	}
	if len(procs) > 0 {
		if err := StopPIDs(procs, 5*time.Second); err != nil {
			Logf("sweep of %s: %v", dataDir, err)
		}
	}
	return len(procs)
}

// CleanupNodes registers, at exit, a sweep of every node of dataDir and every
// engine process in addrRange (registered before the server starts, so it
// runs after the server has been stopped).
func CleanupNodes(dataDir, addrRange string) {
	AtExit(func() {
		n := SweepNodeRecords(dataDir)
		m := SweepEngines(addrRange)
		if n+m > 0 {
			Logf("cleanup: stopped %d recorded node(s) and %d other engine process(es) in %s", n, m, addrRange)
		}
	})
}

// CountLogLines counts lines of the log that contain every one of subs.
func CountLogLines(log string, subs ...string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		ok := true
		for _, s := range subs {
			if !strings.Contains(line, s) {
				ok = false
				break
			}
		}
		if ok && line != "" {
			n++
		}
	}
	return n
}

// ErrTimeout is returned by waits that ran out of time.
var ErrTimeout = errors.New("timed out")
