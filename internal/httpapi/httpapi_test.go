package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/httpapi"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/sigv4"
	"github.com/cacheplane/cacheplane/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	keyID     = "AKIDCACHEPLANETEST"
	secretKey = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ"
	region    = "us-east-1"
	endpoint  = "http://127.0.0.1:9736/"
	formType  = "application/x-www-form-urlencoded; charset=utf-8"
	// requestIDPlaceholder replaces the random request id in golden files.
	requestIDPlaceholder = "00000000-0000-4000-8000-000000000000"
)

// clock is the fixed time of the service, the verifier and the signer.
var clock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
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

type fixture struct {
	h   *httpapi.Handler
	st  *store.Store
	log *syncBuffer
}

func newVerifier() *sigv4.Verifier {
	return &sigv4.Verifier{
		Region: region, Service: "elasticache",
		Secret: func(id string) (string, bool) { return secretKey, id == keyID },
		Now:    func() time.Time { return clock },
	}
}

// newFixture wires the real service (fixed clock and seed, no binds) behind the handler.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(service.Config{
		Region: region, AccountID: "123456789012", Quotas: service.DefaultQuotas(),
		NodeAddresses: &service.AddressAllocator{Base: netip.MustParseAddr("127.77.0.1"), Last: netip.MustParseAddr("127.77.0.254")},
		Now:           func() time.Time { return clock },
		Seed:          1,
	}, st)
	return newFixtureFor(t, svc, st)
}

func newFixtureFor(t *testing.T, svc api.Service, st *store.Store) *fixture {
	buf := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &fixture{h: httpapi.New(svc, newVerifier(), log), st: st, log: buf}
}

// sign signs r as the AWS SDK does for a Query API call.
func sign(t *testing.T, r *http.Request, body string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "elasticache", region, clock); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, body string, signed bool) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", formType)
	r.RemoteAddr = "127.0.0.1:40000"
	if signed {
		sign(t, r, body)
	}
	return r
}

type response struct {
	status int
	header http.Header
	body   string
	reqID  string
}

func (f *fixture) do(t *testing.T, r *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, body: string(b), reqID: res.Header.Get("x-amzn-RequestId")}
	if !uuidRE.MatchString(out.reqID) {
		t.Fatalf("x-amzn-RequestId %q is not a UUID", out.reqID)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q, want text/xml", ct)
	}
	if !strings.Contains(out.body, "<RequestId>"+out.reqID+"</RequestId>") {
		t.Errorf("body does not carry the header's request id %s:\n%s", out.reqID, out.body)
	}
	wellFormed(t, out.body)
	return out
}

func (f *fixture) call(t *testing.T, body string) response {
	t.Helper()
	return f.do(t, post(t, body, true))
}

func wellFormed(t *testing.T, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("response is not well-formed XML: %v\n%s", err, doc)
		}
	}
}

// golden compares the body (request id normalised) with testdata/name.xml.
func golden(t *testing.T, name string, res response) {
	t.Helper()
	got := strings.ReplaceAll(res.body, res.reqID, requestIDPlaceholder)
	path := filepath.Join("testdata", name+".xml")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it)\n got: %s\nwant: %s", path, t.Name(), got, want)
	}
}

const v = "Version=2015-02-02"

