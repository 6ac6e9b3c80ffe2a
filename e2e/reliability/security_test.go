package reliability

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// rawResponse is an answer to a hand-made request.
type rawResponse struct {
	status        int
	code, message string
	body          []byte
}

// signer signs req, whose body hashes to payloadHash; nil sends it unsigned.
type signer func(req *http.Request, payloadHash string) error

func signAs(id, secret, service, region string, at time.Time) signer {
	return func(req *http.Request, payloadHash string) error {
		return v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
			req, payloadHash, service, region, at)
	}
}

// rawCall POSTs a Query request to the server.
func rawCall(t *testing.T, s *server, form url.Values, sign signer) rawResponse {
	t.Helper()
	if form.Get("Version") == "" {
		form.Set("Version", "2015-02-02")
	}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, s.endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if sign != nil {
		sum := sha256.Sum256([]byte(body))
		if err := sign(req, hex.EncodeToString(sum[:])); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := s.httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := rawResponse{status: resp.StatusCode, body: b}
	var doc struct {
		Error struct{ Code, Message string } `xml:"Error"`
	}
	if xml.Unmarshal(b, &doc) == nil {
		out.code, out.message = doc.Error.Code, doc.Error.Message
	}
	return out
}

func describeForm() url.Values { return url.Values{"Action": {"DescribeCacheClusters"}} }

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestSecurityStrictMode(t *testing.T) {
	e := newEnv(t, 5)

	// Off loopback without credentials: refuse to start, and say why.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--listen", "0.0.0.0:0", "--data-dir", e.dataDir, "--node-addresses", e.nodeRange)
	cmd.Env = cleanEnviron()
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("serve --listen 0.0.0.0:0 without credentials: err=%v (ctx %v), output:\n%s", err, ctx.Err(), out)
	}
	for _, want := range []string{"not loopback", "CACHEPLANE_ACCESS_KEY_ID", "CACHEPLANE_SECRET_ACCESS_KEY", "--credentials-file"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("refusal message does not mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "cacheplane ready") {
		t.Errorf("server claimed to be ready:\n%s", out)
	}

	// With credentials it starts, and every request needs them.
	const keyID = "AKIDRELIABILITYTEST1"
	secret := "s3cr3t/" + randomHex(t, 16)
	srv := e.startServer([]string{"--listen", "0.0.0.0:0"},
		"CACHEPLANE_ACCESS_KEY_ID="+keyID, "CACHEPLANE_SECRET_ACCESS_KEY="+secret)
	if !e.log.contains(`auth="configured credentials only"`) {
		t.Errorf("ready line does not say that only configured credentials are accepted")
	}
	now := time.Now()
	for _, tc := range []struct {
		name   string
		sign   signer
		status int
		code   string
	}{
		{"unsigned", nil, 403, "MissingAuthenticationToken"},
		{"wrong secret", signAs(keyID, "not-the-secret", "elasticache", region, now), 403, "SignatureDoesNotMatch"},
		{"unknown key", signAs("AKIDUNKNOWNKEY000000", secret, "elasticache", region, now), 403, "InvalidClientTokenId"},
		{"expired (signed 20 min ago)", signAs(keyID, secret, "elasticache", region, now.Add(-20*time.Minute)), 400, "RequestExpired"},
		{"signed for the future (20 min)", signAs(keyID, secret, "elasticache", region, now.Add(20*time.Minute)), 400, "RequestExpired"},
		{"other region", signAs(keyID, secret, "elasticache", "eu-west-1", now), 403, "SignatureDoesNotMatch"},
		{"other service", signAs(keyID, secret, "ec2", region, now), 403, "SignatureDoesNotMatch"},
		{"right credentials", signAs(keyID, secret, "elasticache", region, now), 200, ""},
	} {
		r := rawCall(t, srv, describeForm(), tc.sign)
		if r.status != tc.status || r.code != tc.code {
			t.Errorf("%s: HTTP %d %s (%s), want %d %s", tc.name, r.status, r.code, r.message, tc.status, tc.code)
		}
		if bytes.Contains(r.body, []byte(secret)) {
			t.Errorf("%s: the answer contains the secret access key", tc.name)
		}
	}

	// The same through the SDK.
	ctx = context.Background()
	if _, err := srv.clientWith(keyID, secret).DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{}); err != nil {
		t.Errorf("SDK with the configured credentials: %v", err)
	}
	for _, tc := range []struct{ id, secret, code string }{
		{keyID, "wrong", "SignatureDoesNotMatch"},
		{"AKIDUNKNOWNKEY000000", secret, "InvalidClientTokenId"},
	} {
		_, err := srv.clientWith(tc.id, tc.secret).DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{})
		if apiCode(err) != tc.code || httpStatus(err) != 403 {
			t.Errorf("SDK as %s/%s: %v, want %s (403)", tc.id, tc.secret, err, tc.code)
		}
	}

	// Nodes of a strict-mode server: loopback only, and none of the server's secrets.
	c := srv.clientWith(keyID, secret)
	if err := createCluster(ctx, c, "strict-mem", "memcached", 1); err != nil {
		t.Fatal(err)
	}
	cc := waitAvailable(t, c, "strict-mem", 15*time.Second)
	ep := nodeEndpoints(cc)["0001"]
	pid := pidListeningOn(e.dataDir, ep)
	if pid == 0 {
		t.Fatalf("no process listens on %s", ep)
	}
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(environ, []byte(secret)) || bytes.Contains(environ, []byte("CACHEPLANE_")) || bytes.Contains(environ, []byte("AWS_")) {
		t.Errorf("node process environment leaks the server's settings: %q", environ)
	}
	checkNodeSockets(t, e, c)
	if e.log.contains(secret) {
		t.Errorf("the server log contains the secret access key")
	}
	if _, err := c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("strict-mem")}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, "strict-mem", 10*time.Second)
	srv.stop(t)

	// On loopback any access key is accepted, but a configured one is still verified.
	srv = e.startServer(nil, "CACHEPLANE_ACCESS_KEY_ID="+keyID, "CACHEPLANE_SECRET_ACCESS_KEY="+secret)
	now = time.Now()
	for _, tc := range []struct {
		name   string
		sign   signer
		status int
		code   string
	}{
		{"loopback, unknown key", signAs("AKIDANYKEY0000000000", "anything", "elasticache", region, now), 200, ""},
		{"loopback, configured key with a wrong secret", signAs(keyID, "not-the-secret", "elasticache", region, now), 403, "SignatureDoesNotMatch"},
		{"loopback, unsigned", nil, 403, "MissingAuthenticationToken"},
		{"loopback, expired", signAs("AKIDANYKEY0000000000", "anything", "elasticache", region, now.Add(-20*time.Minute)), 400, "RequestExpired"},
	} {
		r := rawCall(t, srv, describeForm(), tc.sign)
		if r.status != tc.status || r.code != tc.code {
			t.Errorf("%s: HTTP %d %s (%s), want %d %s", tc.name, r.status, r.code, r.message, tc.status, tc.code)
		}
	}
	srv.stop(t)
}

