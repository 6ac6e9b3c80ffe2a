package sigv4

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestVerifyAcceptsSDKSignedPOST(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*signing)
	}{
		{"plain", func(*signing) {}},
		{"session token", func(s *signing) { s.sessionToken = "FQoGZXIvYXdzEXAMPLETOKEN//+=" }},
		{"payload hash header", func(s *signing) { s.payloadHashHeader = true }},
		{"payload hash header and session token", func(s *signing) {
			s.payloadHashHeader = true
			s.sessionToken = "token"
		}},
		{"signed 14 minutes ago", func(s *signing) { s.at = testNow().Add(-14 * time.Minute) }},
		{"signed 14 minutes ahead", func(s *signing) { s.at = testNow().Add(14 * time.Minute) }},
		{"empty body", func(s *signing) { s.body = "" }},
		{"body with spaces and unicode", func(s *signing) { s.body = "Action=X&Name=a%20b%E2%9C%93&Other=+" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSigning()
			tc.modify(&s)
			r, body := signedPOST(t, s)
			if s.sessionToken != "" && !strings.Contains(r.Header.Get("Authorization"), "x-amz-security-token") {
				t.Fatalf("oracle did not sign the session token: %s", r.Header.Get("Authorization"))
			}
			id, err := testVerifier().Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id != (Identity{AccessKeyID: testKeyID, Verified: true}) {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

func TestVerifyAcceptsSDKPresignedGET(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*signing)
	}{
		{"no expires", func(*signing) {}},
		{"expires 900s", func(s *signing) { s.expires = 900 * time.Second }},
		{"expires 1h, used after 50 minutes", func(s *signing) {
			s.expires = time.Hour
			s.at = testNow().Add(-50 * time.Minute)
		}},
		{"session token", func(s *signing) { s.sessionToken = "token/with+specials=" }},
		{"empty payload hash", func(s *signing) { s.presignPayloadHash = sha256HexString("") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSigning()
			tc.modify(&s)
			r := presignedGET(t, s)
			id, err := testVerifier().Verify(r, nil)
			if err != nil {
				t.Fatalf("Verify(%s): %v", r.URL, err)
			}
			if id != (Identity{AccessKeyID: testKeyID, Verified: true}) {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

// TestVerifyOverHTTP checks the server-side view of a request: net/http
// moves Host out of the header map and parses the request line itself.
func TestVerifyOverHTTP(t *testing.T) {
	v := testVerifier()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not readAll: t.Fatal must not be called from the server goroutine.
		body, readErr := io.ReadAll(r.Body)
		if readErr != nil {
			http.Error(w, readErr.Error(), http.StatusBadRequest)
			return
		}
		if _, err := v.Verify(r, body); err != nil {
			http.Error(w, err.Error(), err.HTTPStatus)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	send := func(t *testing.T, r *http.Request) {
		t.Helper()
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp.Body))
		}
	}
	s := defaultSigning()
	s.endpoint = srv.URL + "/"
	t.Run("POST", func(t *testing.T) {
		r, _ := signedPOST(t, s)
		send(t, r)
	})
	t.Run("POST with payload hash header and token", func(t *testing.T) {
		s := s
		s.payloadHashHeader, s.sessionToken = true, "token"
		r, _ := signedPOST(t, s)
		send(t, r)
	})
	t.Run("presigned GET", func(t *testing.T) {
		s := s
		s.expires = 5 * time.Minute
		send(t, presignedGET(t, s))
	})
}

func TestVerifyDevModeAcceptsUnknownKey(t *testing.T) {
	v := testVerifier()
	v.AllowUnknownKeys = true
	s := defaultSigning()
	s.keyID, s.secret = "AKIDUNKNOWN", "whatever"
	r, body := signedPOST(t, s)
	id, err := v.Verify(r, body)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id != (Identity{AccessKeyID: "AKIDUNKNOWN", Verified: false}) {
		t.Fatalf("identity = %+v", id)
	}
	// A known key is still fully verified in development mode.
	r, body = signedPOST(t, defaultSigning())
	if id, err := v.Verify(r, body); err != nil || !id.Verified {
		t.Fatalf("known key in dev mode: %+v, %v", id, err)
	}
}

// TestVerifyKnownAnswer uses the worked example from the AWS SigV4
// documentation, independent of the SDK.
func TestVerifyKnownAnswer(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", testFormType)
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "+
		"SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
	v := testVerifier()
	v.Service = "iam"
	v.Now = func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) }
	if _, err := v.Verify(r, nil); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
