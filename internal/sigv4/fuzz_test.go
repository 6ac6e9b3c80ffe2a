package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/elasticache/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sampleSignature)
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e")
	f.Add("AWS4-HMAC-SHA256 ,,,=,=")
	f.Fuzz(func(t *testing.T, header string) {
		a, err := ParseAuthorization(header)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeIncompleteSignature || e.HTTPStatus != http.StatusBadRequest {
				t.Fatalf("error %v is not an IncompleteSignature *Error", err)
			}
			if len(e.Message) > 1024 {
				t.Fatalf("message of %d bytes", len(e.Message))
			}
			return
		}
		if a.AccessKeyID == "" || !isScopeDate(a.Date) || a.Region == "" || a.Service == "" ||
			len(a.Signature) != signatureHexLen || len(a.SignedHeaders) == 0 || len(a.SignedHeaders) > maxSignedHeaders {
			t.Fatalf("accepted an incomplete authorization %+v", a)
		}
		// What was parsed must survive a round trip through the wire format.
		rebuilt := algorithm + " Credential=" + a.AccessKeyID + "/" + a.scope() +
			", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
		again, err := ParseAuthorization(rebuilt)
		if err != nil {
			t.Fatalf("round trip of %q failed: %v", rebuilt, err)
		}
		if again.scope() != a.scope() || again.AccessKeyID != a.AccessKeyID || again.Signature != a.Signature ||
			strings.Join(again.SignedHeaders, ";") != strings.Join(a.SignedHeaders, ";") {
			t.Fatalf("round trip changed %+v into %+v", a, again)
		}
	})
}

func FuzzVerify(f *testing.F) {
	for _, s := range []signing{defaultSigning(), {keyID: "AKIDUNKNOWN", secret: "x", region: testRegion, service: testService,
		at: testNow(), body: testBody, endpoint: testEndpoint, sessionToken: "tok", payloadHashHeader: true}} {
		r, body := signedPOST(f, s)
		f.Add(r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), "", r.Header.Get("X-Amz-Content-Sha256"), r.Host, body, false)
		f.Add(r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), "", r.Header.Get("X-Amz-Content-Sha256"), r.Host, body, true)
		p := presignedGET(f, s)
		f.Add("", "", p.URL.RawQuery, "", p.Host, []byte(nil), false)
	}
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/elasticache/aws4_request, SignedHeaders=host, Signature="+sampleSignature,
		"20260102T030405Z", "X-Amz-Signature=1&a=%zz", "UNSIGNED-PAYLOAD", "h", []byte("x"), true)
	wantStatus := map[string]int{
		CodeMissingAuthenticationToken: 403, CodeIncompleteSignature: 400, CodeSignatureDoesNotMatch: 403,
		CodeRequestExpired: 400, CodeInvalidClientTokenID: 403,
	}
	f.Fuzz(func(t *testing.T, authorization, amzDate, rawQuery, contentSHA, host string, body []byte, devMode bool) {
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Host: host, Header: http.Header{}}
		for name, value := range map[string]string{"Authorization": authorization, "X-Amz-Date": amzDate, "X-Amz-Content-Sha256": contentSHA} {
			if value != "" {
				r.Header.Set(name, value)
			}
		}
		r.Header.Set("Content-Type", testFormType)
		v := testVerifier()
		v.AllowUnknownKeys = devMode
		id, err := v.Verify(r, body)
		if err != nil {
			if status, ok := wantStatus[err.Code]; !ok || status != err.HTTPStatus {
				t.Fatalf("unexpected error %s/%d", err.Code, err.HTTPStatus)
			}
			if id != (Identity{}) {
				t.Fatalf("identity %+v returned with error", id)
			}
			return
		}
		if id.AccessKeyID == "" || (id.Verified != (id.AccessKeyID == testKeyID)) || (!devMode && !id.Verified) {
			t.Fatalf("accepted with identity %+v (dev mode %v)", id, devMode)
		}
	})
}