// markAvailable plays the reconciler for the golden describe.
func markAvailable(t *testing.T, st *store.Store, id string) {
	t.Helper()
	err := st.Update(func(tx *store.Tx) error {
		c, err := tx.Cluster(id)
		if err != nil || c == nil {
			return errors.Join(err, errors.New("no cluster "+id))
		}
		c.Status.Status = model.StatusAvailable
		c.Status.Nodes = nil
		for _, n := range c.Spec.Nodes {
			c.Status.Nodes = append(c.Status.Nodes, model.NodeStatus{ID: n.ID, Status: model.NodeAvailable, PID: 4242})
		}
		c.Status.ObservedGeneration = c.Spec.Generation
		return tx.PutCluster(c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGoldenClusterLifecycle(t *testing.T) {
	f := newFixture(t)

	res := f.call(t, "Action=CreateCacheCluster&"+v+"&CacheClusterId=Golden-Redis&Engine=redis&CacheNodeType=cache.t3.micro"+
		"&Tags.Tag.1.Key=team&Tags.Tag.1.Value=cache&SecurityGroupIds.SecurityGroupId.1=sg-0123456789abcdef0")
	if res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	golden(t, "create_cache_cluster", res)

	res = f.call(t, "Action=CreateCacheCluster&"+v+"&CacheClusterId=golden-memcached&Engine=memcached&CacheNodeType=cache.t3.micro&NumCacheNodes=2"+
		"&PreferredAvailabilityZones.PreferredAvailabilityZone.1=us-east-1a&PreferredAvailabilityZones.PreferredAvailabilityZone.2=us-east-1b"+
		"&PreferredMaintenanceWindow=sun:23:00-mon:01:30&Port=11300")
	if res.status != 200 {
		t.Fatalf("create memcached: %d %s", res.status, res.body)
	}
	markAvailable(t, f.st, "golden-redis")
	markAvailable(t, f.st, "golden-memcached")

	res = f.call(t, "Action=DescribeCacheClusters&"+v+"&ShowCacheNodeInfo=true")
	if res.status != 200 {
		t.Fatalf("describe: %d %s", res.status, res.body)
	}
	golden(t, "describe_cache_clusters_node_info", res)

	res = f.call(t, "Action=DeleteCacheCluster&"+v+"&CacheClusterId=GOLDEN-REDIS")
	if res.status != 200 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	golden(t, "delete_cache_cluster", res)
}

func TestGoldenErrors(t *testing.T) {
	big := "Action=DescribeCacheClusters&" + v + "&Pad=" + strings.Repeat("a", 2<<20)
	for _, tc := range []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		code   string
	}{
		{"error_cache_cluster_not_found", body("Action=DescribeCacheClusters&" + v + "&CacheClusterId=No-Such-Cluster"), 404, "CacheClusterNotFound"},
		{"error_invalid_parameter_value", body("Action=CreateCacheCluster&" + v + "&CacheClusterId=r1&Engine=redis&CacheNodeType=cache.t3.micro&NumCacheNodes=2"), 400, "InvalidParameterValue"},
		{"error_invalid_identifier", body("Action=CreateCacheCluster&" + v + "&CacheClusterId=bad--id&Engine=redis&CacheNodeType=cache.t3.micro"), 400, "InvalidParameterValue"},
		{"error_missing_action", body(v + "&CacheClusterId=x"), 400, "MissingAction"},
		{"error_invalid_action_unknown", body("Action=DescribeEverything&" + v), 400, "InvalidAction"},
		{"error_invalid_action_version", body("Action=DescribeCacheClusters&Version=2012-11-15"), 400, "InvalidAction"},
		{"error_missing_version", body("Action=DescribeCacheClusters"), 400, "MissingParameter"},
		{"error_missing_parameter", body("Action=DeleteCacheCluster&" + v), 400, "MissingParameter"},
		{"error_missing_authentication_token", func(t *testing.T) *http.Request {
			return post(t, "Action=DescribeCacheClusters&"+v, false)
		}, 403, "MissingAuthenticationToken"},
		{"error_not_implemented", body("Action=ModifyCacheCluster&" + v + "&CacheClusterId=x&NumCacheNodes=2"), 501, "NotImplemented"},
		{"error_request_entity_too_large", body(big), 413, "RequestEntityTooLarge"},
		{"error_invalid_utf8", body("Action=CreateCacheCluster&" + v + "&CacheClusterId=%FF%FEabc&Engine=redis"), 400, "InvalidParameterValue"},
		{"error_duplicate_key", body("Action=CreateCacheCluster&" + v + "&CacheClusterId=a&CacheClusterId=b&Engine=redis"), 400, "InvalidParameterValue"},
		{"error_list_index", body("Action=CreateCacheCluster&" + v + "&CacheClusterId=a&Engine=redis&CacheNodeType=cache.t3.micro&Tags.Tag.99999.Key=k&Tags.Tag.99999.Value=v"), 400, "InvalidParameterValue"},
		{"error_bad_boolean", body("Action=DescribeCacheClusters&" + v + "&ShowCacheNodeInfo=yes"), 400, "InvalidParameterValue"},
		{"error_max_records", body("Action=DescribeCacheClusters&" + v + "&MaxRecords=19"), 400, "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			res := f.do(t, tc.req(t))
			if res.status != tc.status {
				t.Errorf("status = %d, want %d", res.status, tc.status)
			}
			var doc struct {
				XMLName xml.Name `xml:"http://elasticache.amazonaws.com/doc/2015-02-02/ ErrorResponse"`
				Error   struct{ Type, Code, Message string }
				ID      string `xml:"RequestId"`
			}
			if err := xml.Unmarshal([]byte(res.body), &doc); err != nil {
				t.Fatalf("error document: %v\n%s", err, res.body)
			}
			wantType := "Sender"
			if tc.status >= 500 {
				wantType = "Receiver" // NotImplemented is the service's shortcoming, not the caller's
			}
			if doc.Error.Code != tc.code || doc.Error.Type != wantType || doc.Error.Message == "" || doc.ID != res.reqID {
				t.Errorf("error = %+v (id %s), want %s %s with a message", doc.Error, doc.ID, wantType, tc.code)
			}
			golden(t, tc.name, res)
		})
	}
}

func body(s string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request { return post(t, s, true) }
}

// TestGoldenIsDeterministic: two independent fixtures give identical documents.
func TestGoldenIsDeterministic(t *testing.T) {
	var docs []string
	for i := 0; i < 2; i++ {
		f := newFixture(t)
		res := f.call(t, "Action=CreateCacheCluster&"+v+"&CacheClusterId=d&Engine=memcached&CacheNodeType=cache.t3.micro&NumCacheNodes=3&AZMode=cross-az")
		docs = append(docs, strings.ReplaceAll(res.body, res.reqID, requestIDPlaceholder))
	}
	if docs[0] != docs[1] {
		t.Errorf("same clock and seed, different documents:\n%s\n%s", docs[0], docs[1])
	}
}

// TestWrongSignature: a request signed with another secret is refused, and
// nothing of the request reaches the service.
func TestWrongSignature(t *testing.T) {
	f := newFixture(t)
	body := "Action=CreateCacheCluster&" + v + "&CacheClusterId=x&Engine=redis&CacheNodeType=cache.t3.micro"
	r := post(t, body, false)
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: "wrong"}, r, hex.EncodeToString(sum[:]), "elasticache", region, clock); err != nil {
		t.Fatal(err)
	}
	res := f.do(t, r)
	if res.status != 403 || !strings.Contains(res.body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("wrong secret: %d %s", res.status, res.body)
	}
	res = f.call(t, "Action=DescribeCacheClusters&"+v)
	if strings.Contains(res.body, "<CacheClusterId>") {
		t.Errorf("refused create reached the store: %s", res.body)
	}
}

