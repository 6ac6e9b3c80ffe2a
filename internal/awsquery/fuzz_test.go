package awsquery_test

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/awsquery"
)

// Codes a decoding failure may carry, all client faults.
var decodeCodes = map[string]bool{"InvalidParameterValue": true, "InvalidQueryParameter": true, "MissingParameter": true}

func checkFuzzErr(t *testing.T, err *awsquery.Error, raw string) {
	t.Helper()
	if !decodeCodes[err.Code] || err.HTTPStatus != 400 {
		t.Fatalf("unexpected failure %v (HTTP %d)", err, err.HTTPStatus)
	}
	if !utf8.ValidString(err.Message) {
		t.Fatalf("message is not valid UTF-8: %q", err.Message)
	}
	if len(err.Message) > 2*len(raw)+1024 {
		t.Fatalf("message of %d bytes for a %d-byte request", len(err.Message), len(raw))
	}
}

// reencoder writes back exactly what was decoded: empty structures as "Name="
// (which the codec reads as an empty structure) and timestamps at full precision.
var reencoder = serializer{blankEmptyStruct: true, formatTime: func(t time.Time) string { return t.Format(time.RFC3339Nano) }}

// timesPrintable reports whether every timestamp in v has a four-digit year, so
// that RFC 3339 can print it (epoch and offset forms can reach outside).
func timesPrintable(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil() || timesPrintable(v.Elem())
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if !timesPrintable(v.Index(i)) {
				return false
			}
		}
	case reflect.Struct:
		if v.Type() == timeType {
			y := v.Interface().(time.Time).Year()
			return y >= 0 && y <= 9999
		}
		for i := 0; i < v.NumField(); i++ {
			if !timesPrintable(v.Field(i)) {
				return false
			}
		}
	}
	return true
}

// FuzzParseDecode feeds arbitrary query strings through url.ParseQuery, Parse
// and Decode into several operations' inputs. It must never panic; failures must
// be 400s with the codes above and sane messages; decoding must be
// deterministic; and whatever decodes must survive re-serialisation unchanged.
func FuzzParseDecode(f *testing.F) {
	for _, s := range []string{
		"Action=DescribeCacheClusters&Version=2015-02-02",
		base + "&Tags.Tag.1.Key=a&Tags.Tag.1.Value=b&SecurityGroupIds=&AutoMinorVersionUpgrade=True",
		base + "&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails.CloudWatchLogsDetails.LogGroup=g",
		"StartTime=2024-01-02T03%3A04%3A05.123456Z&EndTime=1704164645.5&SourceType=cache-cluster",
		"SecurityGroupIds.SecurityGroupId.3=c&SecurityGroupIds.SecurityGroupId.1=a&SecurityGroupIds.SecurityGroupId.01=b",
	} {
		f.Add(s)
	}
	all := api.Operations()
	// Input shapes that between them hold every kind of member: lists of strings,
	// enums and structures, nested structures, required members at every depth,
	// timestamps, integers and booleans. The operation the request names is added.
	var fixed []*api.Operation
	for _, name := range []string{"CreateCacheCluster", "CreateReplicationGroup", "IncreaseReplicaCount", "DescribeUsers",
		"CreateServerlessCache", "DescribeEvents", "DescribeUpdateActions", "ModifyReplicationGroupShardConfiguration", "StartMigration"} {
		if all[name] == nil {
			f.Fatalf("no operation %s", name)
		}
		fixed = append(fixed, all[name])
	}
	c := awsquery.NewCodec()
	f.Fuzz(func(t *testing.T, raw string) {
		values, _ := url.ParseQuery(raw) // a syntax error still yields the pairs before it
		p, err := awsquery.Parse(values)
		if err != nil {
			checkFuzzErr(t, err, raw)
			return
		}
		if len(values) > awsquery.MaxParameters {
			t.Fatalf("Parse accepted %d parameters", len(values))
		}
		ops := fixed
		if action, _ := p.Get("Action"); all[action] != nil {
			ops = append(ops[:len(ops):len(ops)], all[action])
		}
		for _, op := range ops {
			in := op.NewInput()
			derr := c.Decode(p, in)
			again := op.NewInput()
			if derr2 := c.Decode(p, again); !reflect.DeepEqual(derr, derr2) {
				t.Fatalf("%s: decoding twice gave %v then %v", op.Name, derr, derr2)
			}
			if derr != nil {
				checkFuzzErr(t, derr, raw)
				continue
			}
			if !reflect.DeepEqual(in, again) {
				t.Fatalf("%s: decoding twice gave different structures", op.Name)
			}
			if !timesPrintable(reflect.ValueOf(in)) {
				continue
			}
			values2 := reencoder.serialize("", in)
			p2, err := awsquery.Parse(values2)
			if err != nil {
				t.Fatalf("%s: re-serialised request refused by Parse: %v\n%s", op.Name, err, values2.Encode())
			}
			out := op.NewInput()
			if err := c.Decode(p2, out); err != nil {
				t.Fatalf("%s: re-serialised request refused by Decode: %v\n%s", op.Name, err, values2.Encode())
			}
			if !reflect.DeepEqual(in, out) {
				t.Fatalf("%s: re-serialised request decodes differently\n%s\nfirst %s\nthen  %s", op.Name, values2.Encode(), dump(in), dump(out))
			}
		}
	})
}