func TestSecuritySecretsAndFiles(t *testing.T) {
	e := newEnv(t, 4)
	srv := e.startServer(nil)
	sign := func() signer { return signAs("test", "test", "elasticache", region, time.Now()) }
	token := "Tok3n-" + randomHex(t, 20)
	badToken := "Tok3n bad@" + randomHex(t, 20) // a space and '@': not a valid AUTH token
	var tokens = []string{token, badToken}
	for i, tc := range []struct {
		engine, tok string
		tls         bool
		code        string
	}{
		{"redis", token, false, "InvalidParameterValue"},
		{"redis", token, true, "InvalidParameterCombination"},
		{"memcached", token, false, "InvalidParameterValue"},
		{"memcached", token, true, "InvalidParameterCombination"},
		{"memcached", badToken, true, "InvalidParameterValue"},
		{"redis", badToken, false, "InvalidParameterValue"},
	} {
		form := url.Values{
			"Action": {"CreateCacheCluster"}, "CacheClusterId": {"sec-token-" + strconv.Itoa(i)},
			"Engine": {tc.engine}, "CacheNodeType": {"cache.t3.micro"}, "NumCacheNodes": {"1"},
			"AuthToken": {tc.tok},
		}
		if tc.tls {
			form.Set("TransitEncryptionEnabled", "true")
		}
		r := rawCall(t, srv, form, sign())
		if r.status != 400 || r.code != tc.code {
			t.Errorf("create %s (tls=%v) with an AuthToken: HTTP %d %s (%s), want 400 %s", tc.engine, tc.tls, r.status, r.code, r.message, tc.code)
		}
		for _, tok := range tokens {
			for _, form := range []string{tok, url.QueryEscape(tok), xmlEscape(tok)} {
				if bytes.Contains(r.body, []byte(form)) {
					t.Errorf("the answer to create %s (tls=%v) echoes the AUTH token: %s", tc.engine, tc.tls, r.body)
				}
			}
		}
	}
	// Through the SDK too: the error message must not carry it.
	c := srv.client()
	ctx := context.Background()
	_, err := c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sec-token-sdk"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"),
		NumCacheNodes: aws.Int32(1), AuthToken: aws.String(token),
	})
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("SDK create with an AuthToken: %v", err)
	}

	// Real clusters, for the file modes and the sockets.
	for _, cl := range []struct {
		id, engine string
		nodes      int
	}{{"sec-redis", "redis", 1}, {"sec-mem", "memcached", 2}} {
		if err := createCluster(ctx, c, cl.id, cl.engine, cl.nodes); err != nil {
			t.Fatal(err)
		}
	}
	waitAvailable(t, c, "sec-redis", 15*time.Second)
	waitAvailable(t, c, "sec-mem", 15*time.Second)

	for _, tok := range tokens {
		if e.log.contains(tok) || e.log.contains(url.QueryEscape(tok)) {
			t.Errorf("the server log contains an AUTH token")
		}
		for _, p := range procsUnder(e.dataDir) {
			if strings.Contains(p.cmdline, tok) {
				t.Errorf("process %v has an AUTH token in its command line", p)
			}
		}
	}
	checkFiles(t, e, tokens)
	checkNodeSockets(t, e, c)

	for _, id := range []string{"sec-redis", "sec-mem"} {
		if _, err := c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, c, id, 10*time.Second)
	}
	srv.stop(t)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// checkFiles checks the modes of the data directory's contents, and that no
