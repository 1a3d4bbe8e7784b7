package message

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/sightline/sightline/message/internal/hekapb"
)

// This file holds the test machinery shared by the property, fuzz and compat
// tests: a random message generator, conversion to and from the generated
// protobuf types, a semantic comparison, a non-canonical ("scrambled")
// encoder and a check that a View agrees with a decoded Message.

// diffMessages compares a and b semantically and describes the first
// difference, or returns "" when they are equal. Absent headers compare
// equal whatever their Go value; doubles compare by bits (NaN == NaN);
// nil and empty slices are equal.
func diffMessages(a, b *Message) string {
	if a.Uuid != b.Uuid {
		return fmt.Sprintf("uuid %x != %x", a.Uuid, b.Uuid)
	}
	if a.Timestamp != b.Timestamp {
		return fmt.Sprintf("timestamp %d != %d", a.Timestamp, b.Timestamp)
	}
	if a.Has != b.Has {
		return fmt.Sprintf("has %07b != %07b", a.Has>>3, b.Has>>3)
	}
	for _, h := range []struct {
		bit  HeaderSet
		name string
		x, y any
	}{
		{HasType, "type", a.Type, b.Type},
		{HasLogger, "logger", a.Logger, b.Logger},
		{HasSeverity, "severity", a.Severity, b.Severity},
		{HasPayload, "payload", a.Payload, b.Payload},
		{HasEnvVersion, "env_version", a.EnvVersion, b.EnvVersion},
		{HasPid, "pid", a.Pid, b.Pid},
		{HasHostname, "hostname", a.Hostname, b.Hostname},
	} {
		if a.Has&h.bit != 0 && h.x != h.y {
			return fmt.Sprintf("%s %q != %q", h.name, h.x, h.y)
		}
	}
	if len(a.Fields) != len(b.Fields) {
		return fmt.Sprintf("%d fields != %d", len(a.Fields), len(b.Fields))
	}
	for i := range a.Fields {
		if d := diffFields(&a.Fields[i], &b.Fields[i]); d != "" {
			return fmt.Sprintf("fields[%d] (%q): %s", i, a.Fields[i].Name, d)
		}
	}
	return ""
}

func diffFields(a, b *Field) string {
	switch {
	case a.Name != b.Name:
		return fmt.Sprintf("name %q != %q", a.Name, b.Name)
	case a.Type != b.Type:
		return fmt.Sprintf("type %v != %v", a.Type, b.Type)
	case a.Representation != b.Representation:
		return fmt.Sprintf("representation %q != %q", a.Representation, b.Representation)
	case !slices.Equal(a.Strings, b.Strings):
		return fmt.Sprintf("strings %q != %q", a.Strings, b.Strings)
	case !slices.EqualFunc(a.Bytes, b.Bytes, bytes.Equal):
		return fmt.Sprintf("bytes %q != %q", a.Bytes, b.Bytes)
	case !slices.Equal(a.Integers, b.Integers):
		return fmt.Sprintf("integers %d != %d", a.Integers, b.Integers)
	case !slices.EqualFunc(a.Doubles, b.Doubles, func(x, y float64) bool {
		return math.Float64bits(x) == math.Float64bits(y)
	}):
		return fmt.Sprintf("doubles %v != %v", a.Doubles, b.Doubles)
	case !slices.Equal(a.Bools, b.Bools):
		return fmt.Sprintf("bools %v != %v", a.Bools, b.Bools)
	}
	return ""
}

// fromPB converts a generated message (with a 16-byte uuid) to a Message.
func fromPB(p *hekapb.Message) *Message {
	m := &Message{Timestamp: p.GetTimestamp(), Severity: p.GetSeverity()}
	copy(m.Uuid[:], p.GetUuid())
	set := func(bit HeaderSet, present bool) {
		if present {
			m.Has |= bit
		}
	}
	set(HasType, p.Type != nil)
	set(HasLogger, p.Logger != nil)
	set(HasSeverity, p.Severity != nil)
	set(HasPayload, p.Payload != nil)
	set(HasEnvVersion, p.EnvVersion != nil)
	set(HasPid, p.Pid != nil)
	set(HasHostname, p.Hostname != nil)
	m.Type, m.Logger, m.Payload = p.GetType(), p.GetLogger(), p.GetPayload()
	m.EnvVersion, m.Pid, m.Hostname = p.GetEnvVersion(), p.GetPid(), p.GetHostname()
	for _, pf := range p.GetFields() {
		m.Fields = append(m.Fields, Field{
			Name:           pf.GetName(),
			Type:           ValueType(pf.GetValueType()),
			Representation: pf.GetRepresentation(),
			Strings:        pf.GetValueString(),
			Bytes:          pf.GetValueBytes(),
			Integers:       pf.GetValueInteger(),
			Doubles:        pf.GetValueDouble(),
			Bools:          pf.GetValueBool(),
		})
	}
	return m
}

// toPB converts m to a generated message. explicit chooses, per field,
// whether a STRING value_type and an empty representation are set
// explicitly (the wire then carries them).
func toPB(m *Message, explicit func() bool) *hekapb.Message {
	p := &hekapb.Message{Uuid: slices.Clone(m.Uuid[:]), Timestamp: proto.Int64(m.Timestamp)}
	if m.Has&HasType != 0 {
		p.Type = proto.String(m.Type)
	}
	if m.Has&HasLogger != 0 {
		p.Logger = proto.String(m.Logger)
	}
	if m.Has&HasSeverity != 0 {
		p.Severity = proto.Int32(m.Severity)
	}
	if m.Has&HasPayload != 0 {
		p.Payload = proto.String(m.Payload)
	}
	if m.Has&HasEnvVersion != 0 {
		p.EnvVersion = proto.String(m.EnvVersion)
	}
	if m.Has&HasPid != 0 {
		p.Pid = proto.Int32(m.Pid)
	}
	if m.Has&HasHostname != 0 {
		p.Hostname = proto.String(m.Hostname)
	}
	for _, f := range m.Fields {
		pf := &hekapb.Field{
			Name:         proto.String(f.Name),
			ValueString:  f.Strings,
			ValueBytes:   f.Bytes,
			ValueInteger: f.Integers,
			ValueDouble:  f.Doubles,
			ValueBool:    f.Bools,
		}
		if f.Type != ValueString || explicit() {
			pf.ValueType = hekapb.Field_ValueType(f.Type).Enum()
		}
		if f.Representation != "" || explicit() {
			pf.Representation = proto.String(f.Representation)
		}
		p.Fields = append(p.Fields, pf)
	}
	return p
}

// randMessage returns a random valid message: every header present or not,
// strings with NUL, non-UTF-8 and multi-byte runes, extreme numbers, fields
// of every type with 0..5 values, sometimes duplicate names and sometimes
// values of a type other than the declared one.
func randMessage(r *rand.Rand) *Message {
	m := &Message{Timestamp: randInt64(r), Severity: DefaultSeverity}
	for i := range m.Uuid {
		m.Uuid[i] = byte(r.Uint32())
	}
	if r.IntN(2) == 0 {
		m.SetType(randString(r, 12))
	}
	if r.IntN(2) == 0 {
		m.SetLogger(randString(r, 12))
	}
	if r.IntN(2) == 0 {
		m.SetSeverity(int32(randInt64(r)))
	}
	if r.IntN(2) == 0 {
		n := 40
		if r.IntN(10) == 0 {
			n = 3000 // multi-byte length varints
		}
		m.SetPayload(randString(r, n))
	}
	if r.IntN(2) == 0 {
		m.SetEnvVersion(randString(r, 4))
	}
	if r.IntN(2) == 0 {
		m.SetPid(int32(randInt64(r)))
	}
	if r.IntN(2) == 0 {
		m.SetHostname(randString(r, 12))
	}
	names := []string{"a", "status", "γ", "", "dup"}
	for range r.IntN(7) {
		f := Field{Type: ValueType(r.IntN(5))}
		if r.IntN(3) == 0 {
			f.Name = names[r.IntN(len(names))]
		} else {
			f.Name = randString(r, 8)
		}
		if r.IntN(3) == 0 {
			f.Representation = randString(r, 4)
		}
		n := []int{0, 1, 1, 1, 2, 3, 5}[r.IntN(7)]
		addValues(r, &f, f.Type, n)
		if r.IntN(10) == 0 {
			addValues(r, &f, ValueType(r.IntN(5)), 1+r.IntN(3))
		}
		m.Fields = append(m.Fields, f)
	}
	return m
}

