package awsquery

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"strconv"
	"time"
)

// TimeFormat is how timestamps appear in responses (ISO 8601, UTC, milliseconds), as AWS sends them.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Response describes one successful answer.
type Response struct {
	Operation     string // e.g. CreateCacheCluster: the root element is <CreateCacheClusterResponse>
	ResultWrapper string // e.g. CreateCacheClusterResult; "" for operations without output
	Namespace     string
	RequestID     string
	Result        any // pointer to a generated structure, or nil
}

// EncodeResponse renders the XML document of a successful response.
func (c *Codec) EncodeResponse(r Response) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString("<" + r.Operation + `Response xmlns="`)
	escape(&b, r.Namespace)
	b.WriteString(`">`)
	if r.ResultWrapper != "" {
		b.WriteString("<" + r.ResultWrapper + ">")
		if r.Result != nil {
			rv := reflect.ValueOf(r.Result)
			if rv.Kind() == reflect.Pointer && !rv.IsNil() {
				c.encodeFields(&b, rv.Elem())
			}
		}
		b.WriteString("</" + r.ResultWrapper + ">")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	escape(&b, r.RequestID)
	b.WriteString("</RequestId></ResponseMetadata></" + r.Operation + "Response>\n")
	return b.Bytes()
}

// EncodeError renders the standard Query error document. sender selects
// <Type>Sender</Type> (the caller's fault) or Receiver.
func EncodeError(namespace, requestID, code, message string, sender bool) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ErrorResponse xmlns="`)
	escape(&b, namespace)
	b.WriteString(`"><Error><Type>`)
	if sender {
		b.WriteString("Sender")
	} else {
		b.WriteString("Receiver")
	}
	b.WriteString("</Type><Code>")
	escape(&b, code)
	b.WriteString("</Code><Message>")
	escape(&b, message)
	b.WriteString("</Message></Error><RequestId>")
	escape(&b, requestID)
	b.WriteString("</RequestId></ErrorResponse>\n")
	return b.Bytes()
}

func (c *Codec) encodeFields(b *bytes.Buffer, v reflect.Value) {
	for _, f := range c.layoutOf(v.Type()).fields {
		c.encodeMember(b, f.name, f.member, v.Field(f.index))
	}
}

// encodeMember writes <name>value</name>, or nothing when the value is absent
// (nil pointer, nil slice, empty enum).
func (c *Codec) encodeMember(b *bytes.Buffer, name, member string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		c.encodeMember(b, name, member, v.Elem())
		return
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if member == "" {
			member = "member"
		}
		b.WriteString("<" + name + ">")
		for i := 0; i < v.Len(); i++ {
			c.encodeMember(b, member, "", v.Index(i))
		}
		b.WriteString("</" + name + ">")
		return
	case reflect.String:
		if v.Type().Name() != "string" && v.Len() == 0 {
			return // unset enum
		}
	}
	b.WriteString("<" + name + ">")
	switch v.Kind() {
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			b.WriteString(t.UTC().Format(TimeFormat))
		} else {
			c.encodeFields(b, v)
		}
	case reflect.String:
		escape(b, v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int32, reflect.Int64, reflect.Int:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'f', -1, 64))
	}
	b.WriteString("</" + name + ">")
}

func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
