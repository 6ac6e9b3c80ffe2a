package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/sdkhttp"
)

const region = "us-east-1"

// testEnv is one test's data directory, node range and servers. Its cleanup
// kills every server it started and every process running inside the data
// directory, and saves the servers' log when the test failed.
type testEnv struct {
	t         *testing.T
	dataDir   string
	nodeRange string
	log       *logBuffer

	mu      sync.Mutex
	servers []*server
}

// newEnv prepares a test using the node range 127.81.<n>.1-127.81.<n>.254.
func newEnv(t *testing.T, n int) *testEnv {
	t.Helper()
	requireEngines(t)
	dir := t.TempDir() // removed after the cleanup below has run
	e := &testEnv{
		t:         t,
		dataDir:   filepath.Join(dir, "data"),
		nodeRange: fmt.Sprintf("127.81.%d.1-127.81.%d.254", n, n),
		log:       &logBuffer{},
	}
	t.Cleanup(e.cleanup)
	return e
}

func (e *testEnv) cleanup() {
	e.mu.Lock()
	servers := slices.Clone(e.servers)
	e.mu.Unlock()
	for _, s := range servers {
		s.kill()
	}
	if left := killProcsUnder(e.dataDir); len(left) > 0 {
		e.t.Errorf("processes of %s still running after SIGKILL: %v", e.dataDir, left)
	}
	if e.log.contains("WARNING: DATA RACE") {
		e.t.Errorf("the server reported a data race (see its log)")
	}
	if e.log.contains("panic: ") || e.log.contains("fatal error: ") {
		e.t.Errorf("the server panicked (see its log)")
	}
	if e.t.Failed() || os.Getenv("CACHEPLANE_SAVE_LOG") == "1" {
		name := strings.NewReplacer("/", "_", " ", "_").Replace(e.t.Name())
		path := filepath.Join(os.TempDir(), "cacheplane-reliability-"+name+".log")
		if err := os.WriteFile(path, e.log.bytes(), 0o600); err == nil {
			e.t.Logf("server log saved to %s; its end:\n%s", path, e.log.tail(40))
		} else {
			e.t.Logf("server log (end):\n%s", e.log.tail(40))
		}
	}
}

// server is one run of the cacheplane binary.
type server struct {
	e        *testEnv
	n        int // sequence number within the test, for the log
	cmd      *exec.Cmd
	pid      int
	addr     string // HOST:PORT of the ready line
	endpoint string // http://127.0.0.1:PORT
	readyAt  time.Time
	done     chan struct{}
	waitErr  error
	httpc    *http.Client
}

var readyRE = regexp.MustCompile(`msg="cacheplane ready" listen=(\S+)`)

// cleanEnviron is the test's environment without CACHEPLANE_* and AWS_* variables.
func cleanEnviron(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CACHEPLANE_") || strings.HasPrefix(kv, "AWS_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// startServer runs `cacheplane serve` on the env's data directory and node
// range, with --listen 127.0.0.1:0 unless args name another --listen, and
// waits for its ready line.
func (e *testEnv) startServer(args []string, environ ...string) *server {
	e.t.Helper()
	s, err := e.tryStart(args, environ...)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *testEnv) tryStart(args []string, environ ...string) (*server, error) {
	full := []string{"serve", "--data-dir", e.dataDir, "--node-addresses", e.nodeRange}
	if !slices.Contains(args, "--listen") {
		full = append(full, "--listen", "127.0.0.1:0")
	}
	full = append(full, args...)
	cmd := exec.Command(binary, full...)
	cmd.Env = cleanEnviron(environ...)
	cmd.Stdout = nil
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	n := len(e.servers) + 1
	e.mu.Unlock()
	s := &server{e: e, n: n, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.pid = cmd.Process.Pid
	e.mu.Lock()
	e.servers = append(e.servers, s)
	e.mu.Unlock()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		prefix := fmt.Sprintf("[server %d pid %d] ", n, s.pid)
		for sc.Scan() {
			line := sc.Text()
			e.log.add(prefix + line)
			if m := readyRE.FindStringSubmatch(line); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case addr := <-ready:
		s.readyAt = time.Now()
		s.addr = addr
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			s.kill()
			return nil, fmt.Errorf("ready line names %q: %v", addr, err)
		}
		s.endpoint = "http://" + net.JoinHostPort("127.0.0.1", port)
		s.httpc = &http.Client{
			Timeout:   20 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second},
		}
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before it was ready (%v):\n%s", s.waitErr, e.log.tail(20))
	case <-timer.C:
		s.kill()
		return nil, fmt.Errorf("server not ready after 60s:\n%s", e.log.tail(20))
	}
}

// kill kills the server with SIGKILL (by PID) and waits until it is reaped.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL) // safe after reaping: os.Process tracks that
	<-s.done
	if s.httpc != nil {
		s.httpc.CloseIdleConnections()
	}
}

