package message

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// View reads the headers and fields of one raw message in place, without
// materialising it. Reset validates the message as strictly as Decode and
// indexes where its headers and field records are; the accessors then read
// straight from the raw bytes. The zero View holds no message; a View may be
// reused for message after message without allocating.
//
// Slices returned by a View alias the raw message: they are valid while the
// caller keeps those bytes unchanged, and must not be modified.
type View struct {
	raw    []byte
	h      headers
	fields []fieldIndex
}

// headers records what Reset found at the message level.
type headers struct {
	has      HeaderSet
	uuid     int // offset of the 16 uuid bytes
	ts       int64
	severity int32
	pid      int32
	str      [tagHostname + 1]span // string headers, by tag
}

// span is a byte range [s, e) of the raw message.
type span struct{ s, e int }

// fieldIndex records what Reset found in one field record.
type fieldIndex struct {
	rec     span // the record's contents
	name    span
	repr    span
	hasRepr bool
	typ     ValueType
	n       int // number of values of the declared type
	first   int // offset of the key of the first of those values
}

// Reset validates raw (with the rules of Decode) and points v at it. On
// error v holds no message.
func (v *View) Reset(raw []byte) error {
	v.fields = v.fields[:0]
	if err := scan(raw, &v.h, &v.fields); err != nil {
		v.raw = nil
		v.h = headers{}
		v.fields = v.fields[:0]
		return err
	}
	v.raw = raw
	return nil
}

// Validate checks that raw is a valid Heka message under the rules of Decode,
// without allocating (except for the error it returns).
func Validate(raw []byte) error {
	var h headers
	return scan(raw, &h, nil)
}

// scan validates raw and fills h and, unless fields is nil, the field index.
func scan(raw []byte, h *headers, fields *[]fieldIndex) error {
	*h = headers{severity: DefaultSeverity}
	haveUUID, haveTimestamp := false, false
	nf := 0
	var scratch fieldIndex // the index entry when fields is nil
	for i := 0; i < len(raw); {
		k, key := i, raw[i]
		if !msgKeyOK[key] {
			tag, err := keyErr(key, &msgKeyOK)
			return decErr(k, -1, tag, err)
		}
		tag := int(key >> 3)
		i++
		switch tag {
		case tagTimestamp, tagSeverity, tagPid:
			x, next, err := readVarint(raw, i)
			if err != nil {
				return decErr(k, -1, tag, err)
			}
			i = next
			switch tag {
			case tagTimestamp:
				h.ts = int64(x)
				haveTimestamp = true
			case tagSeverity:
				h.severity = int32(x)
			default:
				h.pid = int32(x)
			}
			h.has |= HeaderSet(1) << tag & AllHeaders
			continue
		}
		s, e, err := readLen(raw, i)
		if err != nil {
			return decErr(k, -1, tag, err)
		}
		i = e
		switch tag {
		case tagUUID:
			if e-s != 16 {
				return decErr(k, -1, tag, ErrUUIDLength)
			}
			h.uuid = s
			haveUUID = true
		case tagFields:
			var fx *fieldIndex
			if fields != nil {
				fs := *fields
				if len(fs) < cap(fs) {
					fs = fs[:len(fs)+1]
				} else {
					fs = append(fs, fieldIndex{})
				}
				*fields = fs
				fx = &fs[len(fs)-1]
			} else {
				fx = &scratch
			}
			if err := indexField(raw, s, e, nf, fx); err != nil {
				return err
			}
			nf++
		default:
			h.str[tag] = span{s, e}
			h.has |= HeaderSet(1) << tag
		}
	}
	if !haveUUID {
		return decErr(len(raw), -1, -1, ErrNoUUID)
	}
	if !haveTimestamp {
		return decErr(len(raw), -1, -1, ErrNoTimestamp)
	}
	return nil
}