func addValues(r *rand.Rand, f *Field, t ValueType, n int) {
	for range n {
		switch t {
		case ValueString:
			f.Strings = append(f.Strings, randString(r, 10))
		case ValueBytes:
			f.Bytes = append(f.Bytes, []byte(randString(r, 10)))
		case ValueInteger:
			f.Integers = append(f.Integers, randInt64(r))
		case ValueDouble:
			f.Doubles = append(f.Doubles, randDouble(r))
		case ValueBool:
			f.Bools = append(f.Bools, r.IntN(2) == 0)
		}
	}
}

func randString(r *rand.Rand, max int) string {
	pieces := []string{"a", "Z", "0", " ", "\x00", "\t", "\n", "|", "\\", "\"", "γ", "€", "\xff", "\xc3"}
	var b []byte
	for range r.IntN(max + 1) {
		if r.IntN(4) == 0 {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		} else {
			b = append(b, byte(r.Uint32()))
		}
	}
	return string(b)
}

func randInt64(r *rand.Rand) int64 {
	switch r.IntN(6) {
	case 0:
		return []int64{0, 1, -1, 127, 128, math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32}[r.IntN(9)]
	case 1:
		return -r.Int64N(1 << 20)
	case 2:
		return r.Int64N(300)
	default:
		return int64(r.Uint64())
	}
}

func randDouble(r *rand.Rand) float64 {
	switch r.IntN(5) {
	case 0:
		return []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1),
			math.SmallestNonzeroFloat64, math.MaxFloat64, 304}[r.IntN(8)]
	case 1:
		return math.Float64frombits(r.Uint64())
	default:
		return r.NormFloat64() * 1e6
	}
}

// scrambler writes valid but non-canonical encodings of messages.
type scrambler struct{ r *rand.Rand }

// scrItem is one key+value of an encoding, tagged with the group whose
// order must be kept.
type scrItem struct {
	group int
	b     []byte
}

// interleave merges the groups of items in random order, keeping the order
// inside each group.
func (s scrambler) interleave(items []scrItem, groups int) []byte {
	queues := make([][]scrItem, groups)
	for _, it := range items {
		queues[it.group] = append(queues[it.group], it)
	}
	var out []byte
	for range items {
		for {
			q := &queues[s.r.IntN(groups)]
			if len(*q) > 0 {
				out = append(out, (*q)[0].b...)
				*q = (*q)[1:]
				break
			}
		}
	}
	return out
}

// varint appends v, sometimes with one redundant continuation byte.
func (s scrambler) varint(dst []byte, v uint64) []byte {
	if s.r.IntN(8) != 0 || protowire.SizeVarint(v) >= 10 {
		return protowire.AppendVarint(dst, v)
	}
	for ; v >= 0x80; v >>= 7 {
		dst = append(dst, byte(v)|0x80)
	}
	return append(dst, byte(v)|0x80, 0)
}

func lenValue(key byte, v []byte) []byte {
	return append(protowire.AppendVarint([]byte{key}, uint64(len(v))), v...)
}

