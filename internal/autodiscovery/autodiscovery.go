// Package autodiscovery serves the configuration endpoint of memcached
// clusters: an address of its own that answers ElastiCache's Auto Discovery
// commands (`config get cluster`, and `get AmazonElastiCache:cluster` of
// engines before 1.4.14) with the cluster's node list, byte for byte in AWS's
// format, and relays every other connection to a node of the cluster, as
// resolving an AWS configuration endpoint leads to one of its nodes.
package autodiscovery

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Node is one node as Auto Discovery lists it.
type Node struct {
	Host string // DNS name AWS would give; here the node's address
	IP   string
	Port int
}

// Cluster is what the configuration endpoint of one cluster serves.
type Cluster struct {
	ID      string
	Address string // the configuration endpoint
	Port    int
	Version int    // configuration version: goes up by one with every node change
	Nodes   []Node // available nodes only: a node being created is not listed
	TLS     *tls.Config
}

// Server runs the configuration endpoints.
type Server struct {
	log *slog.Logger

	mu        sync.Mutex
	endpoints map[string]*endpoint
	closed    bool
}

// New returns a Server with no endpoints.
func New(log *slog.Logger) *Server {
	return &Server{log: log, endpoints: map[string]*endpoint{}}
}

type endpoint struct {
	ln   net.Listener
	addr string
	mu   sync.Mutex
	view Cluster
	done chan struct{}
}

// Ensure serves c's configuration endpoint, starting its listener if needed and
// updating the node list it answers with.
func (s *Server) Ensure(c Cluster) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("autodiscovery: server closed")
	}
	addr := net.JoinHostPort(c.Address, strconv.Itoa(c.Port))
	if ep := s.endpoints[c.ID]; ep != nil {
		if ep.addr == addr {
			ep.mu.Lock()
			ep.view = c
			ep.mu.Unlock()
			return nil
		}
		ep.close()
		delete(s.endpoints, c.ID)
	}
	var ln net.Listener
	var err error
	if c.TLS != nil {
		ln, err = tls.Listen("tcp", addr, c.TLS)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("configuration endpoint of %s: %w", c.ID, err)
	}
	ep := &endpoint{ln: ln, addr: addr, view: c, done: make(chan struct{})}
	s.endpoints[c.ID] = ep
	go ep.serve(s.log)
	s.log.Info("configuration endpoint serving", "cluster", c.ID, "endpoint", addr, "nodes", len(c.Nodes))
	return nil
}

// Remove stops serving a cluster's configuration endpoint.
func (s *Server) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep := s.endpoints[id]; ep != nil {
		ep.close()
		delete(s.endpoints, id)
	}
}

// Close stops every endpoint.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for id, ep := range s.endpoints {
		ep.close()
		delete(s.endpoints, id)
	}
}

func (ep *endpoint) close() {
	ep.ln.Close()
	<-ep.done
}

func (ep *endpoint) serve(log *slog.Logger) {
	defer close(ep.done)
	for {
		conn, err := ep.ln.Accept()
		if err != nil {
			return
		}
		go ep.handle(conn, log)
	}
}

func (ep *endpoint) snapshot() Cluster {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.view
}

// handle answers Auto Discovery commands itself; at the first other command it
// relays the connection (including what it has read) to a node.
func (ep *endpoint) handle(conn net.Conn, log *slog.Logger) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Minute))
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		view := ep.snapshot()
		switch strings.Join(strings.Fields(cmd), " ") {
		case "config get cluster":
			if _, err := io.WriteString(conn, ConfigReply("CONFIG cluster", view)); err != nil {
				return
			}
			continue
		case "get AmazonElastiCache:cluster":
			if _, err := io.WriteString(conn, ConfigReply("VALUE AmazonElastiCache:cluster", view)); err != nil {
				return
			}
			continue
		case "quit":
			return
		}
		_ = conn.SetReadDeadline(time.Time{})
		ep.relay(conn, r, line, view, log)
		return
	}
}

func (ep *endpoint) relay(client net.Conn, buffered *bufio.Reader, first string, view Cluster, log *slog.Logger) {
	if len(view.Nodes) == 0 {
		_, _ = io.WriteString(client, "SERVER_ERROR no cache node of this cluster is available\r\n")
		return
	}
	var upstream net.Conn
	var err error
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	for _, n := range view.Nodes {
		addr := net.JoinHostPort(n.IP, strconv.Itoa(n.Port))
		if view.TLS != nil {
			upstream, err = tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) // our own node, on loopback
		} else {
			upstream, err = dialer.DialContext(context.Background(), "tcp", addr)
		}
		if err == nil {
			break
		}
	}
	if err != nil {
		log.Warn("configuration endpoint could not reach a node", "cluster", view.ID, "err", err)
		_, _ = io.WriteString(client, "SERVER_ERROR cache nodes unreachable\r\n")
		return
	}
	defer upstream.Close()
	if _, err := io.WriteString(upstream, first); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, buffered); closeWrite(upstream); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, upstream); closeWrite(client); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}

// ConfigReply renders the Auto Discovery answer (aws-behaviour.md §7.2):
//
//	CONFIG cluster 0 <bytes>\r\n<version>\n<host>|<ip>|<port> ...\n\r\nEND\r\n
//
// where <bytes> counts the version line and the node line with their \n, and
// nodes are sorted by host name. head is "CONFIG cluster" or, for the
// pre-1.4.14 form, "VALUE AmazonElastiCache:cluster".
func ConfigReply(head string, c Cluster) string {
	nodes := append([]Node(nil), c.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Host < nodes[j].Host })
	entries := make([]string, len(nodes))
	for i, n := range nodes {
		entries[i] = fmt.Sprintf("%s|%s|%d", n.Host, n.IP, n.Port)
	}
	data := strconv.Itoa(c.Version) + "\n" + strings.Join(entries, " ") + "\n"
	return fmt.Sprintf("%s 0 %d\r\n%s\r\nEND\r\n", head, len(data), data)
}
