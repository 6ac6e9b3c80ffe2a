package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// replaceInAuthorization rewrites part of a signed Authorization header.
func replaceInAuthorization(r *http.Request, old, replacement string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, replacement, 1))
}

// setQuery rewrites one query parameter of a presigned URL.
func setQuery(r *http.Request, key, value string) {
	q := r.URL.Query()
	q.Set(key, value)
	r.URL.RawQuery = q.Encode()
}

func delQuery(r *http.Request, key string) {
	q := r.URL.Query()
	q.Del(key)
	r.URL.RawQuery = q.Encode()
}

func TestVerifyFailures(t *testing.T) {
	post := func(t *testing.T, modify func(*signing)) (*http.Request, []byte) {
		s := defaultSigning()
		if modify != nil {
			modify(&s)
		}
		return signedPOST(t, s)
	}
	get := func(t *testing.T, modify func(*signing)) (*http.Request, []byte) {
		s := defaultSigning()
		if modify != nil {
			modify(&s)
		}
		return presignedGET(t, s), nil
	}
	const (
		missing    = CodeMissingAuthenticationToken
		incomplete = CodeIncompleteSignature
		mismatch   = CodeSignatureDoesNotMatch
		expired    = CodeRequestExpired
		badKey     = CodeInvalidClientTokenID
	)
	status := map[string]int{missing: 403, incomplete: 400, mismatch: 403, expired: 400, badKey: 403}

	cases := []struct {
		name     string
		request  func(t *testing.T) (*http.Request, []byte)
		devMode  bool
		wantCode string
		wantMsg  string // substring; "" = not checked
	}{
		{name: "no authentication at all", wantCode: missing, wantMsg: "Request is missing Authentication Token",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Del("Authorization")
				return r, body
			}},
		{name: "tampered body", wantCode: mismatch, wantMsg: "The request signature we calculated does not match",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := post(t, nil)
				return r, []byte("Action=DeleteCacheClusters&Version=2015-02-02")
			}},
		{name: "tampered body with payload hash header", wantCode: mismatch, wantMsg: "x-amz-content-sha256",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := post(t, func(s *signing) { s.payloadHashHeader = true })
				return r, []byte("Action=DeleteCacheClusters&Version=2015-02-02")
			}},
		{name: "unsigned payload header form", wantCode: mismatch, wantMsg: "x-amz-content-sha256",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
				return r, body
			}},
		{name: "tampered signed header", wantCode: mismatch, wantMsg: "does not match",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("Content-Type", "text/plain")
				return r, body
			}},
		{name: "tampered host", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Host = "evil.example:6380"
				return r, body
			}},
		{name: "tampered session token", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, func(s *signing) { s.sessionToken = "token" })
				r.Header.Set("X-Amz-Security-Token", "other")
				return r, body
			}},
		{name: "tampered method", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Method = http.MethodPut
				return r, body
			}},
		{name: "tampered signature", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				h := r.Header.Get("Authorization")
				last := h[len(h)-1]
				flipped := byte('0')
				if last == '0' {
					flipped = '1'
				}
				r.Header.Set("Authorization", h[:len(h)-1]+string(flipped))
				return r, body
			}},
		{name: "wrong secret", wantCode: mismatch, wantMsg: "Check your AWS Secret Access Key",
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.secret = "not-the-secret" })
			}},
		{name: "wrong secret in dev mode", devMode: true, wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.secret = "not-the-secret" })
			}},
		{name: "unknown key", wantCode: badKey, wantMsg: "The security token included in the request is invalid.",
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.keyID = "AKIDUNKNOWN" })
			}},
		{name: "unknown key presigned", wantCode: badKey,
			request: func(t *testing.T) (*http.Request, []byte) {
				return get(t, func(s *signing) { s.keyID = "AKIDUNKNOWN" })
			}},
		{name: "unknown key in dev mode, expired", devMode: true, wantCode: expired,
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.keyID, s.at = "AKIDUNKNOWN", testNow().Add(-time.Hour) })
			}},
		{name: "unknown key in dev mode, wrong region", devMode: true, wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.keyID, s.region = "AKIDUNKNOWN", "eu-west-1" })
			}},
		{name: "unknown key in dev mode, malformed signature", devMode: true, wantCode: incomplete,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, func(s *signing) { s.keyID = "AKIDUNKNOWN" })
				h := r.Header.Get("Authorization")
				r.Header.Set("Authorization", h[:strings.Index(h, "Signature=")]+"Signature=nothex")
				return r, body
			}},
		{name: "expired timestamp", wantCode: expired, wantMsg: "Request has expired. Timestamp date is 20260102T024804Z",
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.at = testNow().Add(-16*time.Minute - time.Second) })
			}},
		{name: "future timestamp", wantCode: expired, wantMsg: "Signature not yet current",
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.at = testNow().Add(16 * time.Minute) })
			}},
		{name: "presigned past X-Amz-Expires", wantCode: expired, wantMsg: "Request has expired",
			request: func(t *testing.T) (*http.Request, []byte) {
				return get(t, func(s *signing) { s.expires, s.at = 60*time.Second, testNow().Add(-61*time.Second) })
			}},
		{name: "presigned without expires, old", wantCode: expired,
			request: func(t *testing.T) (*http.Request, []byte) {
				return get(t, func(s *signing) { s.at = testNow().Add(-time.Hour) })
			}},
		{name: "presigned in the future", wantCode: expired,
			request: func(t *testing.T) (*http.Request, []byte) {
				return get(t, func(s *signing) { s.expires, s.at = time.Hour, testNow().Add(time.Hour) })
			}},
		{name: "wrong region", wantCode: mismatch, wantMsg: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.region = "eu-west-1" })
			}},
		{name: "wrong service", wantCode: mismatch, wantMsg: "Credential should be scoped to correct service: 'elasticache'. ",
			request: func(t *testing.T) (*http.Request, []byte) {
				return post(t, func(s *signing) { s.service = "memorydb" })
			}},
		{name: "wrong region presigned", wantCode: mismatch, wantMsg: "not 'eu-west-1'",
			request: func(t *testing.T) (*http.Request, []byte) {
				return get(t, func(s *signing) { s.region = "eu-west-1" })
			}},
		{name: "scope date differs from X-Amz-Date", wantCode: mismatch, wantMsg: "Date in Credential scope does not match",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("X-Amz-Date", "20260101T235959Z")
				return r, body
			}},
		{name: "tampered X-Amz-Date same day", wantCode: mismatch, wantMsg: "does not match",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("X-Amz-Date", "20260102T030000Z")
				return r, body
			}},
		{name: "missing Signature", wantCode: incomplete, wantMsg: "Authorization header requires 'Signature' parameter.",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				h := r.Header.Get("Authorization")
				r.Header.Set("Authorization", h[:strings.Index(h, ", Signature=")])
				return r, body
			}},
		{name: "missing Credential", wantCode: incomplete, wantMsg: "Authorization header requires 'Credential' parameter.",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "Credential=", "Kredential=")
				return r, body
			}},
		{name: "missing SignedHeaders", wantCode: incomplete, wantMsg: "Authorization header requires 'SignedHeaders' parameter.",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "SignedHeaders=", "Headers=")
				return r, body
			}},
		{name: "duplicate Signature", wantCode: incomplete, wantMsg: "more than one 'Signature'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("Authorization", r.Header.Get("Authorization")+", Signature="+strings.Repeat("0", 64))
				return r, body
			}},
		{name: "wrong algorithm", wantCode: incomplete, wantMsg: "Unsupported AWS 'algorithm'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
				return r, body
			}},
		{name: "credential scope with four elements", wantCode: incomplete, wantMsg: "exactly 5 slash-delimited elements",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "/elasticache/", "/")
				return r, body
			}},
		{name: "credential scope with wrong terminator", wantCode: incomplete, wantMsg: "valid terminator",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "aws4_request", "aws5_request")
				return r, body
			}},
		{name: "credential scope with bad date", wantCode: incomplete, wantMsg: "yyyyMMdd",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "/20260102/", "/2026-1-2/")
				return r, body
			}},
		{name: "missing X-Amz-Date", wantCode: incomplete, wantMsg: "'X-Amz-Date'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Del("X-Amz-Date")
				return r, body
			}},
		{name: "malformed X-Amz-Date", wantCode: incomplete, wantMsg: "ISO 8601",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("X-Amz-Date", "2026-01-02T03:04:05Z")
				return r, body
			}},
		{name: "host not signed", wantCode: incomplete, wantMsg: "'Host' must be a 'SignedHeader'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "host;", "")
				return r, body
			}},
		{name: "uppercase signed header name", wantCode: incomplete, wantMsg: "lowercase header names",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "host;", "Host;")
				return r, body
			}},
		{name: "too many signed headers", wantCode: incomplete, wantMsg: "more than 64",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "host;", strings.Repeat("x-a;", 64)+"host;")
				return r, body
			}},
		{name: "absurdly long header", wantCode: incomplete, wantMsg: "longer than",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "host;", "host;"+strings.Repeat("x", 10000)+";")
				return r, body
			}},
		{name: "garbage header", wantCode: incomplete,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("Authorization", "garbage")
				return r, body
			}},
		{name: "algorithm only", wantCode: incomplete, wantMsg: "requires 'Credential'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256")
				return r, body
			}},
		{name: "empty header", wantCode: incomplete,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Set("Authorization", "")
				return r, body
			}},
		{name: "pair without equal sign", wantCode: incomplete, wantMsg: "missing equal-sign",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				replaceInAuthorization(r, "SignedHeaders=", "SignedHeaders ")
				return r, body
			}},
		{name: "two Authorization headers", wantCode: incomplete,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
				return r, body
			}},
		{name: "header and presigned query together", wantCode: incomplete, wantMsg: "Only one auth mechanism",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.URL.RawQuery = "X-Amz-Signature=abc"
				return r, body
			}},
		{name: "malformed query string", wantCode: incomplete, wantMsg: "syntax error",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := post(t, nil)
				r.URL.RawQuery = "a=%zz"
				return r, body
			}},
		{name: "presigned tampered query", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				setQuery(r, "Action", "DeleteCacheCluster")
				return r, nil
			}},
		{name: "presigned added query parameter", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				setQuery(r, "CacheClusterId", "victim")
				return r, nil
			}},
		{name: "presigned with a body", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				return r, []byte("Action=DeleteCacheCluster&CacheClusterId=victim")
			}},
		{name: "presigned tampered expires", wantCode: mismatch,
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, func(s *signing) { s.expires = time.Minute })
				setQuery(r, "X-Amz-Expires", "3600")
				return r, nil
			}},
		{name: "presigned missing X-Amz-Signature but algorithm present", wantCode: incomplete, wantMsg: "'X-Amz-Signature'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				delQuery(r, "X-Amz-Signature")
				return r, nil
			}},
		{name: "presigned missing X-Amz-SignedHeaders", wantCode: incomplete, wantMsg: "'X-Amz-SignedHeaders'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				delQuery(r, "X-Amz-SignedHeaders")
				return r, nil
			}},
		{name: "presigned missing X-Amz-Date", wantCode: incomplete, wantMsg: "'X-Amz-Date'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				delQuery(r, "X-Amz-Date")
				return r, nil
			}},
		{name: "presigned wrong algorithm", wantCode: incomplete, wantMsg: "Unsupported AWS 'algorithm'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				setQuery(r, "X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256")
				return r, nil
			}},
		{name: "presigned duplicate signature", wantCode: incomplete, wantMsg: "only once",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				r.URL.RawQuery += "&X-Amz-Signature=" + strings.Repeat("0", 64)
				return r, nil
			}},
		{name: "presigned expires not a number", wantCode: incomplete, wantMsg: "X-Amz-Expires",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, func(s *signing) { s.expires = time.Minute })
				setQuery(r, "X-Amz-Expires", "-60")
				return r, nil
			}},
		{name: "presigned expires over a week", wantCode: incomplete, wantMsg: "less than a week",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, func(s *signing) { s.expires = 8 * 24 * time.Hour })
				return r, nil
			}},
		{name: "presigned host not signed", wantCode: incomplete, wantMsg: "'Host'",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, _ := get(t, nil)
				setQuery(r, "X-Amz-SignedHeaders", "x-amz-date")
				return r, nil
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, body := tc.request(t)
			v := testVerifier()
			v.AllowUnknownKeys = tc.devMode
			id, err := v.Verify(r, body)
			if err == nil {
				t.Fatalf("Verify accepted the request: %+v", id)
			}
			if id != (Identity{}) {
				t.Errorf("identity on failure = %+v, want zero", id)
			}
			if err.Code != tc.wantCode || err.HTTPStatus != status[tc.wantCode] {
				t.Fatalf("got %s/%d (%q), want %s/%d", err.Code, err.HTTPStatus, err.Message, tc.wantCode, status[tc.wantCode])
			}
			if !strings.Contains(err.Message, tc.wantMsg) {
				t.Fatalf("message %q does not contain %q", err.Message, tc.wantMsg)
			}
		})
	}
}