// message returns a valid non-canonical encoding of m: headers in random
// order (fields keep their relative order), sometimes a header given twice
// with a stale first value, non-minimal varints, and scrambled field records.
func (s scrambler) message(m *Message) []byte {
	var items []scrItem
	group := 0
	add := func(key byte, v []byte, x uint64) {
		stale := s.r.IntN(10) == 0
		if key&7 == wireVarint {
			if stale {
				items = append(items, scrItem{group, s.varint([]byte{key}, x^1)})
			}
			items = append(items, scrItem{group, s.varint([]byte{key}, x)})
		} else {
			if stale {
				old := append(slices.Clone(v), 'x')
				if key == keyUUID {
					old = slices.Clone(v)
					old[0] ^= 0xff
				}
				items = append(items, scrItem{group, lenValue(key, old)})
			}
			items = append(items, scrItem{group, lenValue(key, v)})
		}
		group++
	}
	add(keyUUID, m.Uuid[:], 0)
	add(keyTimestamp, nil, uint64(m.Timestamp))
	for _, h := range []struct {
		bit HeaderSet
		key byte
		s   string
		n   int32
	}{
		{HasType, keyType, m.Type, 0}, {HasLogger, keyLogger, m.Logger, 0},
		{HasSeverity, keySeverity, "", m.Severity}, {HasPayload, keyPayload, m.Payload, 0},
		{HasEnvVersion, keyEnvVersion, m.EnvVersion, 0}, {HasPid, keyPid, "", m.Pid},
		{HasHostname, keyHostname, m.Hostname, 0},
	} {
		if m.Has&h.bit != 0 {
			add(h.key, []byte(h.s), uint64(int64(h.n)))
		}
	}
	for i := range m.Fields {
		items = append(items, scrItem{group, lenValue(keyFields, s.field(&m.Fields[i]))})
	}
	return s.interleave(items, group+1)
}

// field returns a scrambled record of f: items interleaved at random,
// value_type STRING and an empty representation sometimes explicit, numeric
// values split into runs that are packed or unpacked at random, sometimes an
// empty packed run.
func (s scrambler) field(f *Field) []byte {
	// groups: 0 name, 1 value_type, 2 representation, 3..7 value tags 4..8
	items := []scrItem{{0, lenValue(keyName, []byte(f.Name))}}
	if f.Type != ValueString || s.r.IntN(2) == 0 {
		items = append(items, scrItem{1, s.varint([]byte{keyValueType}, uint64(f.Type))})
	}
	if f.Representation != "" || s.r.IntN(4) == 0 {
		items = append(items, scrItem{2, lenValue(keyRepresentation, []byte(f.Representation))})
	}
	for _, v := range f.Strings {
		items = append(items, scrItem{3, lenValue(keyString, []byte(v))})
	}
	for _, v := range f.Bytes {
		items = append(items, scrItem{4, lenValue(keyBytes, v)})
	}
	runs := func(n int, tag, wt byte, one func(dst []byte, j int) []byte) {
		group := int(tag) - 1
		for j := 0; j < n; {
			k := 1 + s.r.IntN(n-j)
			if s.r.IntN(2) == 0 {
				var p []byte
				for x := j; x < j+k; x++ {
					p = one(p, x)
				}
				items = append(items, scrItem{group, lenValue(tag<<3|wireBytes, p)})
			} else {
				for x := j; x < j+k; x++ {
					items = append(items, scrItem{group, one([]byte{tag<<3 | wt}, x)})
				}
			}
			j += k
		}
		if s.r.IntN(8) == 0 {
			items = append(items, scrItem{group, []byte{tag<<3 | wireBytes, 0}})
		}
	}
	runs(len(f.Integers), ftInteger, wireVarint, func(dst []byte, j int) []byte {
		return s.varint(dst, uint64(f.Integers[j]))
	})
	runs(len(f.Doubles), ftDouble, wireFixed64, func(dst []byte, j int) []byte {
		return protowire.AppendFixed64(dst, math.Float64bits(f.Doubles[j]))
	})
	runs(len(f.Bools), ftBool, wireVarint, func(dst []byte, j int) []byte {
		return s.varint(dst, uint64(boolByte(f.Bools[j])))
	})
	return s.interleave(items, 8)
}

