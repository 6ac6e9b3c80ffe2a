package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// responders stand in for the engines of the fake driver's nodes: one loopback
// listener per node address, answering the reconciler's health probe (redis
// AUTH/PING/INFO server, memcached version) so that fake nodes become
// available and are probed on every resync exactly as real ones are.
type responders struct {
	mu  sync.Mutex
	lns []net.Listener
	wg  sync.WaitGroup
}

const infoReply = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"

// listen opens count listeners on first, first+1, ... at port.
func listenResponders(first netip.Addr, count, port int) (*responders, error) {
	r := &responders{}
	addr := first
	for i := 0; i < count; i++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(port)))
		if err != nil {
			r.close()
			return nil, fmt.Errorf("responder %d of %d: %w", i+1, count, err)
		}
		r.lns = append(r.lns, ln)
		r.wg.Add(1)
		go r.accept(ln)
		addr = addr.Next()
	}
	return r, nil
}

func (r *responders) accept(ln net.Listener) {
	defer r.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go serveConn(c)
	}
}

func (r *responders) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ln := range r.lns {
		ln.Close()
	}
	r.lns = nil
}

func serveConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		first, err := br.Peek(1)
		if err != nil {
			return
		}
		var reply string
		if first[0] == '*' {
			args, err := readArray(br)
			if err != nil {
				return
			}
			reply = redisReply(args)
		} else {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.TrimSpace(line) == "version" {
				reply = "VERSION 1.6.18\r\n"
			} else {
				reply = "ERROR\r\n"
			}
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

func redisReply(args []string) string {
	if len(args) == 0 {
		return "-ERR empty command\r\n"
	}
	switch strings.ToUpper(args[0]) {
	case "PING":
		return "+PONG\r\n"
	case "AUTH":
		return "+OK\r\n"
	case "INFO":
		return "$" + strconv.Itoa(len(infoReply)) + "\r\n" + infoReply + "\r\n"
	}
	return "-ERR unknown command\r\n"
}

func readArray(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 0 || n > 64 {
		return nil, fmt.Errorf("bad array header %q", line)
	}
	args := make([]string, n)
	for i := range args {
		h, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if len(h) < 2 || h[0] != '$' {
			return nil, fmt.Errorf("bad bulk header %q", h)
		}
		l, err := strconv.Atoi(strings.TrimSpace(h[1:]))
		if err != nil || l < 0 || l > 1<<16 {
			return nil, fmt.Errorf("bad bulk length %q", h)
		}
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:l])
	}
	return args, nil
}