// faultyService panics or fails with a non-AWS error; the handler must hide both.
type faultyService struct{ api.UnimplementedService }

const internalDetail = "boltdb page 4711 corrupted at /var/lib/cacheplane/internal/store.go:99"

func (faultyService) DescribeCacheClusters(context.Context, *api.DescribeCacheClustersMessage) (*api.CacheClusterMessage, error) {
	panic(internalDetail)
}

func (faultyService) DeleteCacheCluster(context.Context, *api.DeleteCacheClusterMessage) (*api.DeleteCacheClusterResult, error) {
	return nil, errors.New(internalDetail)
}

func (faultyService) RebootCacheCluster(context.Context, *api.RebootCacheClusterMessage) (*api.RebootCacheClusterResult, error) {
	var m map[string]int
	m["x"]++ // a runtime error, not a string panic
	return nil, nil
}

func TestInternalFailuresHideInternals(t *testing.T) {
	for _, tc := range []struct{ name, body, logged string }{
		{"panic", "Action=DescribeCacheClusters&" + v, "panic serving request"},
		{"runtime error", "Action=RebootCacheCluster&" + v + "&CacheClusterId=x&CacheNodeIdsToReboot.CacheNodeId.1=0001", "panic serving request"},
		{"plain error", "Action=DeleteCacheCluster&" + v + "&CacheClusterId=x", "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFor(t, faultyService{}, nil)
			res := f.call(t, tc.body)
			if res.status != 500 {
				t.Errorf("status = %d, want 500", res.status)
			}
			if !strings.Contains(res.body, "<Type>Receiver</Type><Code>InternalFailure</Code>") {
				t.Errorf("body is not an InternalFailure Receiver fault:\n%s", res.body)
			}
			for _, leak := range []string{"boltdb", "corrupted", "/var/lib", ".go", "goroutine", "panic", "nil map", "runtime"} {
				if strings.Contains(res.body, leak) {
					t.Errorf("response body leaks %q:\n%s", leak, res.body)
				}
			}
			golden(t, "error_internal_failure", res) // every case gives the same document
			logs := f.log.String()
			if !strings.Contains(logs, tc.logged) || !strings.Contains(logs, res.reqID) {
				t.Errorf("log lacks %q with request id %s:\n%s", tc.logged, res.reqID, logs)
			}
			// The server keeps serving after a panic.
			res = f.call(t, "Action=DescribeCacheEngineVersions&"+v)
			if res.status != 501 {
				t.Errorf("after the failure: %d %s", res.status, res.body)
			}
		})
	}
}

