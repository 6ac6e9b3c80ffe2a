// Package sdkhttp is test and benchmark support for driving cacheplane with the
// AWS SDK for Go without retries: BufferedBody hands net/http a private copy of
// each request body. The SDK's own body stream can make the transport's write
// loop fail with EOF after the request was sent, and the transport then closes
// the connection while the response is still being read ("deserialization
// failed ... use of closed network connection", aws/aws-sdk-go-v2#2737). The
// SDK's default retryer hides that by retrying; clients that must see every
// answer of the server as it is (no retries) avoid it this way.
package sdkhttp

import (
	"bytes"
	"io"
	"net/http"
)

// BufferedBody wraps c; it satisfies the SDK's HTTPClient interface (Do).
type BufferedBody struct{ Client *http.Client }

// Do sends r with its body read into memory first.
func (b BufferedBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	c := b.Client
	if c == nil {
		c = http.DefaultClient
	}
	return c.Do(r)
}