// xmlSanitize is what an XML writer must turn s into: every invalid UTF-8 byte
// and every character XML cannot carry becomes U+FFFD.
func xmlSanitize(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, w := utf8.DecodeRuneInString(s)
		if (r == utf8.RuneError && w == 1) || !xmlChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		s = s[w:]
	}
	return b.String()
}

type fuzzDoc struct {
	XMLName xml.Name `xml:"http://elasticache.amazonaws.com/doc/2015-02-02/ DescribeCacheClustersResponse"`
	Result  struct {
		Marker   *string `xml:"Marker"`
		Clusters []struct {
			ID        string    `xml:"CacheClusterId"`
			Num       *int32    `xml:"NumCacheNodes"`
			Created   string    `xml:"CacheClusterCreateTime"`
			AutoMinor *bool     `xml:"AutoMinorVersionUpgrade"`
			NodeAddrs []string  `xml:"CacheNodes>CacheNode>Endpoint>Address"`
			SGs       *struct{} `xml:"CacheSecurityGroups"`
			Network   string    `xml:"NetworkType"`
		} `xml:"CacheClusters>CacheCluster"`
	} `xml:"DescribeCacheClustersResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type fuzzErrDoc struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ReqID   string   `xml:"RequestId"`
}

// FuzzEncodeRoundTrip encodes arbitrary strings, numbers and times in a
// DescribeCacheClusters result and an error envelope; the documents must be
// well-formed XML that reads back to the (XML-sanitised) values.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("redis-one", "next", "10.0.0.1", "req-1", int32(3), int64(1704164645123), true, 0)
	f.Add(`odd<>&'"`, "", "]]>\r\n\t", "", int32(-1), int64(0), false, 2)
	f.Add("\x00\xff\uFFFE", "\xc3", "😀", "<&>", int32(2147483647), int64(-62135596800000), true, 1)
	c := awsquery.NewCodec()
	networks := api.NetworkType("").Values()
	f.Fuzz(func(t *testing.T, id, marker, addr, reqID string, n int32, ms int64, flag bool, enum int) {
		created := time.UnixMilli(ms).UTC()
		printable := created.Year() >= 0 && created.Year() <= 9999
		network := api.NetworkType("")
		if enum >= 0 {
			network = networks[enum%len(networks)]
		}
		cl := api.CacheCluster{
			CacheClusterId: &id, NumCacheNodes: &n, AutoMinorVersionUpgrade: &flag, NetworkType: network,
			CacheNodes: []api.CacheNode{{Endpoint: &api.Endpoint{Address: &addr}}, {Endpoint: &api.Endpoint{Address: &id}}},
		}
		if flag {
			cl.CacheSecurityGroups = []api.CacheSecurityGroupMembership{}
		}
		if printable {
			cl.CacheClusterCreateTime = &created
		}
		msg := &api.CacheClusterMessage{Marker: &marker, CacheClusters: []api.CacheCluster{cl, {CacheClusterId: &marker}}}
		doc := c.EncodeResponse(awsquery.Response{
			Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult",
			Namespace: api.XMLNamespace, RequestID: reqID, Result: msg,
		})
		var got fuzzDoc
		if err := xml.NewDecoder(bytes.NewReader(doc)).Decode(&got); err != nil {
			t.Fatalf("not readable XML: %v\n%s", err, doc)
		}
		if got.Result.Marker == nil || *got.Result.Marker != xmlSanitize(marker) || got.RequestID != xmlSanitize(reqID) || len(got.Result.Clusters) != 2 {
			t.Fatalf("read back %+v\n%s", got, doc)
		}
		g := got.Result.Clusters[0]
		if g.ID != xmlSanitize(id) || g.Num == nil || *g.Num != n || g.AutoMinor == nil || *g.AutoMinor != flag || g.Network != string(network) {
			t.Fatalf("cluster read back as %+v\n%s", g, doc)
		}
		if !reflect.DeepEqual(g.NodeAddrs, []string{xmlSanitize(addr), xmlSanitize(id)}) {
			t.Fatalf("node addresses read back as %q", g.NodeAddrs)
		}
		if (g.SGs != nil) != flag {
			t.Fatalf("empty list presence: %v, want %v", g.SGs != nil, flag)
		}
		if printable {
			back, err := time.Parse(awsquery.TimeFormat, g.Created)
			if err != nil || !back.Equal(created) {
				t.Fatalf("timestamp %q read back as %v (%v), want %v", g.Created, back, err, created)
			}
		} else if g.Created != "" {
			t.Fatalf("unexpected timestamp %q", g.Created)
		}
		if got.Result.Clusters[1].ID != xmlSanitize(marker) {
			t.Fatalf("second cluster read back as %+v", got.Result.Clusters[1])
		}

		edoc := awsquery.EncodeError(api.XMLNamespace, reqID, id, marker, flag)
		var e fuzzErrDoc
		if err := xml.NewDecoder(bytes.NewReader(edoc)).Decode(&e); err != nil {
			t.Fatalf("error document not readable: %v\n%s", err, edoc)
		}
		wantType := "Receiver"
		if flag {
			wantType = "Sender"
		}
		if e.Type != wantType || e.Code != xmlSanitize(id) || e.Message != xmlSanitize(marker) || e.ReqID != xmlSanitize(reqID) {
			t.Fatalf("error read back as %+v\n%s", e, edoc)
		}
	})
}