// TestAuthTokenNeverEchoed: no response body and no log line carries an AuthToken.
func TestAuthTokenNeverEchoed(t *testing.T) {
	const token = "Sup3rS3cretT0kenXYZ!&#$^<>-"
	f := newFixture(t)
	base := "Action=CreateCacheCluster&" + v + "&CacheNodeType=cache.t3.micro"
	bodies := []string{
		base + "&CacheClusterId=t1&Engine=redis&AuthToken=" + token,
		base + "&CacheClusterId=t2&Engine=redis&TransitEncryptionEnabled=true&AuthToken=" + token,
		base + "&CacheClusterId=t3&Engine=memcached&TransitEncryptionEnabled=true&AuthToken=" + token,
		base + "&CacheClusterId=t4&Engine=memcached&TransitEncryptionEnabled=true&AuthToken=" + token + "%40%22",
		base + "&CacheClusterId=t5&Engine=memcached&TransitEncryptionEnabled=true&AuthToken=" + token + "&AuthToken=" + token,
		base + "&CacheClusterId=t6&Engine=memcached&TransitEncryptionEnabled=true&AuthToken=" + token + "%FF",
		base + "&CacheClusterId=t7&Engine=redis&AuthToken.Nested=" + token,
		base + "&CacheClusterId=bad--id&Engine=redis&AuthToken=" + token,
		"Action=ModifyCacheCluster&" + v + "&CacheClusterId=t1&AuthToken=" + token + "&AuthTokenUpdateStrategy=SET",
	}
	var res response
	for _, b := range bodies {
		res = f.call(t, b)
		if res.status == 200 {
			t.Errorf("request unexpectedly accepted: %s", b)
		}
		if strings.Contains(res.body, "Sup3rS3cretT0ken") {
			t.Errorf("response echoes the AuthToken:\n%s", res.body)
		}
	}

	// A cluster holding a token (as replication groups will create them) is
	// described and deleted without it.
	err := f.st.Update(func(tx *store.Tx) error {
		now := clock
		return tx.PutCluster(&model.Cluster{
			Spec: model.ClusterSpec{
				ID: "with-token", ARN: model.ClusterARN(region, "123456789012", "with-token"), Engine: "redis", EngineVersion: "7.1",
				CacheNodeType: "cache.t3.micro", NumCacheNodes: 1, Port: 6379, PreferredAZ: "us-east-1a",
				ParameterGroupName: "default.redis7", MaintenanceWindow: "sun:05:00-sun:06:00", SnapshotWindow: "07:00-08:00",
				AuthToken: token, AuthTokenLastModified: &now, TransitEncryptionEnabled: true, NetworkType: "ipv4", IPDiscovery: "ipv4",
				CreatedAt: clock, Generation: 1,
				Nodes: []model.NodeSpec{{ID: "0001", Address: "127.77.0.200", Port: 6379, AZ: "us-east-1a", CreatedAt: clock}},
			},
			Status: model.ClusterStatus{Status: model.StatusAvailable, ObservedGeneration: 1,
				Nodes: []model.NodeStatus{{ID: "0001", Status: model.NodeAvailable}}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{
		"Action=DescribeCacheClusters&" + v + "&ShowCacheNodeInfo=true",
		"Action=DescribeCacheClusters&" + v + "&CacheClusterId=WITH-TOKEN&ShowCacheNodeInfo=true",
		"Action=ListTagsForResource&" + v + "&ResourceName=arn:aws:elasticache:us-east-1:123456789012:cluster:with-token",
		"Action=DeleteCacheCluster&" + v + "&CacheClusterId=with-token",
	} {
		res = f.call(t, b)
		if res.status != 200 {
			t.Errorf("%s: %d %s", b, res.status, res.body)
		}
		if strings.Contains(res.body, "Sup3rS3cretT0ken") {
			t.Errorf("response echoes the AuthToken:\n%s", res.body)
		}
		if strings.HasPrefix(b, "Action=Describe") && !strings.Contains(res.body, "<AuthTokenEnabled>true</AuthTokenEnabled>") {
			t.Errorf("AuthTokenEnabled not reported:\n%s", res.body)
		}
	}
	if logs := f.log.String(); strings.Contains(logs, "Sup3rS3cretT0ken") {
		t.Errorf("the handler's log carries the AuthToken:\n%s", logs)
	} else if !strings.Contains(logs, `"action":"CreateCacheCluster"`) {
		t.Errorf("the log does not look like the handler's request log:\n%s", logs)
	}
}

// TestMethodsAndContentType covers the edge rules around the body.
func TestMethodsAndContentType(t *testing.T) {
	f := newFixture(t)
	// GET with the parameters in the query string, signed.
	r, err := http.NewRequest(http.MethodGet, endpoint+"?Action=DescribeCacheClusters&"+v, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.RemoteAddr = "127.0.0.1:40000"
	r.Body = http.NoBody // as a server request has it
	sign(t, r, "")
	if res := f.do(t, r); res.status != 200 || !strings.Contains(res.body, "<DescribeCacheClustersResponse") {
		t.Errorf("GET: %d %s", res.status, res.body)
	}
	// A JSON body is not a Query request.
	jb := `{"Action":"DescribeCacheClusters"}`
	r = post(t, jb, false)
	r.Header.Set("Content-Type", "application/json")
	sign(t, r, jb)
	if res := f.do(t, r); res.status != 400 || !strings.Contains(res.body, "<Code>InvalidQueryParameter</Code>") {
		t.Errorf("JSON body: %d %s", res.status, res.body)
	}
	// PUT is refused.
	r = post(t, "Action=DescribeCacheClusters&"+v, false)
	r.Method = http.MethodPut
	sign(t, r, "Action=DescribeCacheClusters&"+v)
	if res := f.do(t, r); res.status != 405 {
		t.Errorf("PUT: %d %s", res.status, res.body)
	}
}
