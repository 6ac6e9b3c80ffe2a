package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// value is a JSON value that keeps object keys in document order. The service
// model's member order is the order AWS serialises structure members in, so the
// generator must not lose it (encoding/json's maps would sort it away).
type value struct {
	object []member // set for objects (possibly empty)
	array  []*value
	scalar any // string, json.Number, bool or nil
	kind   byte
}

type member struct {
	key string
	val *value
}

const (
	kindObject byte = 'o'
	kindArray  byte = 'a'
	kindScalar byte = 's'
)

func parseOrdered(data []byte) (*value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (*value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &value{kind: kindObject, object: []member{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %T", kt)
				}
				child, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				v.object = append(v.object, member{key: key, val: child})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		case '[':
			v := &value{kind: kindArray, array: []*value{}}
			for dec.More() {
				child, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				v.array = append(v.array, child)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	default:
		return &value{kind: kindScalar, scalar: t}, nil
	}
}

// get returns the value under key in an object, or nil.
func (v *value) get(key string) *value {
	if v == nil || v.kind != kindObject {
		return nil
	}
	for _, m := range v.object {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

func (v *value) str() string {
	if v == nil {
		return ""
	}
	s, _ := v.scalar.(string)
	return s
}

func (v *value) boolean() bool {
	if v == nil {
		return false
	}
	b, _ := v.scalar.(bool)
	return b
}

func (v *value) integer() (int, bool) {
	if v == nil {
		return 0, false
	}
	n, ok := v.scalar.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n.String())
	return i, err == nil
}

// without returns a deep copy of v with every object member named key removed.
func (v *value) without(key string) *value {
	switch v.kind {
	case kindObject:
		out := &value{kind: kindObject, object: []member{}}
		for _, m := range v.object {
			if m.key == key {
				continue
			}
			out.object = append(out.object, member{key: m.key, val: m.val.without(key)})
		}
		return out
	case kindArray:
		out := &value{kind: kindArray, array: []*value{}}
		for _, c := range v.array {
			out.array = append(out.array, c.without(key))
		}
		return out
	default:
		return v
	}
}

// encode writes v as indented JSON, keys in their original order.
func (v *value) encode(buf *bytes.Buffer, indent string) {
	switch v.kind {
	case kindObject:
		if len(v.object) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteString("{\n")
		for i, m := range v.object {
			buf.WriteString(indent + "  ")
			k, _ := json.Marshal(m.key)
			buf.Write(k)
			buf.WriteString(": ")
			m.val.encode(buf, indent+"  ")
			if i < len(v.object)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "}")
	case kindArray:
		if len(v.array) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteString("[\n")
		for i, c := range v.array {
			buf.WriteString(indent + "  ")
			c.encode(buf, indent+"  ")
			if i < len(v.array)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "]")
	default:
		b, _ := json.Marshal(v.scalar)
		buf.Write(b)
	}
}
