package awsquery_test

import (
	"flag"
	"fmt"
	"math/rand"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
)

var seedFlag = flag.Int64("seed", 20150202, "seed of the random round-trip tests")

// ---- A test-only Query serializer with botocore's rules ----
//
// botocore (serialize.QuerySerializer): a structure member is Prefix.Name; a
// non-flattened list is Prefix.<member locationName or "member">.N from 1; an
// empty list is "Prefix=" ; booleans are true/false; timestamps ISO 8601 with
// microseconds only when non-zero; a structure with no members set produces
// nothing at all; absent members produce nothing. ElastiCache has no flattened
// lists and no maps. It reads the `query` tags itself, independently of the codec.

type tagInfo struct {
	name, member string
	required     bool
}

func parseTag(sf reflect.StructField) (tagInfo, bool) {
	tag, ok := sf.Tag.Lookup("query")
	if !ok {
		return tagInfo{}, false
	}
	parts := strings.Split(tag, ",")
	ti := tagInfo{name: parts[0]}
	for _, p := range parts[1:] {
		if p == "required" {
			ti.required = true
		} else if m, ok := strings.CutPrefix(p, "member="); ok {
			ti.member = m
		}
	}
	return ti, true
}

var timeType = reflect.TypeOf(time.Time{})

// botocoreTime is botocore's _timestamp_iso8601.
func botocoreTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 > 0 {
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05Z")
}

type serializer struct {
	// blankEmptyStruct writes "Prefix=" for a structure with nothing set, which
	// botocore never sends but the codec reads as an empty structure; the fuzz
	// target uses it to re-serialise exactly what it decoded.
	blankEmptyStruct bool
	formatTime       func(time.Time) string
}

// serialize renders the structure pointed to by in as botocore would send it for action.
func (s serializer) serialize(action string, in any) url.Values {
	out := url.Values{}
	if action != "" {
		out.Set("Action", action)
		out.Set("Version", api.APIVersion)
	}
	s.structure(out, reflect.ValueOf(in).Elem(), "")
	return out
}

func (s serializer) structure(out url.Values, v reflect.Value, prefix string) {
	before := len(out)
	for i := 0; i < v.NumField(); i++ {
		ti, ok := parseTag(v.Type().Field(i))
		if !ok {
			continue
		}
		key := ti.name
		if prefix != "" {
			key = prefix + "." + ti.name
		}
		s.value(out, v.Field(i), key, ti.member)
	}
	if s.blankEmptyStruct && len(out) == before && prefix != "" {
		out.Set(prefix, "")
	}
}

func (s serializer) value(out url.Values, v reflect.Value, key, member string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			s.value(out, v.Elem(), key, member)
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Len() == 0 {
			out.Set(key, "")
			return
		}
		if member == "" {
			member = "member"
		}
		for i := 0; i < v.Len(); i++ {
			s.value(out, v.Index(i), key+"."+member+"."+strconv.Itoa(i+1), "")
		}
	case reflect.Struct:
		if v.Type() == timeType {
			f := s.formatTime
			if f == nil {
				f = botocoreTime
			}
			out.Set(key, f(v.Interface().(time.Time)))
			return
		}
		s.structure(out, v, key)
	case reflect.String:
		if v.Type().Name() != "string" && v.Len() == 0 {
			return // an unset enumeration is absent
		}
		out.Set(key, v.String())
	case reflect.Bool:
		out.Set(key, strconv.FormatBool(v.Bool()))
	case reflect.Int32, reflect.Int64, reflect.Int:
		out.Set(key, strconv.FormatInt(v.Int(), 10))
	case reflect.Float64:
		out.Set(key, strconv.FormatFloat(v.Float(), 'g', -1, 64))
	default:
		panic("serializer: unsupported kind " + v.Kind().String())
	}
}

// ---- Random values for generated structures ----

type filler struct {
	r *rand.Rand
	// timeUnit is the precision of generated timestamps (botocore: microseconds, Go SDK: milliseconds).
	timeUnit time.Duration
	// optional is the chance, out of 10, that an optional member is set.
	optional int
	// xmlSafe keeps strings to the characters an XML document can carry
	// (the encoder replaces the others with U+FFFD).
	xmlSafe bool
}

var stringAtoms = []string{
	"", "a", "redis", "my-cluster", "sg-0123456789abcdef0", "us-east-1a", ".", "..", "&", "=", "+", "%", "%20", "#",
	"?", "/", "\\", " ", "  lead", "trail  ", "\t", "\n", "\r\n", "<", ">", "'", "\"", "]]>", "é", "€", "😀", "日本語",
	"\u00a0", "\u2028", "\x00", "\x7f", "Tags.Tag.1.Key", "member", "1", "-1", "true", "null",
}

func (f *filler) str() string {
	var b strings.Builder
	n := f.r.Intn(4)
	for i := 0; i < n; i++ {
		if f.r.Intn(4) == 0 {
			// any valid scalar value; surrogates become U+FFFD, still valid UTF-8
			r := rune(f.r.Intn(0x110000))
			if f.xmlSafe && !xmlChar(r) {
				r = 'x'
			}
			b.WriteRune(r)
		} else {
			atom := stringAtoms[f.r.Intn(len(stringAtoms))]
			if f.xmlSafe && strings.ContainsFunc(atom, func(r rune) bool { return !xmlChar(r) }) {
				atom = "y"
			}
			b.WriteString(atom)
		}
	}
	return b.String()
}

// xmlChar reports whether r is a Char of XML 1.0.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func (f *filler) time() time.Time {
	// 1970 .. 2100, at the filler's precision
	ns := f.r.Int63n(int64(130 * 365 * 24 * time.Hour))
	if f.r.Intn(3) == 0 {
		ns -= ns % int64(time.Second)
	}
	ns -= ns % int64(f.timeUnit)
	return time.Unix(0, ns).UTC()
}

