package sigv4

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Query parameters of a presigned URL.
const (
	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"

	// maxExpiresSeconds is AWS's ceiling for X-Amz-Expires: one week.
	maxExpiresSeconds = 7 * 24 * 60 * 60
)

// isPresignAttempt reports whether the query tries to carry a signature, so
// that a half-built presigned URL is told what is missing instead of being
// treated as unauthenticated.
func isPresignAttempt(params []queryParam) bool {
	for _, p := range params {
		switch p.key {
		case queryAlgorithm, queryCredential, querySignature:
			return true
		}
	}
	return false
}

// readPresigned extracts the signature from presigned query parameters.
func readPresigned(params []queryParam) (signedRequest, *Error) {
	required := []string{queryAlgorithm, queryCredential, queryDate, querySignedHeaders, querySignature}
	value := make(map[string]string, len(required))
	var missing []string
	for _, name := range required {
		values := queryValues(params, name)
		switch len(values) {
		case 0:
			missing = append(missing, "'"+name+"'")
		case 1:
			value[name] = values[0]
		default:
			return signedRequest{}, errIncompleteSignature(fmt.Sprintf("AWS query-string parameter '%s' must appear only once.", name))
		}
	}
	if len(missing) > 0 {
		return signedRequest{}, errIncompleteSignature(fmt.Sprintf(
			"AWS query-string parameters must include %s. Re-examine the query-string parameters.", strings.Join(missing, ", ")))
	}
	if alg := value[queryAlgorithm]; alg != algorithm {
		return signedRequest{}, errIncompleteSignature(fmt.Sprintf("Unsupported AWS 'algorithm': '%s'; expected '%s'.", excerpt(alg), algorithm))
	}
	auth, err := buildAuthorization(value[queryCredential], value[querySignedHeaders], value[querySignature])
	if err != nil {
		return signedRequest{}, err
	}
	sr := signedRequest{auth: auth, presigned: true, amzDate: value[queryDate]}
	if sr.signedAt, err = parseAmzDate(sr.amzDate); err != nil {
		return signedRequest{}, err
	}
	if sr.expires, sr.hasExpires, err = readExpires(params); err != nil {
		return signedRequest{}, err
	}
	return sr, nil
}

// readExpires reads the optional X-Amz-Expires: SDKs only send it when the
// caller asks; without it the usual clock-skew window applies.
func readExpires(params []queryParam) (expires time.Duration, present bool, err *Error) {
	values := queryValues(params, queryExpires)
	switch len(values) {
	case 0:
		return 0, false, nil
	case 1:
	default:
		return 0, false, errIncompleteSignature(fmt.Sprintf("AWS query-string parameter '%s' must appear only once.", queryExpires))
	}
	// Digits only: strconv.Atoi would also take signs, and the length cap
	// keeps the number far from overflow.
	s := values[0]
	if s == "" || len(s) > 7 || !allDigits(s) {
		return 0, false, errIncompleteSignature(fmt.Sprintf("X-Amz-Expires should be a number of seconds, got '%s'.", excerpt(s)))
	}
	seconds, _ := strconv.Atoi(s)
	if seconds > maxExpiresSeconds {
		return 0, false, errIncompleteSignature(fmt.Sprintf("X-Amz-Expires must be less than a week (in seconds) that is %d.", maxExpiresSeconds))
	}
	return time.Duration(seconds) * time.Second, true, nil
}
