package awsquery_test

import (
	"context"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/awsquery"
)

// newSDKClient is the real ElastiCache SDK client pointed at a test server.
func newSDKClient(endpoint string) *elasticache.Client {
	return elasticache.New(elasticache.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// toSDK copies a generated api structure into the SDK's structure of the same
// shape, member by member (the SDK names members as the model does).
func toSDK(t *testing.T, src, dst reflect.Value, path string) {
	t.Helper()
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		if dst.Kind() == reflect.Pointer {
			e := reflect.New(dst.Type().Elem())
			toSDK(t, src.Elem(), e.Elem(), path)
			dst.Set(e)
			return
		}
		toSDK(t, src.Elem(), dst, path)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			toSDK(t, src.Index(i), s.Index(i), path)
		}
		dst.Set(s)
	case reflect.Struct:
		if src.Type() == timeType {
			dst.Set(src)
			return
		}
		for i := 0; i < src.NumField(); i++ {
			sf := src.Type().Field(i)
			if _, ok := parseTag(sf); !ok {
				continue
			}
			df := dst.FieldByName(sf.Name)
			if !df.IsValid() {
				t.Errorf("%s.%s: the SDK's %s has no such member", path, sf.Name, dst.Type())
				continue
			}
			toSDK(t, src.Field(i), df, path+"."+sf.Name)
		}
	case reflect.String:
		dst.SetString(src.String())
	case reflect.Bool:
		dst.SetBool(src.Bool())
	case reflect.Int32, reflect.Int64:
		dst.SetInt(src.Int())
	case reflect.Float64:
		dst.SetFloat(src.Float())
	default:
		t.Fatalf("%s: unsupported kind %s", path, src.Kind())
	}
}

// sdkTime is how the Go SDK writes a request timestamp (smithy-go FormatDateTime).
func sdkTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999Z") }

// TestSDKRequestsDecode sends random requests for every operation through the
// real SDK client, captures the form body it writes, and checks that (1) it is
// exactly what the test serializer produces, so the botocore-rules round trip is
// faithful, and (2) Parse+Decode gives back the structure that was sent.
func TestSDKRequestsDecode(t *testing.T) {
	iterations := 12
	if testing.Short() {
		iterations = 3
	}
	bodies := make(chan string, 1)
	codecForServer := awsquery.NewCodec()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
		form, _ := url.ParseQuery(string(b))
		op := api.Operations()[form.Get("Action")]
		w.Header().Set("Content-Type", "text/xml")
		if op == nil {
			w.WriteHeader(400)
			_, _ = w.Write(awsquery.EncodeError(api.XMLNamespace, "req", "InvalidAction", "unknown", true))
			return
		}
		_, _ = w.Write(codecForServer.EncodeResponse(awsquery.Response{Operation: op.Name, ResultWrapper: op.ResultWrapper, Namespace: api.XMLNamespace, RequestID: "req"}))
	}))
	defer srv.Close()
	client := reflect.ValueOf(newSDKClient(srv.URL))
	ser := serializer{formatTime: sdkTime}
	ctx := reflect.ValueOf(context.Background())
	for _, op := range sortedOperations() {
		t.Run(op.Name, func(t *testing.T) {
			method := client.MethodByName(op.Name)
			if !method.IsValid() {
				t.Fatalf("the SDK client has no method %s", op.Name)
			}
			r := rand.New(rand.NewSource(*seedFlag + int64(len(op.Name))))
			for i := 0; i < iterations; i++ {
				f := &filler{r: r, timeUnit: time.Millisecond, optional: []int{10, 5, 0}[i%3]}
				in := op.NewInput()
				f.structure(reflect.ValueOf(in).Elem())
				sdkIn := reflect.New(method.Type().In(1).Elem())
				toSDK(t, reflect.ValueOf(in).Elem(), sdkIn.Elem(), op.Name)
				res := method.Call([]reflect.Value{ctx, sdkIn})
				if err, _ := res[1].Interface().(error); err != nil {
					t.Fatalf("iteration %d: SDK call: %v", i, err)
				}
				body := <-bodies
				if testing.Verbose() && i == 0 {
					t.Logf("SDK body: %s", body)
				}
				sent, err := url.ParseQuery(body)
				if err != nil {
					t.Fatalf("SDK body %q: %v", body, err)
				}
				if ours := ser.serialize(op.Name, in); !reflect.DeepEqual(sent, ours) {
					t.Fatalf("iteration %d: the SDK and the test serializer disagree:\n%s", i, describeDiff(sent, ours))
				}
				out := op.NewInput()
				if qerr := decodeValues(sent, out); qerr != nil {
					t.Fatalf("iteration %d: %v\nbody %s", i, qerr, body)
				}
				if !reflect.DeepEqual(in, out) {
					t.Fatalf("iteration %d: decoded SDK request differs\nbody %s\nsent %s\ngot  %s", i, body, dump(in), dump(out))
				}
			}
		})
	}
}