// indexField validates the field record raw[s:e], the fi-th of the message,
// and fills in its index entry.
func indexField(raw []byte, s, e, fi int, fx *fieldIndex) error {
	*fx = fieldIndex{rec: span{s, e}}
	var count, first [ftBool - ftString + 1]int // by value tag
	add := func(tag, key, n int) {
		j := tag - ftString
		if count[j] == 0 && n > 0 {
			first[j] = key
		}
		count[j] += n
	}
	rec := raw[:e]
	haveName := false
	for i := s; i < e; {
		k, key := i, rec[i]
		if !fieldKeyOK[key] {
			tag, err := keyErr(key, &fieldKeyOK)
			return decErr(k, fi, tag, err)
		}
		tag, wt := int(key>>3), key&7
		i++
		switch {
		case tag == ftValueType:
			x, next, err := readVarint(rec, i)
			if err != nil {
				return decErr(k, fi, tag, err)
			}
			i = next
			if x > uint64(ValueBool) {
				return decErr(k, fi, tag, ErrValueType)
			}
			fx.typ = ValueType(x)
			continue
		case wt == wireVarint:
			_, next, err := readVarint(rec, i)
			if err != nil {
				return decErr(k, fi, tag, err)
			}
			i = next
			add(tag, k, 1)
			continue
		case wt == wireFixed64:
			if e-i < 8 {
				return decErr(k, fi, tag, ErrTruncated)
			}
			i += 8
			add(tag, k, 1)
			continue
		}
		vs, ve, err := readLen(rec, i)
		if err != nil {
			return decErr(k, fi, tag, err)
		}
		i = ve
		switch tag {
		case ftName:
			fx.name = span{vs, ve}
			haveName = true
		case ftRepresentation:
			fx.repr = span{vs, ve}
			fx.hasRepr = true
		case ftString, ftBytes:
			add(tag, k, 1)
		case ftDouble:
			if (ve-vs)%8 != 0 {
				return decErr(k, fi, tag, ErrPackedDouble)
			}
			add(tag, k, (ve-vs)/8)
		default: // packed integers or bools
			n, err := countVarints(rec[vs:ve])
			if err != nil {
				return decErr(k, fi, tag, err)
			}
			add(tag, k, n)
		}
	}
	if !haveName {
		return decErr(s, fi, -1, ErrNoFieldName)
	}
	fx.n = count[fx.typ]
	fx.first = first[fx.typ]
	return nil
}

// Raw returns the message bytes given to Reset.
func (v *View) Raw() []byte { return v.raw }

// Uuid returns the 16 uuid bytes.
func (v *View) Uuid() []byte {
	if v.raw == nil {
		return nil
	}
	return v.raw[v.h.uuid : v.h.uuid+16]
}

// Timestamp returns the timestamp in nanoseconds since the Unix epoch.
func (v *View) Timestamp() int64 { return v.h.ts }

// Has reports whether every header in set is present.
func (v *View) Has(set HeaderSet) bool { return v.h.has&set == set }

// Severity returns the severity, DefaultSeverity when absent.
func (v *View) Severity() int32 { return v.h.severity }

// Pid returns the pid, 0 when absent.
func (v *View) Pid() int32 { return v.h.pid }

// Type returns the Type header, nil when absent (empty, not nil, when
// present and empty).
func (v *View) Type() []byte { return v.header(tagType) }

// Logger returns the Logger header, nil when absent.
func (v *View) Logger() []byte { return v.header(tagLogger) }

// Payload returns the Payload header, nil when absent.
func (v *View) Payload() []byte { return v.header(tagPayload) }

// EnvVersion returns the EnvVersion header, nil when absent.
func (v *View) EnvVersion() []byte { return v.header(tagEnvVersion) }

// Hostname returns the Hostname header, nil when absent.
func (v *View) Hostname() []byte { return v.header(tagHostname) }

func (v *View) header(tag int) []byte {
	if v.h.has&(HeaderSet(1)<<tag) == 0 {
		return nil
	}
	sp := v.h.str[tag]
	return v.raw[sp.s:sp.e:sp.e]
}

// NumFields returns the number of field records.
func (v *View) NumFields() int { return len(v.fields) }

// FieldAt returns the i-th field record, 0 <= i < NumFields().
func (v *View) FieldAt(i int) FieldView { return FieldView{raw: v.raw, fieldIndex: v.fields[i]} }

// Field returns the fi-th (from 0) field record called name, as read_message
// addresses Fields[name] with a field index.
func (v *View) Field(name string, fi int) (FieldView, bool) {
	if fi < 0 {
		return FieldView{}, false
	}
	for i := range v.fields {
		sp := v.fields[i].name
		if string(v.raw[sp.s:sp.e]) == name {
			if fi == 0 {
				return FieldView{raw: v.raw, fieldIndex: v.fields[i]}, true
			}
			fi--
		}
	}
	return FieldView{}, false
}

