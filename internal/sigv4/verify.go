package sigv4

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	// defaultMaxSkew is AWS's tolerance between client and server clocks.
	defaultMaxSkew = 15 * time.Minute
	// unsignedPayload is the payload hash presigned URLs use: the URL is
	// signed before any body exists.
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// maxExcerptLen bounds how much client input is echoed in a message.
	maxExcerptLen = 128
)

// Verifier checks requests signed for one region and service.
type Verifier struct {
	Region  string // e.g. "us-east-1"
	Service string // "elasticache"
	// Secret returns the secret access key for an access key id; ok=false if
	// the key is unknown.
	Secret func(accessKeyID string) (secret string, ok bool)
	// AllowUnknownKeys is local-development mode (server on loopback): any
	// access key id is accepted. A request signed with a KNOWN key is still
	// fully verified. A request with an unknown key must still carry a
	// well-formed, in-date SigV4 signature with the right scope, but its
	// signature bytes cannot be checked.
	AllowUnknownKeys bool
	Now              func() time.Time // nil = time.Now
	MaxSkew          time.Duration    // 0 = 15 minutes, as AWS
}

// Identity is who signed a request.
type Identity struct {
	AccessKeyID string
	// Verified is true when the signature bytes were checked against a known
	// secret; false only for unknown keys accepted by AllowUnknownKeys.
	Verified bool
}

// signedRequest is the signature a request carries, in either form.
type signedRequest struct {
	auth      Authorization
	amzDate   string // as sent; it is part of the string to sign
	signedAt  time.Time
	presigned bool
	// expires and hasExpires come from X-Amz-Expires (presigned only).
	expires    time.Duration
	hasExpires bool
	query      []queryParam
}

// Verify checks r, whose full body has already been read into body (r.Body
// must not be read). On failure the Identity is empty and the *Error says
// what to answer.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, *Error) {
	if r == nil {
		return Identity{}, errMissingAuthenticationToken()
	}
	sr, err := readSignedRequest(r)
	if err != nil {
		return Identity{}, err
	}
	if err := v.checkScope(sr); err != nil {
		return Identity{}, err
	}
	if err := v.checkTime(sr); err != nil {
		return Identity{}, err
	}
	payloadHashes, err := payloadHashCandidates(r, body, sr.presigned)
	if err != nil {
		return Identity{}, err
	}
	secret, known := v.secretFor(sr.auth.AccessKeyID)
	if !known {
		if v.AllowUnknownKeys {
			return Identity{AccessKeyID: sr.auth.AccessKeyID}, nil
		}
		return Identity{}, errInvalidClientTokenID()
	}
	if !signatureMatches(secret, r, sr, payloadHashes) {
		return Identity{}, errSignatureDoesNotMatch(msgSignatureDoesNotMatch)
	}
	return Identity{AccessKeyID: sr.auth.AccessKeyID, Verified: true}, nil
}

func (v *Verifier) secretFor(accessKeyID string) (string, bool) {
	if v.Secret == nil {
		return "", false
	}
	return v.Secret(accessKeyID)
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew <= 0 {
		return defaultMaxSkew
	}
	return v.MaxSkew
}

