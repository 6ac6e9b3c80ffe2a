package sigv4

import (
	"encoding/hex"
	"fmt"
	"strings"
)

const (
	// algorithm is the only signing algorithm accepted; SigV4a
	// (AWS4-ECDSA-P256-SHA256) is not used by ElastiCache clients.
	algorithm = "AWS4-HMAC-SHA256"
	// scopeTerminator ends every credential scope.
	scopeTerminator = "aws4_request"

	// Bounds on attacker-controlled input, so that parsing does bounded work.
	// Real clients stay far below them: SDKs sign a handful of headers.
	maxAuthorizationLen = 8 << 10
	maxSignedHeaders    = 64
	// signatureHexLen is the length of a hex-encoded HMAC-SHA256.
	signatureHexLen = 64
)

// Authorization is the parsed content of a SigV4 signature, whether it came
// from the Authorization header or from presigned query parameters.
type Authorization struct {
	AccessKeyID string
	// Date is the credential scope date, yyyymmdd.
	Date    string
	Region  string
	Service string
	// SignedHeaders are lowercase header names, in the order the client
	// listed them (which is the order of its canonical headers).
	SignedHeaders []string
	// Signature is the hex signature as sent by the client.
	Signature string
}

// scope is the credential scope that appears in the string to sign.
func (a Authorization) scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator
}

// ParseAuthorization parses an "AWS4-HMAC-SHA256 Credential=...,
// SignedHeaders=..., Signature=..." header value. A failure is an *Error with
// code IncompleteSignature.
func ParseAuthorization(h string) (Authorization, error) {
	a, err := parseAuthorization(h)
	if err != nil {
		// Return a nil interface, not a typed nil *Error.
		return Authorization{}, err
	}
	return a, nil
}

func parseAuthorization(h string) (Authorization, *Error) {
	if len(h) > maxAuthorizationLen {
		return Authorization{}, errIncompleteSignature(fmt.Sprintf("Authorization header is longer than %d bytes.", maxAuthorizationLen))
	}
	alg, params, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != algorithm {
		return Authorization{}, errIncompleteSignature(fmt.Sprintf("Unsupported AWS 'algorithm': '%s'; expected '%s'.", excerpt(alg), algorithm))
	}
	fields, err := splitAuthorizationParams(params)
	if err != nil {
		return Authorization{}, err
	}
	if missing := missingAuthorizationParams(fields); missing != "" {
		return Authorization{}, errIncompleteSignature(missing)
	}
	return buildAuthorization(fields.credential, fields.signedHeaders, fields.signature)
}

// authorizationParams are the raw values of the three Authorization header
// parameters; the has* fields record which ones were present.
type authorizationParams struct {
	credential, signedHeaders, signature   string
	hasCredential, hasSigned, hasSignature bool
}

// splitAuthorizationParams splits "k=v, k=v, k=v". Unknown keys are ignored,
// as AWS does; duplicates are refused because which one wins is ambiguous.
func splitAuthorizationParams(params string) (authorizationParams, *Error) {
	var p authorizationParams
	for part := range strings.SplitSeq(params, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return p, errIncompleteSignature(fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header.", excerpt(part)))
		}
		var dst *string
		var seen *bool
		switch key {
		case "Credential":
			dst, seen = &p.credential, &p.hasCredential
		case "SignedHeaders":
			dst, seen = &p.signedHeaders, &p.hasSigned
		case "Signature":
			dst, seen = &p.signature, &p.hasSignature
		default:
			continue
		}
		if *seen {
			return p, errIncompleteSignature(fmt.Sprintf("Authorization header has more than one '%s' parameter.", key))
		}
		*dst, *seen = value, true
	}
	return p, nil
}

// missingAuthorizationParams names every missing parameter in AWS's words,
// or returns "" when all are present.
func missingAuthorizationParams(p authorizationParams) string {
	var missing []string
	for _, m := range []struct {
		name    string
		present bool
	}{{"Credential", p.hasCredential}, {"SignedHeaders", p.hasSigned}, {"Signature", p.hasSignature}} {
		if !m.present {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", m.name))
		}
	}
	return strings.Join(missing, " ")
}

// buildAuthorization validates the three SigV4 parameters, shared by the
// header and the presigned form.
func buildAuthorization(credential, signedHeaders, signature string) (Authorization, *Error) {
	var a Authorization
	var err *Error
	if a.AccessKeyID, a.Date, a.Region, a.Service, err = parseCredential(credential); err != nil {
		return Authorization{}, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(signedHeaders); err != nil {
		return Authorization{}, err
	}
	if err = checkSignatureFormat(signature); err != nil {
		return Authorization{}, err
	}
	a.Signature = signature
	return a, nil
}

// parseCredential splits "AKID/yyyymmdd/region/service/aws4_request".
func parseCredential(credential string) (accessKeyID, date, region, service string, err *Error) {
	// Counting first keeps a huge X-Amz-Credential from being split.
	if strings.Count(credential, "/") != 4 || hasEmpty(strings.Split(credential, "/")) {
		return "", "", "", "", errIncompleteSignature(fmt.Sprintf(
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'.", excerpt(credential)))
	}
	parts := strings.Split(credential, "/")
	if !isScopeDate(parts[1]) {
		return "", "", "", "", errIncompleteSignature(fmt.Sprintf(
			"Credential date must be in yyyyMMdd format, got '%s'.", excerpt(parts[1])))
	}
	if parts[4] != scopeTerminator {
		return "", "", "", "", errIncompleteSignature(fmt.Sprintf(
			"Credential should be scoped with a valid terminator: '%s', not '%s'.", scopeTerminator, excerpt(parts[4])))
	}
	return parts[0], parts[1], parts[2], parts[3], nil
}

func hasEmpty(parts []string) bool {
	for _, p := range parts {
		if p == "" {
			return true
		}
	}
	return false
}

// isScopeDate reports whether s is eight digits (yyyymmdd). The calendar
// check happens implicitly: it must equal the day of a parsed X-Amz-Date.
func isScopeDate(s string) bool {
	return len(s) == 8 && allDigits(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseSignedHeaders splits "content-type;host;x-amz-date". Names must be
// lowercase HTTP tokens: the canonical request only ever holds lowercase names.
func parseSignedHeaders(signedHeaders string) ([]string, *Error) {
	if strings.Count(signedHeaders, ";") >= maxSignedHeaders {
		return nil, errIncompleteSignature(fmt.Sprintf("SignedHeaders lists more than %d headers.", maxSignedHeaders))
	}
	names := strings.Split(signedHeaders, ";")
	for _, name := range names {
		if !isLowercaseToken(name) {
			return nil, errIncompleteSignature(fmt.Sprintf(
				"SignedHeaders must be a ';'-separated list of lowercase header names, got '%s'.", excerpt(signedHeaders)))
		}
	}
	return names, nil
}

// isLowercaseToken reports whether s is a non-empty RFC 9110 token without
// uppercase letters.
func isLowercaseToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkSignatureFormat requires a hex HMAC-SHA256, so that even a signature
// that cannot be checked (unknown key in development mode) is well-formed.
func checkSignatureFormat(signature string) *Error {
	if len(signature) != signatureHexLen {
		return errIncompleteSignature(fmt.Sprintf("Signature must be %d hexadecimal characters, got %d characters.", signatureHexLen, len(signature)))
	}
	if _, err := hex.DecodeString(signature); err != nil {
		return errIncompleteSignature("Signature must be hexadecimal.")
	}
	return nil
}
