// Package awsquery is the AWS Query protocol codec: it decodes form-encoded
// request parameters (Name.member.N, Name.Sub.Field) into the generated
// structures of internal/api by reflection over their `query` struct tags, and
// encodes results and faults as the XML documents AWS SDKs parse. It knows the
// protocol, not ElastiCache: the only service facts it receives are the names
// in struct tags and the XML namespace.
package awsquery

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits bound the work a single request can cause, whatever its shape.
const (
	MaxParameters = 10000 // distinct keys in one request
	MaxListIndex  = 1000  // highest N accepted in Name.member.N
	MaxKeyDepth   = 12    // dotted components in one key
)

// Error is a decoding failure in AWS terms.
type Error struct {
	Code       string
	Message    string
	HTTPStatus int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalidValue(format string, args ...any) *Error {
	return &Error{Code: "InvalidParameterValue", HTTPStatus: 400, Message: fmt.Sprintf(format, args...)}
}

// Codec decodes and encodes Query requests. It caches the field layout of each
// structure type it meets; the zero value is not usable, use NewCodec.
type Codec struct {
	layouts sync.Map // reflect.Type -> *layout
}

// NewCodec returns a ready Codec.
func NewCodec() *Codec { return &Codec{} }

type field struct {
	index    int
	name     string // wire name
	member   string // list element name, "" when not a list
	required bool
}

type layout struct{ fields []field }

func (c *Codec) layoutOf(t reflect.Type) *layout {
	if l, ok := c.layouts.Load(t); ok {
		return l.(*layout)
	}
	l := &layout{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("query")
		if !ok || !sf.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		f := field{index: i, name: parts[0]}
		for _, p := range parts[1:] {
			switch {
			case p == "required":
				f.required = true
			case strings.HasPrefix(p, "member="):
				f.member = strings.TrimPrefix(p, "member=")
			}
		}
		l.fields = append(l.fields, f)
	}
	c.layouts.Store(t, l)
	return l
}

// node is one dotted component of the request's parameter names.
type node struct {
	value    *string
	children map[string]*node
}

// Parameters is a parsed request: the parameter tree and the reserved top-level values.
type Parameters struct {
	root *node
}

// Get returns the value of a top-level parameter such as Action or Version.
func (p *Parameters) Get(name string) (string, bool) {
	n := p.root.children[name]
	if n == nil || n.value == nil {
		return "", false
	}
	return *n.value, true
}

// Parse validates raw form values (all keys and values valid UTF-8, no key given
// twice, bounded size) and builds the parameter tree.
func Parse(values url.Values) (*Parameters, *Error) {
	if len(values) > MaxParameters {
		return nil, invalidValue("The request has %d parameters; at most %d are accepted.", len(values), MaxParameters)
	}
	root := &node{children: map[string]*node{}}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		vals := values[key]
		if len(vals) == 0 {
			continue // a name with no value (only possible in hand-built url.Values) is absent
		}
		if !utf8.ValidString(key) {
			return nil, &Error{Code: "InvalidQueryParameter", HTTPStatus: 400, Message: "A parameter name is not valid UTF-8."}
		}
		if len(vals) > 1 {
			return nil, invalidValue("The parameter %s is given %d times; give it once.", key, len(vals))
		}
		v := vals[0]
		if !utf8.ValidString(v) {
			return nil, invalidValue("The value of parameter %s is not valid UTF-8.", key)
		}
		parts := strings.Split(key, ".")
		if len(parts) > MaxKeyDepth {
			return nil, &Error{Code: "InvalidQueryParameter", HTTPStatus: 400, Message: fmt.Sprintf("The parameter name %.100s is nested too deeply.", key)}
		}
		n := root
		for _, p := range parts {
			if n.children == nil {
				n.children = map[string]*node{}
			}
			child := n.children[p]
			if child == nil {
				child = &node{}
				n.children[p] = child
			}
			n = child
		}
		val := v
		n.value = &val
	}
	return &Parameters{root: root}, nil
}

// Decode fills the structure pointed to by out from the parameters. Unknown
// parameters are ignored, as AWS does; Action and Version are not decoded.
func (c *Codec) Decode(p *Parameters, out any) *Error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return &Error{Code: "InternalFailure", HTTPStatus: 500, Message: "decode target is not a structure"}
	}
	return c.decodeStruct(p.root, rv.Elem(), "")
}

func (c *Codec) decodeStruct(n *node, v reflect.Value, prefix string) *Error {
	for _, f := range c.layoutOf(v.Type()).fields {
		name := prefix + f.name
		child := n.children[f.name]
		if child == nil {
			if f.required {
				return &Error{Code: "MissingParameter", HTTPStatus: 400, Message: fmt.Sprintf("The request must contain the parameter %s.", name)}
			}
			continue
		}
		if err := c.decodeValue(child, v.Field(f.index), name, f.member); err != nil {
			return err
		}
	}
	return nil
}