// readSignedRequest finds the signature (header or presigned query) and
// checks that it is complete and well-formed.
func readSignedRequest(r *http.Request) (signedRequest, *Error) {
	rawQuery := ""
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	query, queryProblem := parseRawQuery(rawQuery)
	headers := r.Header.Values("Authorization")
	presigned := isPresignAttempt(query)

	var sr signedRequest
	var err *Error
	switch {
	case len(headers) == 0 && !presigned:
		return signedRequest{}, errMissingAuthenticationToken()
	case len(headers) > 0 && presigned:
		return signedRequest{}, errIncompleteSignature("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
			"Signature query string parameter or the Authorization header should be specified.")
	case len(headers) > 1:
		return signedRequest{}, errIncompleteSignature("Request must carry exactly one Authorization header.")
	case presigned:
		sr, err = readPresigned(query)
	default:
		sr, err = readAuthorizationHeader(r, headers[0])
	}
	if err != nil {
		return signedRequest{}, err
	}
	if queryProblem != "" {
		return signedRequest{}, errIncompleteSignature(queryProblem)
	}
	// Without host the signature could be replayed against another endpoint.
	if !slices.Contains(sr.auth.SignedHeaders, "host") {
		return signedRequest{}, errIncompleteSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	sr.query = query
	return sr, nil
}

func readAuthorizationHeader(r *http.Request, header string) (signedRequest, *Error) {
	auth, err := parseAuthorization(header)
	if err != nil {
		return signedRequest{}, err
	}
	sr := signedRequest{auth: auth, amzDate: r.Header.Get("X-Amz-Date")}
	if sr.amzDate == "" {
		return signedRequest{}, errIncompleteSignature("Authorization header requires existence of a 'X-Amz-Date' header.")
	}
	if sr.signedAt, err = parseAmzDate(sr.amzDate); err != nil {
		return signedRequest{}, err
	}
	return sr, nil
}

// checkScope requires the credential scope to name this region, this
// service and the day of the request's timestamp.
func (v *Verifier) checkScope(sr signedRequest) *Error {
	a := sr.auth
	if a.Region != v.Region {
		return errSignatureDoesNotMatch(fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", excerpt(a.Region)))
	}
	if a.Service != v.Service {
		return errSignatureDoesNotMatch(fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", v.Service))
	}
	if day := sr.amzDate[:8]; a.Date != day {
		return errSignatureDoesNotMatch(fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.Date, day, sr.amzDate))
	}
	return nil
}

// checkTime bounds replay: a header signature is valid within MaxSkew of its
// timestamp either way; a presigned URL with X-Amz-Expires is valid from
// MaxSkew before its timestamp until it expires.
func (v *Verifier) checkTime(sr signedRequest) *Error {
	now, skew := v.now().UTC(), v.maxSkew()
	if latest := now.Add(skew); sr.signedAt.After(latest) {
		return errRequestExpired(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s)",
			sr.amzDate, formatAmzDate(latest), formatAmzDate(now), describeDuration(skew)))
	}
	if sr.presigned && sr.hasExpires {
		if now.After(sr.signedAt.Add(sr.expires)) {
			return errRequestExpired(fmt.Sprintf("Request has expired. Timestamp date is %s, X-Amz-Expires is %d seconds",
				sr.amzDate, int64(sr.expires/time.Second)))
		}
		return nil
	}
	if sr.signedAt.Before(now.Add(-skew)) {
		return errRequestExpired("Request has expired. Timestamp date is " + sr.amzDate)
	}
	return nil
}

// payloadHashCandidates lists the payload hashes the client may have signed.
func payloadHashCandidates(r *http.Request, body []byte, presigned bool) ([]string, *Error) {
	bodyHash := sha256Hex(body)
	if declared := r.Header.Get("X-Amz-Content-Sha256"); declared != "" {
		// The declared hash is what the client signed, so it protects the
		// body only if it really is the body's hash. UNSIGNED-PAYLOAD and
		// streaming markers are refused too: a Query API body carries the
		// action and its parameters.
		if !strings.EqualFold(declared, bodyHash) {
			return nil, errSignatureDoesNotMatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		return []string{declared}, nil
	}
	if presigned && len(body) == 0 {
		// Presigners disagree: S3-style ones sign UNSIGNED-PAYLOAD, others
		// (e.g. RDS/ElastiCache IAM auth tokens) the empty body's hash.
		// A body, if any, must be covered by the signature.
		return []string{unsignedPayload, bodyHash}, nil
	}
	return []string{bodyHash}, nil
}

// signatureMatches recomputes the signature for each candidate payload hash
// and compares in constant time.
func signatureMatches(secret string, r *http.Request, sr signedRequest, payloadHashes []string) bool {
	provided, err := hex.DecodeString(sr.auth.Signature)
	if err != nil {
		return false
	}
	skip := ""
	if sr.presigned {
		skip = querySignature // a signature cannot sign itself
	}
	method, uri := canonicalMethod(r), canonicalURI(r.URL)
	query := canonicalQueryString(sr.query, skip)
	headers := canonicalHeaders(r, sr.auth.SignedHeaders)
	signedHeaders := strings.Join(sr.auth.SignedHeaders, ";")
	key := signingKey(secret, sr.auth.Date, sr.auth.Region, sr.auth.Service)
	for _, payloadHash := range payloadHashes {
		creq := canonicalRequest(method, uri, query, headers, signedHeaders, payloadHash)
		expected := hmacSHA256(key, stringToSign(sr.amzDate, sr.auth.scope(), creq))
		if hmac.Equal(expected, provided) {
			return true
		}
	}
	return false
}

// excerpt bounds and sanitises client input echoed in error messages.
func excerpt(s string) string {
	if len(s) > maxExcerptLen {
		s = s[:maxExcerptLen] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
