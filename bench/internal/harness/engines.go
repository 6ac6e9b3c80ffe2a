package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EngineProcess is an engine process the benchmark started itself (the floor
// of tta, the baseline of dataplane).
type EngineProcess struct {
	PID      int
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
}

// StartEngine writes files into dir and execs binary args there, as the
// process driver does (own session, stdin /dev/null, output to dir/node.log,
// minimal environment), but with nothing else around it. The process is
// stopped at exit if the caller has not stopped it.
func StartEngine(binary string, args []string, dir string, files map[string][]byte) (*EngineProcess, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			return nil, err
		}
	}
	logf, err := os.OpenFile(filepath.Join(dir, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &EngineProcess{PID: cmd.Process.Pid, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	AtExit(p.Stop)
	return p, nil
}

// Stop sends SIGTERM, SIGKILL after 5s, and waits until the process is reaped.
func (p *EngineProcess) Stop() {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// Exited reports whether the process has ended.
func (p *EngineProcess) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// PingRedis sends PING on a new connection and expects +PONG.
func PingRedis(ctx context.Context, addr string) error {
	return oneShot(ctx, addr, "*1\r\n$4\r\nPING\r\n", func(line string) error {
		if line != "+PONG" {
			return fmt.Errorf("PING: %q", line)
		}
		return nil
	})
}

// MemcachedVersion sends "version" on a new connection and expects "VERSION x".
func MemcachedVersion(ctx context.Context, addr string) error {
	return oneShot(ctx, addr, "version\r\n", func(line string) error {
		if !strings.HasPrefix(line, "VERSION ") {
			return fmt.Errorf("version: %q", line)
		}
		return nil
	})
}

func oneShot(ctx context.Context, addr, req string, check func(string) error) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	return check(strings.TrimRight(line, "\r\n"))
}

// WaitAnswer calls probe every poll until it succeeds.
func WaitAnswer(ctx context.Context, probe func(context.Context, string) error, addr string, poll, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := probe(ctx, addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not answer after %v: %v", addr, timeout, err)
		}
		if err := Sleep(ctx, poll); err != nil {
			return err
		}
	}
}
