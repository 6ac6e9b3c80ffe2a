package sdk_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/cacheplane/cacheplane/internal/autodiscovery"
	"github.com/cacheplane/cacheplane/internal/driver"
	"github.com/cacheplane/cacheplane/internal/driver/process"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/hostinfo"
	"github.com/cacheplane/cacheplane/internal/httpapi"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/reconcile"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/sigv4"
	"github.com/cacheplane/cacheplane/internal/store"
	"github.com/cacheplane/cacheplane/internal/tlsca"
)

const (
	region    = "us-east-1"
	accountID = "000000000000"
	keyID     = "AKIDSDKE2ETEST"
	secretKey = "sdk-e2e-secret-access-key"
)

// requireEngines skips the test when an engine binary is not installed.
func requireEngines(t *testing.T, engines ...engine.Name) {
	t.Helper()
	for _, e := range engines {
		if _, err := exec.LookPath(e.BinaryName()); err != nil {
			t.Skipf("%s is not installed: %v", e.BinaryName(), err)
		}
	}
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one test's world: a data directory and a node address range, which
// outlive the servers started over them.
type env struct {
	t           *testing.T
	dataDir     string
	first, last netip.Addr
	log         *syncBuffer

	mu  sync.Mutex
	srv *server // the running server, nil between a shutdown and the next start
}

// newEnv reserves 127.78.<block>.1-254 for the test.
func newEnv(t *testing.T, block int) *env {
	t.Helper()
	e := &env{
		t:       t,
		dataDir: t.TempDir(),
		first:   netip.AddrFrom4([4]byte{127, 78, byte(block), 1}),
		last:    netip.AddrFrom4([4]byte{127, 78, byte(block), 254}),
		log:     &syncBuffer{},
	}
	t.Cleanup(e.cleanup)
	return e
}

// server is cacheplane serve, constructed as cmd/cacheplane does it.
type server struct {
	st      *store.Store
	drv     *process.Driver
	ads     *autodiscovery.Server
	rec     *reconcile.Reconciler
	http    *httptest.Server
	cancel  context.CancelFunc
	recDone chan struct{}
	client  *elasticache.Client
	once    sync.Once
}

// start runs a server over the env's data directory.
func (e *env) start() *server {
	t := e.t
	t.Helper()
	log := slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := os.MkdirAll(e.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := tlsca.Open(filepath.Join(e.dataDir, "tls"))
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	binaries := engine.NewBinaryCache(nil)
	drv := process.New(process.Options{Logger: log, StateDir: filepath.Join(e.dataDir, "driver")})
	ads := autodiscovery.New(log)
	rec := reconcile.New(reconcile.Config{
		Store: st, Driver: drv, NodesDir: filepath.Join(e.dataDir, "nodes"),
		Binaries: binaries.Find, Logger: log, TLS: reconcile.TLSFromAuthority(ca),
		ConfigEndpoints: ads, ConfigTLS: reconcile.ConfigTLSFromAuthority(ca),
		Resync: 10 * time.Second,
	})
	svc := service.New(service.Config{
		Region: region, AccountID: accountID, Quotas: service.DefaultQuotas(),
		HostMemoryBytes: hostinfo.MemoryBytes(), AllowMemoryOvercommit: false,
		NodeAddresses: service.NewAddressAllocator(e.first, e.last),
		Notify:        rec.Enqueue,
	}, st)
	verifier := &sigv4.Verifier{
		Region: region, Service: "elasticache", AllowUnknownKeys: true, // loopback, as serve on 127.0.0.1
		Secret: func(id string) (string, bool) { return secretKey, id == keyID },
	}
	hs := httptest.NewUnstartedServer(httpapi.New(svc, verifier, log))
	hs.Config.ReadHeaderTimeout = 10 * time.Second
	hs.Config.ReadTimeout = 30 * time.Second
	hs.Config.IdleTimeout = 2 * time.Minute
	hs.Start()

	ctx, cancel := context.WithCancel(context.Background())
	s := &server{st: st, drv: drv, ads: ads, rec: rec, http: hs, cancel: cancel, recDone: make(chan struct{})}
	go func() { rec.Run(ctx); close(s.recDone) }()

	s.client = elasticache.New(elasticache.Options{
		Region:       region,
		BaseEndpoint: aws.String(hs.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secretKey, ""),
		HTTPClient:   hs.Client(),
	})
	e.mu.Lock()
	e.srv = s
	e.mu.Unlock()
	return s
}

// shutdown stops the server WITHOUT stopping its nodes, as serve does without
// --stop-nodes-on-exit: HTTP, then the reconciler, then the driver, then the store.
func (e *env) shutdown(s *server) {
	s.once.Do(func() {
		s.http.Close()
		s.cancel()
		<-s.recDone
		s.ads.Close()
		s.drv.Close()
		if err := s.st.Close(); err != nil {
			e.t.Errorf("closing the store: %v", err)
		}
	})
	e.mu.Lock()
	if e.srv == s {
		e.srv = nil
	}
	e.mu.Unlock()
}

// cleanup removes every node still recorded (if a server runs), shuts the
// server down, and then makes sure no engine process of this test survives.
func (e *env) cleanup() {
	t := e.t
	e.mu.Lock()
	s := e.srv
	e.mu.Unlock()
	if s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.cancel() // no new passes: the reconciler must not restart what we stop
		<-s.recDone
		var specs []driver.NodeSpec
		_ = s.st.View(func(tx *store.Tx) error {
			return tx.Clusters("", func(c *model.Cluster) bool {
				for _, n := range c.Spec.Nodes {
					specs = append(specs, driver.NodeSpec{ID: model.NodeKey(c.Spec.ID, n.ID), Dir: filepath.Join(e.dataDir, "nodes", c.Spec.ID, n.ID)})
				}
				return true
			})
		})
		for _, spec := range specs {
			if err := s.drv.Remove(ctx, spec); err != nil {
				t.Errorf("cleanup: removing node %s: %v", spec.ID, err)
			}
		}
		cancel()
		e.shutdown(s)
	}
	if left := enginePIDs(e.dataDir); len(left) > 0 {
		t.Errorf("engine processes of this test survived: %v; killing them", left)
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && len(enginePIDs(e.dataDir)) > 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if t.Failed() {
		t.Logf("server log:\n%s", e.log.String())
	}
}

// enginePIDs lists the processes whose command line mentions dir or whose
// working directory is inside it (memcached's argv names no path; the driver
// runs every node with its node directory as working directory).
// It is `pgrep -f dir` plus the working-directory check.
func enginePIDs(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == self {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", ent.Name(), "cwd"))
		if bytes.Contains(cmd, []byte(dir)) || cwd == dir || strings.HasPrefix(cwd, dir+"/") {
			if state := procState(pid); state == "Z" || state == "" {
				continue // a zombie or already gone
			}
			out = append(out, pid)
		}
	}
	return out
}

// procState is the state letter of /proc/<pid>/stat ("" if the process is gone).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2])
}

// alive reports whether pid is a live (non-zombie) process.
func alive(pid int) bool {
	s := procState(pid)
	return s != "" && s != "Z"
}

// freePort returns a TCP port nothing listens on right now (the allocator
// still checks the bind on the node's own address).
func freePort(t *testing.T) int32 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return int32(l.Addr().(*net.TCPAddr).Port)
}