// TestSDKRequestSnapshotsDecode decodes the request bodies the Go SDK records in
// its own serialisation snapshots (committed as sdk-* seeds of FuzzParseDecode)
// and checks that re-serialising the result with botocore's rules gives them back.
func TestSDKRequestSnapshotsDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseDecode", "sdk-*"))
	if err != nil || len(files) < 70 {
		t.Fatalf("%d SDK seeds (%v)", len(files), err)
	}
	ops := api.Operations()
	decoded := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") {
			t.Fatalf("%s: not a fuzz corpus file", file)
		}
		raw, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		values, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		op := ops[values.Get("Action")]
		if op == nil {
			// The SDK is newer than the committed model; its extra operations are not ours to decode.
			t.Logf("%s: the SDK has operation %s, the model does not", file, values.Get("Action"))
			continue
		}
		in := op.NewInput()
		if err := decodeValues(values, in); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		// Members the newer SDK sends but the model lacks are ignored, as unknown
		// parameters are; everything else must come back exactly.
		known := map[string]bool{}
		for i := 0; i < reflect.TypeOf(in).Elem().NumField(); i++ {
			if ti, ok := parseTag(reflect.TypeOf(in).Elem().Field(i)); ok {
				known[ti.name] = true
			}
		}
		sent := url.Values{}
		for k, v := range values {
			if top, _, _ := strings.Cut(k, "."); known[top] || top == "Action" || top == "Version" {
				sent[k] = v
			} else {
				t.Logf("%s: %s is not in the model", file, k)
			}
		}
		if again := (serializer{}).serialize(op.Name, in); !reflect.DeepEqual(again, sent) {
			t.Errorf("%s: re-serialised differently:\n%s", file, describeDiff(sent, again))
		}
		decoded++
	}
	if decoded != len(ops) {
		t.Errorf("decoded %d SDK snapshots for %d operations", decoded, len(ops))
	}
}
