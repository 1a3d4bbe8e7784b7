package message

import (
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// Size returns the length of m's canonical encoding, the number of bytes
// AppendTo appends.
func (m *Message) Size() int {
	n := 2 + 16 + 1 + protowire.SizeVarint(uint64(m.Timestamp))
	if m.Has&HasType != 0 {
		n += 1 + protowire.SizeBytes(len(m.Type))
	}
	if m.Has&HasLogger != 0 {
		n += 1 + protowire.SizeBytes(len(m.Logger))
	}
	if m.Has&HasSeverity != 0 {
		n += 1 + protowire.SizeVarint(uint64(int64(m.Severity)))
	}
	if m.Has&HasPayload != 0 {
		n += 1 + protowire.SizeBytes(len(m.Payload))
	}
	if m.Has&HasEnvVersion != 0 {
		n += 1 + protowire.SizeBytes(len(m.EnvVersion))
	}
	if m.Has&HasPid != 0 {
		n += 1 + protowire.SizeVarint(uint64(int64(m.Pid)))
	}
	if m.Has&HasHostname != 0 {
		n += 1 + protowire.SizeBytes(len(m.Hostname))
	}
	for i := range m.Fields {
		n += 1 + protowire.SizeBytes(m.Fields[i].size())
	}
	return n
}

// AppendTo appends the canonical encoding of m to dst and returns the
// extended slice. It allocates only when dst lacks the capacity for Size
// more bytes.
//
// The canonical encoding is the one lua_sandbox writes (spec §1.5): headers
// in tag order, absent headers omitted, then the fields in slice order; in a
// field record name, value_type (omitted for STRING), representation (omitted
// when ""), then the values: a single numeric or bool value unpacked, two or
// more packed. Negative integers, severities and pids are 10-byte varints.
func (m *Message) AppendTo(dst []byte) []byte {
	dst = slices.Grow(dst, m.Size())
	dst = append(dst, keyUUID, 16)
	dst = append(dst, m.Uuid[:]...)
	dst = append(dst, keyTimestamp)
	dst = protowire.AppendVarint(dst, uint64(m.Timestamp))
	if m.Has&HasType != 0 {
		dst = appendString(dst, keyType, m.Type)
	}
	if m.Has&HasLogger != 0 {
		dst = appendString(dst, keyLogger, m.Logger)
	}
	if m.Has&HasSeverity != 0 {
		dst = append(dst, keySeverity)
		dst = protowire.AppendVarint(dst, uint64(int64(m.Severity)))
	}
	if m.Has&HasPayload != 0 {
		dst = appendString(dst, keyPayload, m.Payload)
	}
	if m.Has&HasEnvVersion != 0 {
		dst = appendString(dst, keyEnvVersion, m.EnvVersion)
	}
	if m.Has&HasPid != 0 {
		dst = append(dst, keyPid)
		dst = protowire.AppendVarint(dst, uint64(int64(m.Pid)))
	}
	if m.Has&HasHostname != 0 {
		dst = appendString(dst, keyHostname, m.Hostname)
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		dst = append(dst, keyFields)
		dst = protowire.AppendVarint(dst, uint64(f.size()))
		dst = f.appendTo(dst)
	}
	return dst
}

// Encode returns the canonical encoding of m in a new slice.
func (m *Message) Encode() []byte {
	return m.AppendTo(make([]byte, 0, m.Size()))
}

// size returns the length of f's record, without the enclosing key and
// length.
func (f *Field) size() int {
	n := 1 + protowire.SizeBytes(len(f.Name))
	if f.Type != ValueString {
		n += 1 + protowire.SizeVarint(uint64(int64(f.Type)))
	}
	if f.Representation != "" {
		n += 1 + protowire.SizeBytes(len(f.Representation))
	}
	for _, s := range f.Strings {
		n += 1 + protowire.SizeBytes(len(s))
	}
	for _, b := range f.Bytes {
		n += 1 + protowire.SizeBytes(len(b))
	}
	switch len(f.Integers) {
	case 0:
	case 1:
		n += 1 + protowire.SizeVarint(uint64(f.Integers[0]))
	default:
		n += 1 + protowire.SizeBytes(packedIntSize(f.Integers))
	}
	switch len(f.Doubles) {
	case 0:
	case 1:
		n += 1 + 8
	default:
		n += 1 + protowire.SizeBytes(8*len(f.Doubles))
	}
	switch len(f.Bools) {
	case 0:
	case 1:
		n += 1 + 1
	default:
		n += 1 + protowire.SizeBytes(len(f.Bools))
	}
	return n
}

// appendTo appends f's record (without the enclosing key and length).
// Values of every type are written, in tag order, so that a decoded record
// carrying values of a type other than its value_type survives re-encoding.
func (f *Field) appendTo(dst []byte) []byte {
	dst = appendString(dst, keyName, f.Name)
	if f.Type != ValueString {
		dst = append(dst, keyValueType)
		dst = protowire.AppendVarint(dst, uint64(int64(f.Type)))
	}
	if f.Representation != "" {
		dst = appendString(dst, keyRepresentation, f.Representation)
	}
	for _, s := range f.Strings {
		dst = appendString(dst, keyString, s)
	}
	for _, b := range f.Bytes {
		dst = append(dst, keyBytes)
		dst = protowire.AppendVarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	switch len(f.Integers) {
	case 0:
	case 1:
		dst = append(dst, keyInteger)
		dst = protowire.AppendVarint(dst, uint64(f.Integers[0]))
	default:
		dst = append(dst, keyIntegerPacked)
		dst = protowire.AppendVarint(dst, uint64(packedIntSize(f.Integers)))
		for _, v := range f.Integers {
			dst = protowire.AppendVarint(dst, uint64(v))
		}
	}
	switch len(f.Doubles) {
	case 0:
	case 1:
		dst = append(dst, keyDouble)
		dst = protowire.AppendFixed64(dst, math.Float64bits(f.Doubles[0]))
	default:
		dst = append(dst, keyDoublePacked)
		dst = protowire.AppendVarint(dst, uint64(8*len(f.Doubles)))
		for _, v := range f.Doubles {
			dst = protowire.AppendFixed64(dst, math.Float64bits(v))
		}
	}
	switch len(f.Bools) {
	case 0:
	case 1:
		dst = append(dst, keyBool, boolByte(f.Bools[0]))
	default:
		dst = append(dst, keyBoolPacked)
		dst = protowire.AppendVarint(dst, uint64(len(f.Bools)))
		for _, v := range f.Bools {
			dst = append(dst, boolByte(v))
		}
	}
	return dst
}

func appendString(dst []byte, key byte, s string) []byte {
	dst = append(dst, key)
	dst = protowire.AppendVarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func packedIntSize(vs []int64) int {
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(v))
	}
	return n
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