func TestVerifyNilAndBareRequests(t *testing.T) {
	v := testVerifier()
	if _, err := v.Verify(nil, nil); err == nil || err.Code != CodeMissingAuthenticationToken {
		t.Fatalf("nil request: %v", err)
	}
	bare := &http.Request{}
	if _, err := v.Verify(bare, nil); err == nil || err.Code != CodeMissingAuthenticationToken {
		t.Fatalf("bare request: %v", err)
	}
	noURL := &http.Request{Header: http.Header{"Authorization": {"AWS4-HMAC-SHA256 x"}}}
	if _, err := v.Verify(noURL, nil); err == nil || err.Code != CodeIncompleteSignature {
		t.Fatalf("request without URL: %v", err)
	}
	// Without a Secret func every key is unknown.
	r, body := signedPOST(t, defaultSigning())
	v.Secret = nil
	if _, err := v.Verify(r, body); err == nil || err.Code != CodeInvalidClientTokenID {
		t.Fatalf("nil Secret: %v", err)
	}
}

func TestVerifyMaxSkew(t *testing.T) {
	s := defaultSigning()
	s.at = testNow().Add(-2 * time.Minute)
	r, body := signedPOST(t, s)
	v := testVerifier()
	v.MaxSkew = time.Minute
	if _, err := v.Verify(r, body); err == nil || err.Code != CodeRequestExpired {
		t.Fatalf("MaxSkew 1m, 2m old: %v", err)
	}
	v.MaxSkew = 3 * time.Minute
	if _, err := v.Verify(r, body); err != nil {
		t.Fatalf("MaxSkew 3m, 2m old: %v", err)
	}
}

func TestErrorString(t *testing.T) {
	e := errIncompleteSignature("x")
	if e.Error() != "IncompleteSignature: x" {
		t.Fatal(e.Error())
	}
	var nilErr *Error
	if nilErr.Error() != "<nil>" {
		t.Fatal(nilErr.Error())
	}
}