func (f *filler) int32() int32 {
	switch f.r.Intn(4) {
	case 0:
		return int32(f.r.Intn(10))
	case 1:
		return -int32(f.r.Intn(10))
	default:
		return int32(f.r.Uint32())
	}
}

// structure fills v's members: the required ones always, the others sometimes,
// and at least one, so that the structure is never empty (botocore sends
// nothing for an empty structure, which then decodes as absent).
func (f *filler) structure(v reflect.Value) {
	var fields []int
	set := false
	for i := 0; i < v.NumField(); i++ {
		ti, ok := parseTag(v.Type().Field(i))
		if !ok {
			continue
		}
		fields = append(fields, i)
		if ti.required || f.r.Intn(10) < f.optional {
			f.value(v.Field(i))
			set = true
		}
	}
	if !set && len(fields) > 0 {
		f.value(v.Field(fields[f.r.Intn(len(fields))]))
	}
}

func (f *filler) value(v reflect.Value) {
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer:
		e := reflect.New(t.Elem())
		f.value(e.Elem())
		v.Set(e)
	case reflect.Slice:
		n := f.r.Intn(5) // 0: the empty list, sent as "Name="
		s := reflect.MakeSlice(t, n, n)
		for i := 0; i < n; i++ {
			f.value(s.Index(i))
		}
		v.Set(s)
	case reflect.Struct:
		if t == timeType {
			v.Set(reflect.ValueOf(f.time()))
			return
		}
		f.structure(v)
	case reflect.String:
		if t.Name() != "string" {
			vals := v.MethodByName("Values").Call(nil)[0]
			v.Set(vals.Index(f.r.Intn(vals.Len())))
			return
		}
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.r.Intn(2) == 0)
	case reflect.Int32:
		v.SetInt(int64(f.int32()))
	case reflect.Float64:
		v.SetFloat(f.r.NormFloat64() * 1e3)
	default:
		panic("filler: unsupported kind " + t.Kind().String())
	}
}

func sortedOperations() []*api.Operation {
	ops := api.Operations()
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]*api.Operation, len(names))
	for i, n := range names {
		out[i] = ops[n]
	}
	return out
}

// TestRoundTripBotocore fills every operation's input with random values,
// serialises it as botocore would, and checks Parse+Decode gives it back.
func TestRoundTripBotocore(t *testing.T) {
	iterations := 150
	if testing.Short() {
		iterations = 20
	}
	ops := sortedOperations()
	if len(ops) < 70 {
		t.Fatalf("only %d operations", len(ops))
	}
	ser := serializer{}
	for _, op := range ops {
		t.Run(op.Name, func(t *testing.T) {
			seed := *seedFlag + int64(len(op.Name))*7919 + int64(op.Name[0])
			r := rand.New(rand.NewSource(seed))
			for i := 0; i < iterations; i++ {
				f := &filler{r: r, timeUnit: time.Microsecond, optional: []int{0, 3, 7, 10}[i%4]}
				in := op.NewInput()
				f.structure(reflect.ValueOf(in).Elem())
				values := ser.serialize(op.Name, in)
				out := op.NewInput()
				if err := decodeValues(values, out); err != nil {
					t.Fatalf("seed %d iteration %d: %v\nrequest %s", seed, i, err, values.Encode())
				}
				if !reflect.DeepEqual(in, out) {
					t.Fatalf("seed %d iteration %d: round trip differs\nrequest %s\nsent %s\ngot  %s", seed, i, values.Encode(), dump(in), dump(out))
				}
			}
		})
	}
}

// TestSerializerSanity pins the test serializer to botocore's documented output.
func TestSerializerSanity(t *testing.T) {
	in := &api.CreateCacheClusterMessage{
		CacheClusterId:   api.String("c1"),
		NumCacheNodes:    api.Int32(2),
		SecurityGroupIds: []string{},
		Tags:             []api.Tag{{Key: api.String("k"), Value: api.String("v")}},
		LogDeliveryConfigurations: []api.LogDeliveryConfigurationRequest{{
			LogType:            api.LogTypeSlowLog,
			DestinationDetails: &api.DestinationDetails{CloudWatchLogsDetails: &api.CloudWatchLogsDestinationDetails{LogGroup: api.String("g")}},
		}},
		AutoMinorVersionUpgrade: api.Bool(false),
	}
	got := serializer{}.serialize("CreateCacheCluster", in).Encode()
	want := "Action=CreateCacheCluster&AutoMinorVersionUpgrade=false&CacheClusterId=c1" +
		"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails.CloudWatchLogsDetails.LogGroup=g" +
		"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.LogType=slow-log" +
		"&NumCacheNodes=2&SecurityGroupIds=&Tags.Tag.1.Key=k&Tags.Tag.1.Value=v&Version=2015-02-02"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if s := botocoreTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)); s != "2024-01-02T03:04:05Z" {
		t.Errorf("botocoreTime = %s", s)
	}
	if s := botocoreTime(time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC)); s != "2024-01-02T03:04:05.120000Z" {
		t.Errorf("botocoreTime = %s", s)
	}
}

// describeDiff lists the keys on which two url.Values differ, for failure messages.
func describeDiff(a, b url.Values) string {
	var lines []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			lines = append(lines, fmt.Sprintf("only in SDK: %s=%q", k, v))
		} else if !reflect.DeepEqual(v, w) {
			lines = append(lines, fmt.Sprintf("differs: %s SDK=%q ours=%q", k, v, w))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			lines = append(lines, fmt.Sprintf("only in ours: %s=%q", k, v))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