// fromSDK copies an SDK structure back into the generated api structure of the
// same shape (the inverse of toSDK), so whole documents can be compared.
func fromSDK(t *testing.T, src, dst reflect.Value, path string) {
	t.Helper()
	switch dst.Kind() {
	case reflect.Pointer:
		if src.Kind() == reflect.Pointer {
			if src.IsNil() {
				return
			}
			src = src.Elem()
		}
		e := reflect.New(dst.Type().Elem())
		fromSDK(t, src, e.Elem(), path)
		dst.Set(e)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			fromSDK(t, src.Index(i), s.Index(i), path)
		}
		dst.Set(s)
	case reflect.Struct:
		if dst.Type() == timeType {
			dst.Set(reflect.ValueOf(src.Interface().(time.Time).UTC()))
			return
		}
		for i := 0; i < dst.NumField(); i++ {
			df := dst.Type().Field(i)
			if _, ok := parseTag(df); !ok {
				continue
			}
			sf := src.FieldByName(df.Name)
			if !sf.IsValid() {
				t.Errorf("%s.%s: the SDK's %s has no such member", path, df.Name, src.Type())
				continue
			}
			fromSDK(t, sf, dst.Field(i), path+"."+df.Name)
		}
	case reflect.String:
		dst.SetString(src.String())
	case reflect.Bool:
		dst.SetBool(src.Bool())
	case reflect.Int32, reflect.Int64:
		dst.SetInt(src.Int())
	case reflect.Float64:
		dst.SetFloat(src.Float())
	default:
		t.Fatalf("%s: unsupported kind %s", path, dst.Kind())
	}
}

// xmlServer answers every request with the document (and status) in *doc. Like
// the HTTP edge it sets x-amzn-RequestId, which is where this SDK version takes
// the request id from (it ignores <RequestId> in the body); here "req-<status>".
func xmlServer(status *int, doc *[]byte) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", "req-"+strconv.Itoa(*status))
		w.WriteHeader(*status)
		_, _ = w.Write(*doc)
	}))
}

func TestSDKParsesDescribeCacheClusters(t *testing.T) {
	want := sampleClusters()
	status, doc := 200, encodeDescribe(want)
	srv := xmlServer(&status, &doc)
	defer srv.Close()
	out, err := newSDKClient(srv.URL).DescribeCacheClusters(context.Background(), &elasticache.DescribeCacheClustersInput{})
	if err != nil {
		t.Fatal(err)
	}

	// A few members by hand, for a readable failure ...
	if aws.ToString(out.Marker) != "next-page" || len(out.CacheClusters) != 2 {
		t.Fatalf("marker %q, %d clusters", aws.ToString(out.Marker), len(out.CacheClusters))
	}
	one, two := out.CacheClusters[0], out.CacheClusters[1]
	if got := aws.ToTime(one.CacheClusterCreateTime); !got.Equal(created) {
		t.Errorf("CacheClusterCreateTime = %v, want %v", got, created)
	}
	if got := aws.ToTime(one.CacheNodes[1].CacheNodeCreateTime); !got.Equal(modified) {
		t.Errorf("CacheNodes[1].CacheNodeCreateTime = %v, want %v", got, modified)
	}
	if len(one.CacheSecurityGroups) != 2 || aws.ToString(one.CacheSecurityGroups[1].CacheSecurityGroupName) != "second" {
		t.Errorf("CacheSecurityGroups = %+v", one.CacheSecurityGroups)
	}
	if got := one.PendingModifiedValues.LogDeliveryConfigurations; len(got) != 1 || aws.ToString(got[0].DestinationDetails.CloudWatchLogsDetails.LogGroup) != "/aws/elasticache/slow" {
		t.Errorf("PendingModifiedValues.LogDeliveryConfigurations = %+v", got)
	}
	if string(one.NetworkType) != "dual_stack" || aws.ToInt32(one.SnapshotRetentionLimit) != 0 || one.SnapshotRetentionLimit == nil {
		t.Errorf("NetworkType %q SnapshotRetentionLimit %v", one.NetworkType, one.SnapshotRetentionLimit)
	}
	if aws.ToString(two.CacheClusterId) != `odd<>&'"name` {
		t.Errorf("escaped id read back as %q", aws.ToString(two.CacheClusterId))
	}
	if two.CacheNodes != nil {
		t.Errorf("absent CacheNodes read back as %#v", two.CacheNodes)
	}

	// ... and then the whole document.
	got := &api.CacheClusterMessage{}
	fromSDK(t, reflect.ValueOf(out).Elem(), reflect.ValueOf(got).Elem(), "DescribeCacheClustersOutput")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SDK read\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestSDKParsesErrors(t *testing.T) {
	status, doc := 404, awsquery.EncodeError(api.XMLNamespace, "req-404", "CacheClusterNotFound", `CacheCluster <c9> & "friends" not found.`, true)
	srv := xmlServer(&status, &doc)
	defer srv.Close()
	client := newSDKClient(srv.URL)

	_, err := client.DescribeCacheClusters(context.Background(), &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("c9")})
	var notFound *types.CacheClusterNotFoundFault
	if !errors.As(err, &notFound) {
		t.Fatalf("error %T %v, want *types.CacheClusterNotFoundFault", err, err)
	}
	if notFound.ErrorMessage() != `CacheCluster <c9> & "friends" not found.` {
		t.Errorf("message = %q", notFound.ErrorMessage())
	}
	if notFound.ErrorCode() != "CacheClusterNotFound" || notFound.ErrorFault() != smithy.FaultClient {
		t.Errorf("code %q fault %v", notFound.ErrorCode(), notFound.ErrorFault())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() != "req-404" || re.HTTPStatusCode() != 404 {
		t.Errorf("response error %v", err)
	}

	// A code the model does not declare for the operation still arrives as an APIError.
	status, doc = 400, awsquery.EncodeError(api.XMLNamespace, "req-400", "InvalidParameterValue", "Value 'x' for parameter NumCacheNodes is invalid.", true)
	_, err = client.CreateCacheCluster(context.Background(), &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("c1")})
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) || invalid.ErrorMessage() != "Value 'x' for parameter NumCacheNodes is invalid." {
		t.Errorf("error %T %v, want *types.InvalidParameterValueException", err, err)
	}
	status, doc = 400, awsquery.EncodeError(api.XMLNamespace, "req-400", "MissingParameter", "The request must contain the parameter CacheClusterId.", true)
	_, err = client.DescribeCacheClusters(context.Background(), &elasticache.DescribeCacheClustersInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "MissingParameter" || apiErr.ErrorMessage() != "The request must contain the parameter CacheClusterId." {
		t.Errorf("error %T %v", err, err)
	}

	status, doc = 500, awsquery.EncodeError(api.XMLNamespace, "req-500", "InternalFailure", "boom", false)
	_, err = client.DescribeCacheClusters(context.Background(), &elasticache.DescribeCacheClustersInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalFailure" || apiErr.ErrorMessage() != "boom" {
		t.Errorf("error %T %v", err, err)
	}
	if !errors.As(err, &re) || re.ServiceRequestID() != "req-500" || re.HTTPStatusCode() != 500 {
		t.Errorf("response error %v", err)
	}
}