// file holds one of the refused tokens.
func checkFiles(t *testing.T, e *testEnv, tokens []string) {
	t.Helper()
	mustBe := map[string]os.FileMode{
		e.dataDir: 0o700,
		filepath.Join(e.dataDir, "cacheplane.db"): 0o600,
		e.nodesDir():                    0o700,
		filepath.Join(e.dataDir, "tls"): 0o700,
		e.nodeDir("sec-redis", "0001"):  0o700,
		filepath.Join(e.nodeDir("sec-redis", "0001"), "redis.conf"): 0o600,
		filepath.Join(e.nodeDir("sec-redis", "0001"), "node.json"):  0o600,
		filepath.Join(e.nodeDir("sec-redis", "0001"), "node.log"):   0o600,
		e.nodeDir("sec-mem", "0001"):                                0o700,
		e.nodeDir("sec-mem", "0002"):                                0o700,
		filepath.Join(e.nodeDir("sec-mem", "0002"), "node.json"):    0o600,
	}
	for path, want := range mustBe {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", path, got, want)
		}
	}
	var modes []string
	err := filepath.WalkDir(e.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.dataDir, path)
		perm := fi.Mode().Perm()
		switch {
		case d.IsDir():
			if perm&0o077 != 0 {
				t.Errorf("directory %s is open to group or others (mode %o)", rel, perm)
			}
		case fi.Mode().IsRegular():
			modes = append(modes, rel+"="+strconv.FormatUint(uint64(perm), 8))
			if strings.HasSuffix(path, "key.pem") || strings.HasSuffix(path, ".key") || strings.HasSuffix(path, ".conf") || strings.HasSuffix(path, ".db") || strings.HasSuffix(path, ".json") {
				if perm&0o077 != 0 {
					t.Errorf("%s is open to group or others (mode %o)", rel, perm)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, tok := range tokens {
				if bytes.Contains(b, []byte(tok)) {
					t.Errorf("%s (mode %o) contains a refused AUTH token", rel, perm)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	t.Logf("file modes: %s", strings.Join(modes, " "))
}

// checkNodeSockets checks that every engine process of the data dir is bound
// to loopback only: one TCP listener, on its node's described endpoint, and
// no UDP socket.
func checkNodeSockets(t *testing.T, e *testEnv, c *elasticache.Client) {
	t.Helper()
	clusters, err := describeAll(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]netip.AddrPort{} // node dir -> endpoint
	for _, cc := range clusters {
		for node, ep := range nodeEndpoints(cc) {
			want[e.nodeDir(aws.ToString(cc.CacheClusterId), node)] = ep
		}
	}
	all := boundSockets()
	procs := engineProcsUnder(e.dataDir)
	if len(procs) != len(want) {
		t.Errorf("%d engine processes for %d nodes: %v", len(procs), len(want), procs)
	}
	for _, p := range procs {
		var listens []netip.AddrPort
		for _, s := range socketsOf(p.pid, all) {
			if !s.addr.Addr().IsLoopback() {
				t.Errorf("%v is bound to %s %s, which is not a loopback address", p, s.proto, s.addr)
			}
			if strings.HasPrefix(s.proto, "udp") {
				t.Errorf("%v has a UDP socket %s", p, s.addr)
			} else {
				listens = append(listens, s.addr)
			}
		}
		if ep, ok := want[p.cwd]; !ok || len(listens) != 1 || listens[0] != ep {
			t.Errorf("%v listens on %v, want only its endpoint %s", p, listens, ep)
		}
	}
}
