package message

import (
	"errors"
	"fmt"
	"strings"
)

// ValueType is the type of the values of a Field (the Heka Field.ValueType
// enum).
type ValueType int32

// The Heka value types, with their wire numbers.
const (
	ValueString  ValueType = 0 // UTF-8 or arbitrary text, tag 4 (value_string)
	ValueBytes   ValueType = 1 // raw bytes, tag 5 (value_bytes)
	ValueInteger ValueType = 2 // int64, tag 6 (value_integer)
	ValueDouble  ValueType = 3 // IEEE 754 double, tag 7 (value_double)
	ValueBool    ValueType = 4 // bool, tag 8 (value_bool)
)

// String returns the schema name of t ("STRING", "BYTES", ...).
func (t ValueType) String() string {
	switch t {
	case ValueString:
		return "STRING"
	case ValueBytes:
		return "BYTES"
	case ValueInteger:
		return "INTEGER"
	case ValueDouble:
		return "DOUBLE"
	case ValueBool:
		return "BOOL"
	}
	return fmt.Sprintf("ValueType(%d)", int32(t))
}

// HeaderSet is a set of optional message headers, used to tell an absent
// header from one that is present with a zero value. Uuid and Timestamp are
// required and have no bit.
type HeaderSet uint16

// The optional headers. Each bit is 1 << the header's protobuf tag.
const (
	HasType       HeaderSet = 1 << tagType
	HasLogger     HeaderSet = 1 << tagLogger
	HasSeverity   HeaderSet = 1 << tagSeverity
	HasPayload    HeaderSet = 1 << tagPayload
	HasEnvVersion HeaderSet = 1 << tagEnvVersion
	HasPid        HeaderSet = 1 << tagPid
	HasHostname   HeaderSet = 1 << tagHostname

	// AllHeaders is the set of every optional header.
	AllHeaders = HasType | HasLogger | HasSeverity | HasPayload | HasEnvVersion | HasPid | HasHostname
)

// DefaultSeverity is the severity of a message without a Severity header
// (the schema default; syslog "debug").
const DefaultSeverity = 7

// Message is the fully materialised form of a Heka message, used to build
// messages, to encode them (AppendTo) and by Decode. The hot path reads raw
// messages through a View instead.
//
// An optional header is written only when its bit is set in Has; the Set*
// methods set the value and the bit together.
type Message struct {
	Uuid       [16]byte
	Timestamp  int64 // nanoseconds since the Unix epoch
	Type       string
	Logger     string
	Payload    string
	EnvVersion string
	Hostname   string
	Severity   int32 // DefaultSeverity after Decode when absent
	Pid        int32
	Has        HeaderSet // which optional headers are present
	Fields     []Field
}

// Field is one named field of a message: an array of values of Type, which
// must be one of the ValueType constants. Only the slice for Type is normally
// non-empty; see the package documentation for records that also carry values
// of other types.
type Field struct {
	Name           string
	Type           ValueType
	Representation string // unit or hint such as "B" or "ipv4"; "" = absent
	Strings        []string
	Bytes          [][]byte
	Integers       []int64
	Doubles        []float64
	Bools          []bool
}

// Len returns the number of values of the field's declared Type.
func (f *Field) Len() int {
	switch f.Type {
	case ValueString:
		return len(f.Strings)
	case ValueBytes:
		return len(f.Bytes)
	case ValueInteger:
		return len(f.Integers)
	case ValueDouble:
		return len(f.Doubles)
	case ValueBool:
		return len(f.Bools)
	}
	return 0
}

// SetType sets the Type header and marks it present.
func (m *Message) SetType(s string) { m.Type = s; m.Has |= HasType }

// SetLogger sets the Logger header and marks it present.
func (m *Message) SetLogger(s string) { m.Logger = s; m.Has |= HasLogger }

// SetSeverity sets the Severity header and marks it present.
func (m *Message) SetSeverity(v int32) { m.Severity = v; m.Has |= HasSeverity }

// SetPayload sets the Payload header and marks it present.
func (m *Message) SetPayload(s string) { m.Payload = s; m.Has |= HasPayload }

// SetEnvVersion sets the EnvVersion header and marks it present.
func (m *Message) SetEnvVersion(s string) { m.EnvVersion = s; m.Has |= HasEnvVersion }

// SetPid sets the Pid header and marks it present.
func (m *Message) SetPid(v int32) { m.Pid = v; m.Has |= HasPid }

// SetHostname sets the Hostname header and marks it present.
func (m *Message) SetHostname(s string) { m.Hostname = s; m.Has |= HasHostname }

// Reset clears m for reuse, keeping the capacity of its Fields slice and of
// the value slices inside it.
func (m *Message) Reset() {
	fields := m.Fields[:0]
	*m = Message{Severity: DefaultSeverity, Fields: fields}
}

// Errors returned (wrapped in a *DecodeError) by Decode, View.Reset and
// Validate. Each names one way a message breaks the strict rules of the
// reference decoder (spec §1.6).
var (
	// ErrTruncated means a key, varint, length or value runs past the end
	// of the message or of its field record.
	ErrTruncated = errors.New("message: truncated")
	// ErrVarint means a varint is longer than 10 bytes or overflows 64 bits.
	ErrVarint = errors.New("message: varint overflows 64 bits")
	// ErrKey means a key does not fit in one byte (its tag is above 15),
	// which the reference decoder does not support.
	ErrKey = errors.New("message: key longer than one byte (tag > 15)")
	// ErrUnknownTag means a tag the schema does not define.
	ErrUnknownTag = errors.New("message: unknown tag")
	// ErrWireType means a known tag carried with the wrong wire type.
	ErrWireType = errors.New("message: wrong wire type for tag")
	// ErrUUIDLength means a uuid that is not exactly 16 bytes.
	ErrUUIDLength = errors.New("message: uuid is not 16 bytes")
	// ErrNoUUID means a message without a uuid.
	ErrNoUUID = errors.New("message: uuid missing")
	// ErrNoTimestamp means a message without a timestamp.
	ErrNoTimestamp = errors.New("message: timestamp missing")
	// ErrNoFieldName means a field record without a name.
	ErrNoFieldName = errors.New("message: field without name")
	// ErrValueType means a value_type outside STRING..BOOL (0..4).
	ErrValueType = errors.New("message: value_type out of range")
	// ErrPackedDouble means a packed double array whose length is not a
	// multiple of 8 bytes.
	ErrPackedDouble = errors.New("message: packed doubles not a multiple of 8 bytes")
)

// DecodeError reports where a message broke the decoding rules. Err is one
// of the sentinel errors of this package.
type DecodeError struct {
	Offset int   // byte offset in the message where the problem was found
	Field  int   // index of the field record, or -1 for the message level
	Tag    int   // protobuf tag being read, or -1 if none
	Err    error // the sentinel
}

// Error describes the problem, its offset and the field and tag involved.
func (e *DecodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "message: byte %d", e.Offset)
	if e.Field >= 0 {
		fmt.Fprintf(&b, ", fields[%d]", e.Field)
	}
	if e.Tag >= 0 {
		fmt.Fprintf(&b, ", tag %d", e.Tag)
	}
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "message: "))
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }
