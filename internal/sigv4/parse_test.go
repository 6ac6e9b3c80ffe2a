package sigv4

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const sampleSignature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

func TestParseAuthorization(t *testing.T) {
	got, err := ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/elasticache/aws4_request," +
		"  SignedHeaders=content-type;host;x-amz-date ,Signature=" + sampleSignature)
	if err != nil {
		t.Fatal(err)
	}
	want := Authorization{
		AccessKeyID: "AKID", Date: "20260102", Region: "us-east-1", Service: "elasticache",
		SignedHeaders: []string{"content-type", "host", "x-amz-date"}, Signature: sampleSignature,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseAuthorizationErrors(t *testing.T) {
	valid := "AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/elasticache/aws4_request, SignedHeaders=host, Signature=" + sampleSignature
	cases := map[string]string{
		"":        "Unsupported AWS 'algorithm'",
		"garbage": "Unsupported AWS 'algorithm'",
		"AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/elasticache/aws4_request": "requires 'SignedHeaders' parameter. " +
			"Authorization header requires 'Signature' parameter.",
		strings.Replace(valid, "AKID/", "/", 1):                      "exactly 5",
		strings.Replace(valid, "aws4_request", "aws4/x", 1):          "exactly 5",
		strings.Replace(valid, "20260102", "2026010", 1):             "yyyyMMdd",
		strings.Replace(valid, "=host", "=host;", 1):                 "lowercase header names",
		strings.Replace(valid, "=host", "=ho st", 1):                 "lowercase header names",
		strings.Replace(valid, sampleSignature, "abc", 1):            "64 hexadecimal",
		strings.Replace(valid, sampleSignature[:2], "zz", 1):         "hexadecimal",
		valid + ", Credential=x":                                     "more than one 'Credential'",
		valid + ", junk":                                             "missing equal-sign",
		valid + ", Junk=" + strings.Repeat("j", maxAuthorizationLen): "longer than",
	}
	for header, wantMsg := range cases {
		_, err := ParseAuthorization(header)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeIncompleteSignature || e.HTTPStatus != 400 {
			t.Errorf("ParseAuthorization(%.60q) = %v, want IncompleteSignature", header, err)
			continue
		}
		if !strings.Contains(e.Message, wantMsg) {
			t.Errorf("ParseAuthorization(%.60q) message %q, want it to contain %q", header, e.Message, wantMsg)
		}
	}
	// Unknown parameters are ignored, as AWS does.
	if _, err := ParseAuthorization(valid + ", Extra=1"); err != nil {
		t.Errorf("unknown parameter: %v", err)
	}
}

func TestURIEncode(t *testing.T) {
	cases := []struct {
		in        string
		keepSlash bool
		want      string
	}{
		{"AZaz09-_.~", false, "AZaz09-_.~"},
		{"a b+c/d=é*", false, "a%20b%2Bc%2Fd%3D%C3%A9%2A"},
		{"/a b/c", true, "/a%20b/c"},
		{"/a%20b", true, "/a%2520b"},
	}
	for _, tc := range cases {
		if got := uriEncode(tc.in, tc.keepSlash); got != tc.want {
			t.Errorf("uriEncode(%q, %v) = %q, want %q", tc.in, tc.keepSlash, got, tc.want)
		}
	}
}

func TestCanonicalQueryString(t *testing.T) {
	params, problem := parseRawQuery("b=2&a=z&a=a%2Fb&a=a-b&c&empty=&sp=x+y&&X-Amz-Signature=s")
	if problem != "" {
		t.Fatal(problem)
	}
	// Sorted after encoding: "a%2Fb" < "a-b" because '%' < '-'.
	want := "a=a%2Fb&a=a-b&a=z&b=2&c=&empty=&sp=x%20y"
	if got := canonicalQueryString(params, querySignature); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if _, problem := parseRawQuery("a=%zz"); problem == "" {
		t.Fatal("undecodable query not reported")
	}
	if params, problem := parseRawQuery(strings.Repeat("a&", maxQueryParams)); params != nil || problem == "" {
		t.Fatal("oversized query not refused")
	}
}

func TestCanonicalHeaderValue(t *testing.T) {
	cases := map[string]string{
		"  a   b  c ":     "a b c",
		"\tvalue\t":       "value",
		"no-change":       "no-change",
		"a\t\tb":          "a\t\tb",
		"":                "",
		"   ":             "",
		"x  y":            "x y",
		"quoted \"a  b\"": "quoted \"a b\"",
	}
	for in, want := range cases {
		if got := canonicalHeaderValue(in); got != want {
			t.Errorf("canonicalHeaderValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAmzDate(t *testing.T) {
	for _, good := range []string{"20260102T030405Z", "20240229T235959Z"} {
		if _, err := parseAmzDate(good); err != nil {
			t.Errorf("parseAmzDate(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "20260102T30405Z", "20260102T030405", "2026-01-02T03:04:05Z", "20260230T000000Z",
		"20261302T000000Z", "20260102T240000Z", "2026010xT030405Z", "20260102t030405z"} {
		if _, err := parseAmzDate(bad); err == nil {
			t.Errorf("parseAmzDate(%q) accepted", bad)
		}
	}
}
