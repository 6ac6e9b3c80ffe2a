package process

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// pollInterval is how often the /proc fallback checks an adopted process
// when pidfds are unavailable (Linux < 5.3 or a seccomp filter).
const pollInterval = 500 * time.Millisecond

// watcher notices the death of a process that is not our child (an adopted
// node), without busy loops: a pidfd registered with the Go runtime's
// netpoller (no thread is blocked per watched process), or, if pidfds are not
// available, a light poll of /proc.
type watcher struct {
	quit chan struct{}
	once sync.Once
	f    *os.File // pidfd; nil when polling /proc
}

// release stops the watcher without reporting anything.
func (w *watcher) release() {
	w.once.Do(func() {
		close(w.quit)
		if w.f != nil {
			_ = w.f.Close() // unblocks a pending RawConn.Read
		}
	})
}

func (w *watcher) released() bool {
	select {
	case <-w.quit:
		return true
	default:
		return false
	}
}

// watchExternal starts watching pid, which must have been verified to be the
// process started at startTime. onExit is called once, from another
// goroutine, when the process is gone (or has become a zombie), unless the
// watcher was released first.
func watchExternal(pid int, startTime uint64, onExit func()) *watcher {
	w := &watcher{quit: make(chan struct{})}
	f, err := openPidfd(pid)
	if err != nil {
		go w.poll(pid, startTime, onExit)
		return w
	}
	// The PID might have been reused between verification and pidfd_open;
	// checking again now that the pidfd pins the process closes that race.
	if !aliveAs(pid, startTime) {
		_ = f.Close()
		go func() {
			if !w.released() {
				onExit()
			}
		}()
		return w
	}
	w.f = f
	go w.waitPidfd(pid, startTime, onExit)
	return w
}

func openPidfd(pid int) (*os.File, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.EINVAL) { // kernels before 5.10 lack PIDFD_NONBLOCK
		fd, err = unix.PidfdOpen(pid, 0)
		if err == nil {
			if err = unix.SetNonblock(fd, true); err != nil {
				_ = unix.Close(fd)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	// A non-blocking fd handed to os.NewFile is registered with the
	// runtime netpoller; a pidfd becomes readable when the process exits.
	return os.NewFile(uintptr(fd), fmt.Sprintf("pidfd:%d", pid)), nil
}

// waitPidfd blocks the calling goroutine (not a thread: the fd is parked in
// the netpoller) until the pidfd f is readable, i.e. the process has exited,
// or f is closed. pollErr decides what a failing poll(2) means.
func waitPidfd(f *os.File, pollErr func() bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		if err != nil {
			return pollErr()
		}
		return n > 0
	})
}

func (w *watcher) waitPidfd(pid int, startTime uint64, onExit func()) {
	// A failing poll(2) should not happen; decide from /proc instead.
	err := waitPidfd(w.f, func() bool { return !aliveAs(pid, startTime) })
	if w.released() {
		return
	}
	_ = w.f.Close()
	if err != nil {
		// The runtime could not poll this fd; fall back to /proc.
		w.poll(pid, startTime, onExit)
		return
	}
	onExit()
}

func (w *watcher) poll(pid int, startTime uint64, onExit func()) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if !aliveAs(pid, startTime) {
			if !w.released() {
				onExit()
			}
			return
		}
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
	}
}
