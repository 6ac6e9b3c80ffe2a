package sigv4

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// maxQueryParams bounds the sort in canonicalQueryString. Query API calls
// put their parameters in the POST body; a URL only carries a few.
const maxQueryParams = 1000

// queryParam is one decoded name=value pair of the URL query.
type queryParam struct {
	key, value string
}

// canonicalRequest joins the six parts of the SigV4 canonical request.
// canonicalHeaders already ends with a newline, as the spec requires.
func canonicalRequest(method, uri, query, canonicalHeaders, signedHeaders, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + canonicalHeaders + "\n" + signedHeaders + "\n" + payloadHash
}

// canonicalMethod is the request method; Go uses "" to mean GET.
func canonicalMethod(r *http.Request) string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// canonicalURI URI-encodes the already escaped path once more, keeping '/'.
// Encoding the escaped form (so "%20" becomes "%2520") is what every non-S3
// service and every SDK signer does.
func canonicalURI(u *url.URL) string {
	path := ""
	if u != nil {
		path = u.EscapedPath()
	}
	if path == "" {
		return "/"
	}
	return uriEncode(path, true)
}

// uriEncode applies AWS URI encoding: the unreserved characters
// A-Z a-z 0-9 - _ . ~ stay as they are, every other byte becomes %XX with
// uppercase hex (so a space is %20, never '+').
func uriEncode(s string, keepSlash bool) string {
	const upperHex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// parseRawQuery decodes a raw query string into its pairs, keeping their
// order and duplicates. Unlike url.ParseQuery it never drops a pair: an
// undecodable component is kept verbatim (so X-Amz-* names are still seen)
// and problem says the query is malformed. Too many pairs yield no pairs.
func parseRawQuery(raw string) (params []queryParam, problem string) {
	if raw == "" {
		return nil, ""
	}
	if strings.Count(raw, "&") >= maxQueryParams {
		return nil, "The query string has more than " + strconv.Itoa(maxQueryParams) + " parameters."
	}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, keyOK := queryUnescape(rawKey)
		value, valueOK := queryUnescape(rawValue)
		if !keyOK || !valueOK {
			problem = "The query string contains a syntax error."
		}
		params = append(params, queryParam{key: key, value: value})
	}
	return params, problem
}

// queryUnescape decodes s as url.Values does ('+' is a space); on failure
// it returns s unchanged and false.
func queryUnescape(s string) (string, bool) {
	decoded, err := url.QueryUnescape(s)
	if err != nil {
		return s, false
	}
	return decoded, true
}

// queryValues returns every value of the parameter named key.
func queryValues(params []queryParam, key string) []string {
	var values []string
	for _, p := range params {
		if p.key == key {
			values = append(values, p.value)
		}
	}
	return values
}

// canonicalQueryString encodes every pair except those named skip (the
// signature itself, for presigned URLs) and sorts by encoded key, then by
// encoded value. The spec sorts after encoding, which is not the same order
// as sorting the decoded text.
func canonicalQueryString(params []queryParam, skip string) string {
	encoded := make([]queryParam, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		encoded = append(encoded, queryParam{key: uriEncode(p.key, false), value: uriEncode(p.value, false)})
	}
	sort.Slice(encoded, func(i, j int) bool {
		if encoded[i].key != encoded[j].key {
			return encoded[i].key < encoded[j].key
		}
		return encoded[i].value < encoded[j].value
	})
	var b strings.Builder
	for i, p := range encoded {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalHeaders renders "name:value\n" for each signed header, in the
// order the client listed them.
func canonicalHeaders(r *http.Request, signedHeaders []string) string {
	var b strings.Builder
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		for i, value := range signedHeaderValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(canonicalHeaderValue(value))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// signedHeaderValues returns the values of a header as the client saw them.
// net/http moves Host out of the header map into r.Host, and a client-side
// request keeps its length in r.ContentLength only, so both are recovered.
func signedHeaderValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		return []string{requestHost(r)}
	case "content-length":
		if values := r.Header.Values(name); len(values) > 0 {
			return values
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	default:
		return r.Header.Values(name)
	}
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// canonicalHeaderValue trims the value and collapses inner runs of spaces to
// one space, as the spec (and aws-sdk-go-v2) does.
func canonicalHeaderValue(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	previousWasSpace := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' && previousWasSpace {
			continue
		}
		previousWasSpace = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}