// TestSDKParsesEveryOutput encodes a random result for every operation that has
// one and checks the SDK's own deserializer reads back exactly those values.
func TestSDKParsesEveryOutput(t *testing.T) {
	iterations := 12
	if testing.Short() {
		iterations = 3
	}
	status, doc := 200, []byte(nil)
	srv := xmlServer(&status, &doc)
	defer srv.Close()
	client := reflect.ValueOf(newSDKClient(srv.URL))
	svc := reflect.TypeOf((*api.Service)(nil)).Elem()
	c := awsquery.NewCodec()
	ctx := reflect.ValueOf(context.Background())
	tested := 0
	for _, op := range sortedOperations() {
		m, _ := svc.MethodByName(op.Name)
		if m.Type.NumOut() != 2 {
			continue // no output
		}
		tested++
		resultType := m.Type.Out(0).Elem()
		t.Run(op.Name, func(t *testing.T) {
			method := client.MethodByName(op.Name)
			r := rand.New(rand.NewSource(*seedFlag - int64(len(op.Name))))
			for i := 0; i < iterations; i++ {
				f := &filler{r: r, timeUnit: time.Millisecond, optional: []int{10, 6, 2}[i%3], xmlSafe: true}
				result := reflect.New(resultType)
				f.structure(result.Elem())
				doc = c.EncodeResponse(awsquery.Response{Operation: op.Name, ResultWrapper: op.ResultWrapper, Namespace: api.XMLNamespace, RequestID: "r", Result: result.Interface()})
				sdkIn := reflect.New(method.Type().In(1).Elem())
				fillRequired(t, sdkIn.Elem(), op.NewInput())
				res := method.Call([]reflect.Value{ctx, sdkIn})
				if err, _ := res[1].Interface().(error); err != nil {
					t.Fatalf("iteration %d: %v\n%s", i, err, doc)
				}
				got := reflect.New(resultType)
				fromSDK(t, res[0].Elem(), got.Elem(), op.Name+"Output")
				if !reflect.DeepEqual(got.Interface(), result.Interface()) {
					t.Fatalf("iteration %d: SDK read\n%s\nencoded\n%s\ndocument\n%s", i, dump(got.Interface()), dump(result.Interface()), doc)
				}
			}
		})
	}
	if tested < 60 {
		t.Fatalf("only %d operations with output", tested)
	}
}

// fillRequired gives the SDK input the required members its client-side validation insists on.
func fillRequired(t *testing.T, sdkIn reflect.Value, apiIn any) {
	f := &filler{r: rand.New(rand.NewSource(1)), timeUnit: time.Second, optional: 0}
	v := reflect.ValueOf(apiIn).Elem()
	for i := 0; i < v.NumField(); i++ {
		if ti, ok := parseTag(v.Type().Field(i)); ok && ti.required {
			f.value(v.Field(i))
		}
	}
	toSDK(t, v, sdkIn, "input")
}