// nodePIDs reads the node PIDs the reconciler recorded for a cluster.
func nodePIDs(t *testing.T, st *store.Store, id string) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := st.View(func(tx *store.Tx) error {
		c, err := tx.Cluster(id)
		if err != nil || c == nil {
			return errors.Join(err, fmt.Errorf("no cluster %s in the store", id))
		}
		for _, n := range c.Status.Nodes {
			out[n.ID] = n.PID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waiterOpts makes the SDK waiters poll fast (AWS's 15 s would make this suite slow).
func availableOpts(o *elasticache.CacheClusterAvailableWaiterOptions) {
	o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
}

func deletedOpts(o *elasticache.CacheClusterDeletedWaiterOptions) {
	o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
}

// logLines returns the server's JSON log records with the given msg.
func (e *env) logLines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(e.log.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// --- a tiny RESP client ---

type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRESP(t *testing.T, addr string) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &respConn{c: c, r: bufio.NewReader(c)}
}

// do sends one command and returns its reply: a string for simple and bulk
// strings and integers, nil for a null bulk string; a server error is an error.
func (r *respConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(r.c, b.String()); err != nil {
		return nil, err
	}
	return r.reply()
}

func (r *respConn) line() (string, error) {
	s, err := r.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(s, "\r\n") {
		return "", fmt.Errorf("RESP line without CRLF: %q", s)
	}
	return s[:len(s)-2], nil
}

func (r *respConn) reply() (any, error) {
	l, err := r.line()
	if err != nil {
		return nil, err
	}
	if l == "" {
		return nil, errors.New("empty RESP reply")
	}
	switch l[0] {
	case '+', ':':
		return l[1:], nil
	case '-':
		return nil, errors.New(l[1:])
	case '$':
		n, err := strconv.Atoi(l[1:])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	}
	return nil, fmt.Errorf("unexpected RESP reply %q", l)
}

// memcachedCmd sends one text-protocol line and returns the first reply line.
func memcachedCmd(t *testing.T, addr, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("%s: reading the reply to %q: %v", addr, cmd, err)
	}
	return strings.TrimRight(line, "\r\n")
}
