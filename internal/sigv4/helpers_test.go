package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testRegion   = "us-east-1"
	testService  = "elasticache"
	testKeyID    = "AKIDEXAMPLE"
	testSecret   = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testBody     = "Action=DescribeCacheClusters&Version=2015-02-02"
	testFormType = "application/x-www-form-urlencoded; charset=utf-8"
	testEndpoint = "http://localhost:6380/"
	testQuery    = "Action=DescribeCacheClusters&Version=2015-02-02"
)

// testNow is the server clock in tests; signatures default to it.
func testNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func testVerifier() *Verifier {
	return &Verifier{
		Region:  testRegion,
		Service: testService,
		Secret: func(id string) (string, bool) {
			if id == testKeyID {
				return testSecret, true
			}
			return "", false
		},
		Now: testNow,
	}
}

// signing describes how the SDK oracle signs a request.
type signing struct {
	keyID, secret, sessionToken string
	region, service             string
	at                          time.Time
	body                        string
	payloadHashHeader           bool
	expires                     time.Duration // presigned only; 0 = no X-Amz-Expires
	presignPayloadHash          string        // presigned only; "" = UNSIGNED-PAYLOAD
	endpoint                    string        // base URL ending in "/"
}

func defaultSigning() signing {
	return signing{keyID: testKeyID, secret: testSecret, region: testRegion, service: testService, at: testNow(), body: testBody, endpoint: testEndpoint}
}

func sha256HexString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (s signing) credentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: s.keyID, SecretAccessKey: s.secret, SessionToken: s.sessionToken}
}

// signedPOST builds the form POST an SDK sends for a Query API call.
func signedPOST(t testing.TB, s signing) (*http.Request, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, s.endpoint, strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", testFormType)
	hash := sha256HexString(s.body)
	if s.payloadHashHeader {
		r.Header.Set("X-Amz-Content-Sha256", hash)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), s.credentials(), r, hash, s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return r, []byte(s.body)
}

// presignedGET builds a presigned GET for the same call.
func presignedGET(t testing.TB, s signing) *http.Request {
	t.Helper()
	query := testQuery
	if s.expires > 0 {
		query += "&X-Amz-Expires=" + strconv.FormatInt(int64(s.expires/time.Second), 10)
	}
	r, err := http.NewRequest(http.MethodGet, s.endpoint+"?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	payloadHash := s.presignPayloadHash
	if payloadHash == "" {
		payloadHash = "UNSIGNED-PAYLOAD"
	}
	signedURL, _, err := v4.NewSigner().PresignHTTP(context.Background(), s.credentials(), r, payloadHash, s.service, s.region, s.at)
	if err != nil {
		t.Fatal(err)
	}
	presigned, err := http.NewRequest(http.MethodGet, signedURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return presigned
}

func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
