package autodiscovery

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The documented example (aws-behaviour.md §7.2) must come out byte for byte.
func TestConfigReplyMatchesAWSExample(t *testing.T) {
	c := Cluster{Version: 12, Nodes: []Node{
		{Host: "myCluster.pc4ldq.0002.use1.cache.amazonaws.com", IP: "10.80.249.27", Port: 11211},
		{Host: "myCluster.pc4ldq.0001.use1.cache.amazonaws.com", IP: "10.82.235.120", Port: 11211},
	}}
	want := "CONFIG cluster 0 136\r\n12\n" +
		"myCluster.pc4ldq.0001.use1.cache.amazonaws.com|10.82.235.120|11211 myCluster.pc4ldq.0002.use1.cache.amazonaws.com|10.80.249.27|11211\n\r\nEND\r\n"
	if got := ConfigReply("CONFIG cluster", c); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func freeAddr(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1", l.Addr().(*net.TCPAddr).Port
}

// fakeNode answers every line with "node:<line>".
func fakeNode(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					_, _ = io.WriteString(c, "node:"+line)
				}
			}()
		}
	}()
	return "127.0.0.1", l.Addr().(*net.TCPAddr).Port
}

func TestEndpointAnswersConfigAndRelaysTheRest(t *testing.T) {
	nodeIP, nodePort := fakeNode(t)
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer s.Close()
	addr, port := freeAddr(t)
	c := Cluster{ID: "mc", Address: addr, Port: port, Version: 1, Nodes: []Node{{Host: nodeIP, IP: nodeIP, Port: nodePort}}}
	if err := s.Ensure(c); err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(addr, strconv.Itoa(port)), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	_, _ = io.WriteString(conn, "config get cluster\r\n")
	want := ConfigReply("CONFIG cluster", c)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil || string(got) != want {
		t.Fatalf("config reply %q (%v), want %q", got, err, want)
	}
	_, _ = io.WriteString(conn, "version\r\n")
	line, err := r.ReadString('\n')
	if err != nil || line != "node:version\r\n" {
		t.Fatalf("relayed reply %q (%v)", line, err)
	}

	// An update changes the answer of new connections without a new listener.
	c.Version = 2
	c.Nodes = append(c.Nodes, Node{Host: "127.0.0.2", IP: "127.0.0.2", Port: 11211})
	if err := s.Ensure(c); err != nil {
		t.Fatal(err)
	}
	conn2, err := net.Dial("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	_, _ = io.WriteString(conn2, "get AmazonElastiCache:cluster\r\n")
	r2 := bufio.NewReader(conn2)
	head, _ := r2.ReadString('\n')
	if !strings.HasPrefix(head, "VALUE AmazonElastiCache:cluster 0 ") {
		t.Fatalf("legacy reply head %q", head)
	}
	version, _ := r2.ReadString('\n')
	if version != "2\n" {
		t.Fatalf("version line %q", version)
	}

	s.Remove("mc")
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, strconv.Itoa(port)), 200*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("endpoint still listening after Remove")
	}
}