// running tells whether the server process has not exited.
func (s *server) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if !s.running() {
		t.Fatalf("server %d already exited: %v", s.n, s.waitErr)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Errorf("server %d did not exit within 30s of SIGTERM; killing it", s.n)
		s.kill()
	}
	if s.waitErr != nil {
		t.Errorf("server %d exited with %v after SIGTERM", s.n, s.waitErr)
	}
	if s.httpc != nil {
		s.httpc.CloseIdleConnections()
	}
}

// client is an SDK client for the server with static credentials and no retries.
func (s *server) client() *elasticache.Client { return s.clientWith("test", "test") }

func (s *server) clientWith(id, secret string) *elasticache.Client {
	return elasticache.New(elasticache.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.BufferedBody{Client: s.httpc},
	})
}

// nodesDir is DATA/nodes.
func (e *testEnv) nodesDir() string { return filepath.Join(e.dataDir, "nodes") }

func (e *testEnv) nodeDir(cluster, node string) string {
	return filepath.Join(e.dataDir, "nodes", cluster, node)
}

// logBuffer collects the servers' stderr.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(line string) {
	b.mu.Lock()
	b.lines = append(b.lines, line)
	b.mu.Unlock()
}

func (b *logBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (b *logBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return []byte(strings.Join(b.lines, "\n") + "\n")
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines[max(0, len(b.lines)-n):], "\n")
}

// grep returns the lines containing s.
func (b *logBuffer) grep(s string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// ---- API helpers ----

// apiCode is the AWS error code of err ("" when err is not an API error).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus is the HTTP status of the response that err came with (0: none).
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isTransport tells whether err came without any HTTP response.
func isTransport(err error) bool { return err != nil && httpStatus(err) == 0 }

// describeAll lists every cluster with node info, following markers.
func describeAll(ctx context.Context, c *elasticache.Client) ([]types.CacheCluster, error) {
	var out []types.CacheCluster
	var marker *string
	for {
		res, err := c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{
			ShowCacheNodeInfo: aws.Bool(true), MaxRecords: aws.Int32(100), Marker: marker,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, res.CacheClusters...)
		if res.Marker == nil || *res.Marker == "" {
			return out, nil
		}
		marker = res.Marker
	}
}

func createCluster(ctx context.Context, c *elasticache.Client, id, engine string, nodes int) error {
	_, err := c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String(id), Engine: aws.String(engine),
		CacheNodeType: aws.String("cache.t3.micro"), NumCacheNodes: aws.Int32(int32(nodes)),
	})
	return err
}