// timeType is compared against, never changed.
var timeType = reflect.TypeOf(time.Time{})

func (c *Codec) decodeValue(n *node, v reflect.Value, name, member string) *Error {
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		if err := c.decodeValue(n, elem.Elem(), name, member); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case reflect.Slice:
		return c.decodeList(n, v, name, member)
	case reflect.Struct:
		if t == timeType {
			s, err := scalar(n, name)
			if err != nil {
				return err
			}
			ts, perr := parseTime(s)
			if perr != nil {
				return invalidValue("Value '%s' for parameter %s is not a valid ISO 8601 timestamp.", truncate(s), name)
			}
			v.Set(reflect.ValueOf(ts))
			return nil
		}
		if n.children == nil {
			if n.value != nil && *n.value == "" {
				// An empty structure: its required members are still missing.
				return c.decodeStruct(&node{}, v, name+".")
			}
			return invalidValue("Parameter %s is a structure; give its members as %s.<Member>.", name, name)
		}
		return c.decodeStruct(n, v, name+".")
	}
	s, err := scalar(n, name)
	if err != nil {
		return err
	}
	switch t.Kind() {
	case reflect.String:
		if t.Name() != "string" {
			if allowed := enumValues(v); allowed != nil && !contains(allowed, s) {
				return invalidValue("Invalid value '%s' for parameter %s. Valid values: %s.", truncate(s), name, strings.Join(allowed, ", "))
			}
		}
		v.SetString(s)
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return invalidValue("Value '%s' for parameter %s is invalid. It must be true or false.", truncate(s), name)
		}
	case reflect.Int32, reflect.Int64, reflect.Int:
		i, perr := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if perr != nil {
			return invalidValue("Value '%s' for parameter %s is invalid. It must be an integer.", truncate(s), name)
		}
		v.SetInt(i)
	case reflect.Float64:
		f, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if perr != nil {
			return invalidValue("Value '%s' for parameter %s is invalid. It must be a number.", truncate(s), name)
		}
		v.SetFloat(f)
	default:
		return &Error{Code: "InternalFailure", HTTPStatus: 500, Message: "unsupported field kind " + t.Kind().String()}
	}
	return nil
}

// decodeList reads Name.<member>.N (and the Name.member.N spelling AWS's own guides
// also use). An empty value for Name itself is an empty list, as botocore sends it.
func (c *Codec) decodeList(n *node, v reflect.Value, name, member string) *Error {
	items := n.children[member]
	itemName := member
	if items == nil && member != "member" {
		items = n.children["member"]
		itemName = "member"
	}
	if items == nil {
		if n.value != nil && *n.value == "" && len(n.children) == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return nil
		}
		return invalidValue("Parameter %s is a list; give its elements as %s.%s.1, %s.%s.2, ...", name, name, member, name, member)
	}
	type indexed struct {
		i int
		n *node
	}
	list := make([]indexed, 0, len(items.children))
	bad, hasBad := "", false
	for k, child := range items.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > MaxListIndex || strconv.Itoa(i) != k {
			// Report the smallest bad position, so the answer does not depend on map order.
			if !hasBad || k < bad {
				bad, hasBad = k, true
			}
			continue
		}
		list = append(list, indexed{i, child})
	}
	if hasBad {
		return invalidValue("%s.%s.%.20s is not a valid list position; positions run from 1 to %d.", name, itemName, bad, MaxListIndex)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].i < list[b].i })
	out := reflect.MakeSlice(v.Type(), len(list), len(list))
	for j, it := range list {
		if err := c.decodeValue(it.n, out.Index(j), fmt.Sprintf("%s.%s.%d", name, itemName, it.i), "member"); err != nil {
			return err
		}
	}
	v.Set(out)
	return nil
}

func scalar(n *node, name string) (string, *Error) {
	if n.value == nil {
		return "", invalidValue("Parameter %s takes a single value, not nested parameters.", name)
	}
	return *n.value, nil
}

func enumValues(v reflect.Value) []string {
	m := v.MethodByName("Values")
	if !m.IsValid() || m.Type().NumIn() != 0 || m.Type().NumOut() != 1 {
		return nil
	}
	res := m.Call(nil)[0]
	out := make([]string, res.Len())
	for i := range out {
		out[i] = res.Index(i).String()
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	// Epoch seconds, within the years 0001-9999 that the ISO 8601 forms can express
	// (this also refuses NaN and ±Inf, which ParseFloat accepts).
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= minEpochSeconds && secs < maxEpochSeconds+1 {
		whole := math.Floor(secs)
		return time.Unix(int64(whole), int64((secs-whole)*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("not a timestamp")
}

// Bounds of epoch-second timestamps: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const (
	minEpochSeconds = -62135596800
	maxEpochSeconds = 253402300799
)

// truncate shortens s to at most 64 bytes for an error message, never splitting a
// UTF-8 sequence (the message must stay valid UTF-8 to survive XML encoding).
func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
