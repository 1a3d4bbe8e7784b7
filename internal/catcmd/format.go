package catcmd

import (
	"bytes"
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/sightline/sightline/message"
)

// appendText appends v in lsb_heka_cat's text form (package doc).
func appendText(dst []byte, v *message.View) []byte {
	dst = append(dst, ":Uuid: "...)
	dst = message.AppendUUID(dst, uuidOf(v))
	dst = append(dst, "\n:Timestamp: "...)
	dst = message.AppendTimestamp(dst, v.Timestamp())
	dst = appendTextHeader(dst, "\n:Type: ", v.Type())
	dst = appendTextHeader(dst, "\n:Logger: ", v.Logger())
	dst = append(dst, "\n:Severity: "...)
	dst = strconv.AppendInt(dst, int64(v.Severity()), 10)
	dst = appendTextHeader(dst, "\n:Payload: ", v.Payload())
	dst = appendTextHeader(dst, "\n:EnvVersion: ", v.EnvVersion())
	dst = append(dst, "\n:Pid: "...)
	if v.Has(message.HasPid) {
		dst = strconv.AppendInt(dst, int64(v.Pid()), 10)
	} else {
		dst = append(dst, "<nil>"...)
	}
	dst = appendTextHeader(dst, "\n:Hostname: ", v.Hostname())
	dst = append(dst, "\n:Fields:\n"...)
	for i := range v.NumFields() {
		f := v.FieldAt(i)
		dst = append(dst, "    | name: "...)
		dst = append(dst, cString(f.Name())...)
		dst = append(dst, " type: "...)
		dst = strconv.AppendInt(dst, int64(f.Type()), 10)
		dst = append(dst, " representation: "...)
		if r, ok := f.Representation(); ok {
			dst = append(dst, cString(r)...)
		} else {
			dst = append(dst, "<nil>"...)
		}
		dst = append(dst, " value: "...)
		for ai := range f.Len() {
			if ai > 0 {
				dst = append(dst, '|')
			}
			dst = appendTextValue(dst, f, ai)
		}
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}

// appendTextHeader appends label and an optional string header, "<nil>"
// when it is absent (nil).
func appendTextHeader(dst []byte, label string, s []byte) []byte {
	dst = append(dst, label...)
	if s == nil {
		return append(dst, "<nil>"...)
	}
	return append(dst, cString(s)...)
}

// appendTextValue appends the ai-th value of f as lsb_heka_cat prints it.
func appendTextValue(dst []byte, f message.FieldView, ai int) []byte {
	switch f.Type() {
	case message.ValueString:
		s, _ := f.String(ai)
		return append(dst, cString(s)...)
	case message.ValueBytes:
		b, _ := f.Bytes(ai)
		return appendEscapedBytes(dst, b)
	case message.ValueInteger:
		n, _ := f.Integer(ai)
		return strconv.AppendInt(dst, n, 10)
	case message.ValueDouble:
		d, _ := f.Double(ai)
		return appendCDouble(dst, d)
	case message.ValueBool:
		b, _ := f.Bool(ai)
		return strconv.AppendBool(dst, b)
	}
	return dst
}

// cString returns s up to its first NUL byte, what C's printf("%.*s")
// prints of it.
func cString(s []byte) []byte {
	if i := bytes.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// appendEscapedBytes appends b with printable ASCII (C's isprint in the C
// locale) as is, except "\" doubled, and every other byte as \xNN.
func appendEscapedBytes(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch {
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c >= 0x20 && c < 0x7f:
			dst = append(dst, c)
		default:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
		}
	}
	return dst
}

// appendCDouble appends d as C's printf("%.17g") does with glibc. Go's 'g'
// format with a precision strips trailing zeros and switches to an
// exponent exactly as C's does; only the special values are spelled
// differently.
func appendCDouble(dst []byte, d float64) []byte {
	switch {
	case math.IsNaN(d):
		if math.Signbit(d) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case math.IsInf(d, 1):
		return append(dst, "inf"...)
	case math.IsInf(d, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, d, 'g', 17, 64)
}

// uuidOf returns the uuid of v as an array.
func uuidOf(v *message.View) [16]byte {
	var u [16]byte
	copy(u[:], v.Uuid())
	return u
}

// appendJSON appends v as one line of JSON (package doc).
func appendJSON(dst []byte, v *message.View) []byte {
	dst = append(dst, `{"Uuid":"`...)
	dst = message.AppendUUID(dst, uuidOf(v))
	dst = append(dst, `","Timestamp":`...)
	dst = strconv.AppendInt(dst, v.Timestamp(), 10)
	dst = appendJSONHeader(dst, `,"Type":`, v.Type())
	dst = appendJSONHeader(dst, `,"Logger":`, v.Logger())
	dst = append(dst, `,"Severity":`...)
	dst = strconv.AppendInt(dst, int64(v.Severity()), 10)
	dst = appendJSONHeader(dst, `,"Payload":`, v.Payload())
	dst = appendJSONHeader(dst, `,"EnvVersion":`, v.EnvVersion())
	if v.Has(message.HasPid) {
		dst = append(dst, `,"Pid":`...)
		dst = strconv.AppendInt(dst, int64(v.Pid()), 10)
	}
	dst = appendJSONHeader(dst, `,"Hostname":`, v.Hostname())
	dst = append(dst, `,"Fields":[`...)
	for i := range v.NumFields() {
		f := v.FieldAt(i)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = appendJSONString(dst, f.Name())
		dst = append(dst, `,"value_type":`...)
		dst = strconv.AppendInt(dst, int64(f.Type()), 10)
		if r, ok := f.Representation(); ok {
			dst = append(dst, `,"representation":`...)
			dst = appendJSONString(dst, r)
		}
		dst = append(dst, `,"value":[`...)
		for ai := range f.Len() {
			if ai > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, f, ai)
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}\n"...)
}

// appendJSONHeader appends key and the header s, or nothing when s is
// absent (nil).
func appendJSONHeader(dst []byte, key string, s []byte) []byte {
	if s == nil {
		return dst
	}
	dst = append(dst, key...)
	return appendJSONString(dst, s)
}

// appendJSONValue appends the ai-th value of f as a JSON value.
func appendJSONValue(dst []byte, f message.FieldView, ai int) []byte {
	switch f.Type() {
	case message.ValueString:
		s, _ := f.String(ai)
		return appendJSONString(dst, s)
	case message.ValueBytes:
		b, _ := f.Bytes(ai)
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, '"')
	case message.ValueInteger:
		n, _ := f.Integer(ai)
		return strconv.AppendInt(dst, n, 10)
	case message.ValueDouble:
		d, _ := f.Double(ai)
		switch {
		case math.IsNaN(d):
			return append(dst, `"NaN"`...)
		case math.IsInf(d, 1):
			return append(dst, `"Infinity"`...)
		case math.IsInf(d, -1):
			return append(dst, `"-Infinity"`...)
		}
		return strconv.AppendFloat(dst, d, 'g', -1, 64)
	case message.ValueBool:
		b, _ := f.Bool(ai)
		return strconv.AppendBool(dst, b)
	}
	return append(dst, "null"...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, bytes that are not UTF-8 as U+FFFD.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			s = s[1:]
			continue
		}
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[:n]...)
		}
		s = s[n:]
	}
	return append(dst, '"')
}

// appendHeka appends raw re-framed as sightline writes frames.
func appendHeka(dst []byte, v *message.View) []byte {
	return message.AppendFrame(dst, v.Raw())
}