// viewMismatch checks every accessor of v against m, the Decode result of
// the same bytes, and describes the first disagreement.
func viewMismatch(v *View, m *Message) string {
	if !bytes.Equal(v.Uuid(), m.Uuid[:]) || v.Timestamp() != m.Timestamp {
		return "uuid or timestamp"
	}
	if !v.Has(m.Has) || v.h.has != m.Has {
		return fmt.Sprintf("has %b != %b", v.h.has, m.Has)
	}
	if v.Severity() != m.Severity || (m.Has&HasPid != 0 && v.Pid() != m.Pid) {
		return "severity or pid"
	}
	for _, h := range []struct {
		bit HeaderSet
		got []byte
		s   string
	}{
		{HasType, v.Type(), m.Type}, {HasLogger, v.Logger(), m.Logger},
		{HasPayload, v.Payload(), m.Payload}, {HasEnvVersion, v.EnvVersion(), m.EnvVersion},
		{HasHostname, v.Hostname(), m.Hostname},
	} {
		if (h.got != nil) != (m.Has&h.bit != 0) || string(h.got) != h.s {
			return fmt.Sprintf("header %b: %q != %q", h.bit, h.got, h.s)
		}
	}
	if v.NumFields() != len(m.Fields) {
		return "number of fields"
	}
	seen := map[string]int{}
	for i := range m.Fields {
		f, fv := &m.Fields[i], v.FieldAt(i)
		if string(fv.Name()) != f.Name || fv.Type() != f.Type || fv.Len() != f.Len() {
			return fmt.Sprintf("fields[%d] name, type or len", i)
		}
		if r, _ := fv.Representation(); string(r) != f.Representation {
			return fmt.Sprintf("fields[%d] representation", i)
		}
		byName, ok := v.Field(f.Name, seen[f.Name])
		seen[f.Name]++
		if !ok || byName.rec != fv.rec {
			return fmt.Sprintf("fields[%d]: Field(%q, %d) finds another record", i, f.Name, seen[f.Name]-1)
		}
		for ai := -1; ai <= f.Len(); ai++ {
			if d := valueMismatch(fv, f, ai); d != "" {
				return fmt.Sprintf("fields[%d][%d]: %s", i, ai, d)
			}
		}
	}
	if _, ok := v.Field("no such field \x00", 0); ok {
		return "found a field that does not exist"
	}
	return ""
}

// valueMismatch compares every typed accessor of fv at ai with f: the
// accessor of the declared type must return the value (or false out of
// range), all others false.
func valueMismatch(fv FieldView, f *Field, ai int) string {
	in := ai >= 0 && ai < f.Len()
	s, okS := fv.String(ai)
	b, okB := fv.Bytes(ai)
	n, okI := fv.Integer(ai)
	d, okD := fv.Double(ai)
	x, okX := fv.Bool(ai)
	oks := []bool{okS, okB, okI, okD, okX}
	for t, ok := range oks {
		if ok != (in && ValueType(t) == f.Type) {
			return fmt.Sprintf("accessor %v ok=%v", ValueType(t), ok)
		}
	}
	if !in {
		return ""
	}
	switch f.Type {
	case ValueString:
		if string(s) != f.Strings[ai] {
			return fmt.Sprintf("string %q != %q", s, f.Strings[ai])
		}
	case ValueBytes:
		if !bytes.Equal(b, f.Bytes[ai]) {
			return fmt.Sprintf("bytes %q != %q", b, f.Bytes[ai])
		}
	case ValueInteger:
		if n != f.Integers[ai] {
			return fmt.Sprintf("integer %d != %d", n, f.Integers[ai])
		}
	case ValueDouble:
		if math.Float64bits(d) != math.Float64bits(f.Doubles[ai]) {
			return fmt.Sprintf("double %v != %v", d, f.Doubles[ai])
		}
	case ValueBool:
		if x != f.Bools[ai] {
			return fmt.Sprintf("bool %v != %v", x, f.Bools[ai])
		}
	}
	return ""
}