// FieldView reads one field record of a View. Its values are those of the
// declared Type; values the record carries under another type's tag are
// ignored, as lua_sandbox ignores them. A FieldView stays valid after the
// View is Reset, as long as the raw bytes are unchanged.
type FieldView struct {
	raw []byte
	fieldIndex
}

// Name returns the field name.
func (f FieldView) Name() []byte { return f.raw[f.name.s:f.name.e:f.name.e] }

// Type returns the declared value type (STRING when value_type is absent).
func (f FieldView) Type() ValueType { return f.typ }

// Representation returns the representation and whether it is present.
func (f FieldView) Representation() ([]byte, bool) {
	if !f.hasRepr {
		return nil, false
	}
	return f.raw[f.repr.s:f.repr.e:f.repr.e], true
}

// Len returns the number of values of the declared type.
func (f FieldView) Len() int { return f.n }

// String returns the ai-th value of a STRING field; ok is false if the field
// is not STRING or ai is out of range.
func (f FieldView) String(ai int) (v []byte, ok bool) {
	if f.typ != ValueString {
		return nil, false
	}
	return f.value(ai)
}

// Bytes returns the ai-th value of a BYTES field; ok is false if the field
// is not BYTES or ai is out of range.
func (f FieldView) Bytes(ai int) (v []byte, ok bool) {
	if f.typ != ValueBytes {
		return nil, false
	}
	return f.value(ai)
}

// Integer returns the ai-th value of an INTEGER field; ok is false if the
// field is not INTEGER or ai is out of range.
func (f FieldView) Integer(ai int) (v int64, ok bool) {
	if f.typ != ValueInteger {
		return 0, false
	}
	p, ok := f.value(ai)
	if !ok {
		return 0, false
	}
	x, _ := protowire.ConsumeVarint(p)
	return int64(x), true
}

// Double returns the ai-th value of a DOUBLE field; ok is false if the field
// is not DOUBLE or ai is out of range.
func (f FieldView) Double(ai int) (v float64, ok bool) {
	if f.typ != ValueDouble {
		return 0, false
	}
	p, ok := f.value(ai)
	if !ok {
		return 0, false
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), true
}

// Bool returns the ai-th value of a BOOL field; ok is false if the field is
// not BOOL or ai is out of range.
func (f FieldView) Bool(ai int) (v bool, ok bool) {
	if f.typ != ValueBool {
		return false, false
	}
	p, ok := f.value(ai)
	if !ok {
		return false, false
	}
	x, _ := protowire.ConsumeVarint(p)
	return x != 0, true
}

// value returns the encoding of the ai-th value of the declared type: the
// contents of a string or bytes value, the varint of an integer or bool, or
// the 8 bytes of a double. It walks the record from the first such value,
// across packed and unpacked occurrences alike.
func (f FieldView) value(ai int) ([]byte, bool) {
	if ai < 0 || ai >= f.n {
		return nil, false
	}
	tag := byte(valueTag(f.typ))
	b := f.raw[:f.rec.e]
	for i := f.first; i < len(b); {
		key := b[i]
		i++
		match := key>>3 == tag
		var n int
		switch protowire.Type(key & 7) {
		case wireVarint:
			_, n = protowire.ConsumeVarint(b[i:])
			if match && n > 0 {
				if ai == 0 {
					return b[i : i+n], true
				}
				ai--
			}
		case wireFixed64:
			n = 8
			if match && len(b)-i >= 8 {
				if ai == 0 {
					return b[i : i+8], true
				}
				ai--
			}
		default:
			var p []byte
			p, n = protowire.ConsumeBytes(b[i:])
			if !match || n < 0 {
				break
			}
			switch f.typ {
			case ValueString, ValueBytes:
				if ai == 0 {
					return p[:len(p):len(p)], true
				}
				ai--
			case ValueDouble:
				if c := len(p) / 8; ai < c {
					return p[8*ai : 8*ai+8], true
				} else {
					ai -= c
				}
			default:
				for j := 0; j < len(p); {
					_, m := protowire.ConsumeVarint(p[j:])
					if m < 0 {
						break
					}
					if ai == 0 {
						return p[j : j+m], true
					}
					ai--
					j += m
				}
			}
		}
		if n < 0 || n > len(b)-i {
			return nil, false
		}
		i += n
	}
	return nil, false
}