// waitAvailable waits until the cluster is available and returns it with node info.
func waitAvailable(t *testing.T, c *elasticache.Client, id string, timeout time.Duration) types.CacheCluster {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		res, err := c.DescribeCacheClusters(context.Background(), &elasticache.DescribeCacheClustersInput{
			CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(true),
		})
		if err == nil && len(res.CacheClusters) == 1 {
			cc := res.CacheClusters[0]
			if aws.ToString(cc.CacheClusterStatus) == "available" {
				return cc
			}
			last = aws.ToString(cc.CacheClusterStatus)
		} else {
			last = fmt.Sprint(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster %s not available after %s (last: %s)", id, timeout, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone waits until describing the cluster answers CacheClusterNotFound.
func waitGone(t *testing.T, c *elasticache.Client, id string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.DescribeCacheClusters(context.Background(), &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id)})
		if apiCode(err) == "CacheClusterNotFound" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster %s still there after %s (%v)", id, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// endpoints of a described cluster's nodes, by node id.
func nodeEndpoints(cc types.CacheCluster) map[string]netip.AddrPort {
	out := map[string]netip.AddrPort{}
	for _, n := range cc.CacheNodes {
		if n.Endpoint == nil {
			continue
		}
		a, err := netip.ParseAddr(aws.ToString(n.Endpoint.Address))
		if err != nil {
			continue
		}
		out[aws.ToString(n.CacheNodeId)] = netip.AddrPortFrom(a, uint16(aws.ToInt32(n.Endpoint.Port)))
	}
	return out
}

// probeNode checks that a node answers its engine's protocol at ep.
func probeNode(engine string, ep netip.AddrPort) error {
	conn, err := net.DialTimeout("tcp", ep.String(), 500*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	req, want := "PING\r\n", "+PONG"
	if engine == "memcached" {
		req, want = "version\r\n", "VERSION "
	}
	if _, err := conn.Write([]byte(req)); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, want) {
		return fmt.Errorf("%s answered %q", ep, line)
	}
	return nil
}

// waitFor polls cond every 10ms until it holds or timeout passes; it returns
// the last explanation cond gave and whether it held.
func waitFor(timeout time.Duration, cond func() (bool, string)) (bool, string) {
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return true, ""
		}
		if time.Now().After(deadline) {
			return false, why
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---- /proc helpers ----

// procInfo describes a live (non-zombie) process.
type procInfo struct {
	pid     int
	exe     string // base name of /proc/PID/exe
	cwd     string // /proc/PID/cwd, without a " (deleted)" suffix
	deleted bool   // the working directory was removed
	cmdline string // argv joined by spaces
	state   byte
}

func (p procInfo) String() string {
	return fmt.Sprintf("pid %d %s [%s] cwd=%s%s", p.pid, p.exe, p.cmdline, p.cwd, map[bool]string{true: " (deleted)"}[p.deleted])
}

// isEngine tells whether p runs an engine, by its executable (Debian's
// redis-server is a link to redis-check-rdb) or its argv[0].
func (p procInfo) isEngine() bool {
	argv0, _, _ := strings.Cut(p.cmdline, " ")
	for _, name := range []string{p.exe, filepath.Base(argv0)} {
		switch name {
		case "redis-server", "redis-check-rdb", "memcached", "valkey-server":
			return true
		}
	}
	return false
}

func readProc(pid int) (procInfo, bool) {
	base := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(base + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return procInfo{}, false
	}
	p := procInfo{pid: pid, state: stat[i+2]}
	if p.state == 'Z' || p.state == 'X' {
		return procInfo{}, false
	}
	if exe, err := os.Readlink(base + "/exe"); err == nil {
		p.exe = filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
	}
	if cwd, err := os.Readlink(base + "/cwd"); err == nil {
		p.cwd, p.deleted = strings.CutSuffix(cwd, " (deleted)")
	}
	if cl, err := os.ReadFile(base + "/cmdline"); err == nil {
		p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(cl), "\x00", " "))
	}
	return p, true
}

// procsUnder lists the live processes whose command line mentions dir or
// whose working directory is inside it.
func procsUnder(dir string) []procInfo {
	entries, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var out []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		p, ok := readProc(pid)
		if !ok {
			continue
		}
		if strings.Contains(p.cmdline, dir) || p.cwd == dir || strings.HasPrefix(p.cwd, dir+"/") {
			out = append(out, p)
		}
	}
	return out
}

// engineProcsUnder lists the engine processes of a data directory.
func engineProcsUnder(dir string) []procInfo {
	var out []procInfo
	for _, p := range procsUnder(dir) {
		if p.isEngine() {
			out = append(out, p)
		}
	}
	return out
}

// killProcsUnder SIGKILLs, by PID, every process of dir and waits (up to 10s)
// until they are gone; it returns those still alive.
func killProcsUnder(dir string) []procInfo {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps := procsUnder(dir)
		if len(ps) == 0 || time.Now().After(deadline) {
			return ps
		}
		for _, p := range ps {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive tells whether pid is a live, non-zombie process.
func alive(pid int) bool {
	_, ok := readProc(pid)
	return ok
}

// socket is a bound socket found in /proc/net.
type socket struct {
	proto string // tcp, tcp6, udp, udp6
	addr  netip.AddrPort
}

// boundSockets maps socket inodes to the listening TCP and bound UDP sockets of this network namespace.
func boundSockets() map[string]socket {
	out := map[string]socket{}
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open("/proc/net/" + proto)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 {
				continue
			}
			st := fields[3]
			if strings.HasPrefix(proto, "tcp") && st != "0A" { // LISTEN
				continue
			}
			ap, ok := parseProcAddr(fields[1])
			if !ok {
				continue
			}
			out[fields[9]] = socket{proto: proto, addr: ap}
		}
		f.Close()
	}
	return out
}

// parseProcAddr decodes /proc/net/tcp's "0100007F:18EB" (and the IPv6 form).
func parseProcAddr(s string) (netip.AddrPort, bool) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(h)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, false
	}
	// Each 32-bit word is in host (little-endian) order.
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), true
}

// socketsOf lists the bound sockets that pid holds.
func socketsOf(pid int, all map[string]socket) []socket {
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	var out []socket
	for _, fd := range fds {
		l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
		if err != nil || !strings.HasPrefix(l, "socket:[") {
			continue
		}
		if s, ok := all[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")]; ok {
			out = append(out, s)
		}
	}
	return out
}

// pidListeningOn finds the live engine process of dir whose listening socket is ep (0: none).
func pidListeningOn(dir string, ep netip.AddrPort) int {
	all := boundSockets()
	for _, p := range engineProcsUnder(dir) {
		for _, s := range socketsOf(p.pid, all) {
			if strings.HasPrefix(s.proto, "tcp") && s.addr == ep {
				return p.pid
			}
		}
	}
	return 0
}
