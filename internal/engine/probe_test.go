package engine

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeServer accepts one connection and answers each line it reads with
// the next canned reply; a reply of "" means "say nothing".
func fakeServer(t *testing.T, replies map[string]string) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for {
			cmd, err := readCommand(r)
			if err != nil {
				return
			}
			reply, ok := replies[cmd]
			if !ok {
				reply = "-ERR unknown command\r\n"
			}
			if reply == "" {
				time.Sleep(time.Second)
				return
			}
			conn.Write([]byte(reply))
		}
	}()
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// readCommand reads a RESP array command and returns its words joined by
// spaces, or a plain text line.
func readCommand(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return line, nil
	}
	var n int
	for _, c := range line[1:] {
		n = n*10 + int(c-'0')
	}
	var words []string
	for i := 0; i < n; i++ {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return "", err
		}
		w, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		words = append(words, strings.TrimRight(w, "\r\n"))
	}
	return strings.Join(words, " "), nil
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func TestProbeFake(t *testing.T) {
	ctx := func() context.Context {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		t.Cleanup(cancel)
		return c
	}
	info := "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
	valkeyInfo := "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n"

	t.Run("redis", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"AUTH tok": "+OK\r\n", "PING": "+PONG\r\n", "INFO server": bulk(info)})
		v, err := Probe(ctx(), Redis, addr, port, "tok", nil)
		if err != nil || v != "7.0.15" {
			t.Errorf("Probe = %q, %v", v, err)
		}
	})
	t.Run("valkey", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"PING": "+PONG\r\n", "INFO server": bulk(valkeyInfo)})
		v, err := Probe(ctx(), Valkey, addr, port, "", nil)
		if err != nil || v != "8.0.1" {
			t.Errorf("Probe = %q, %v", v, err)
		}
	})
	t.Run("noauth", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"PING": "-NOAUTH Authentication required.\r\n"})
		_, err := Probe(ctx(), Redis, addr, port, "", nil)
		var se *ServerError
		if !errors.As(err, &se) || se.Code() != "NOAUTH" || !IsAuthError(err) {
			t.Errorf("Probe error = %v", err)
		}
	})
	t.Run("wrongpass", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"AUTH secret-token-123": "-WRONGPASS invalid username-password pair or user is disabled.\r\n"})
		_, err := Probe(ctx(), Redis, addr, port, "secret-token-123", nil)
		if !IsAuthError(err) || strings.Contains(err.Error(), "secret-token-123") {
			t.Errorf("Probe error = %v", err)
		}
	})
	t.Run("loading", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"PING": "-LOADING Redis is loading the dataset in memory\r\n"})
		_, err := Probe(ctx(), Redis, addr, port, "", nil)
		if err == nil || IsAuthError(err) {
			t.Errorf("Probe error = %v", err)
		}
	})
	t.Run("not pong", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"PING": "+PANG\r\n"})
		if _, err := Probe(ctx(), Redis, addr, port, "", nil); err == nil {
			t.Error("Probe accepted PANG")
		}
	})
	t.Run("memcached", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"version": "VERSION 1.6.22\r\n"})
		v, err := Probe(ctx(), Memcached, addr, port, "", nil)
		if err != nil || v != "1.6.22" {
			t.Errorf("Probe = %q, %v", v, err)
		}
	})
	t.Run("memcached error", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"version": "SERVER_ERROR out of memory\r\n"})
		if _, err := Probe(ctx(), Memcached, addr, port, "", nil); err == nil {
			t.Error("Probe accepted SERVER_ERROR")
		}
	})
	t.Run("silent server honours ctx", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"PING": ""})
		c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := Probe(c, Redis, addr, port, "", nil)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 900*time.Millisecond {
			t.Errorf("Probe = %v after %v", err, time.Since(start))
		}
	})
	t.Run("cancel without deadline", func(t *testing.T) {
		addr, port := fakeServer(t, map[string]string{"version": ""})
		c, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		if _, err := Probe(c, Memcached, addr, port, "", nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Probe = %v, want context.Canceled", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		port := freePort(t)
		if _, err := Probe(ctx(), Redis, "127.0.0.1", port, "", nil); err == nil {
			t.Error("Probe of a closed port succeeded")
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		if _, err := Probe(ctx(), "nope", "127.0.0.1", 6379, "", nil); err == nil {
			t.Error("unknown engine accepted")
		}
		if _, err := Probe(ctx(), Redis, "127.0.0.1", 0, "", nil); err == nil {
			t.Error("port 0 accepted")
		}
	})
}

func TestParseInfo(t *testing.T) {
	got := parseInfo([]byte("# Server\r\nredis_version:7.0.15\r\nos:Linux 6.1 x86_64\r\n\r\n# Clients\r\nconnected_clients:1\r\n"))
	if got["redis_version"] != "7.0.15" || got["os"] != "Linux 6.1 x86_64" || got["connected_clients"] != "1" {
		t.Errorf("parseInfo = %v", got)
	}
}
