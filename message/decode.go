package message

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decode strictly decodes the Heka message in b into m (spec §1.6): keys are
// single bytes, an unknown tag or a known tag with the wrong wire type is an
// error, uuid must be exactly 16 bytes, uuid and timestamp must be present,
// every field record must have a name and a value_type in 0..4. Numeric and
// bool values may be packed or not, and the tags inside a field record may
// come in any order. A header that appears twice keeps its last value, as in
// protobuf.
//
// m is overwritten. Decode reuses the capacity of m.Fields and of the value
// slices inside it (including the buffers of Bytes values), so values taken
// from m before the call may change. m does not alias b: all strings of m
// share one copy of b made by Decode, so keeping any of them keeps that copy
// alive. On error the contents of m are unspecified and the error is a
// *DecodeError wrapping one of the Err* sentinels.
func Decode(b []byte, m *Message) error {
	fields := m.Fields[:0]
	*m = Message{Severity: DefaultSeverity}
	d := decoder{b: b}
	haveUUID, haveTimestamp := false, false
	for i := 0; i < len(b); {
		k, key := i, b[i]
		if !msgKeyOK[key] {
			tag, err := keyErr(key, &msgKeyOK)
			return decErr(k, -1, tag, err)
		}
		tag := int(key >> 3)
		i++
		switch tag {
		case tagTimestamp, tagSeverity, tagPid:
			v, next, err := readVarint(b, i)
			if err != nil {
				return decErr(k, -1, tag, err)
			}
			i = next
			switch tag {
			case tagTimestamp:
				m.Timestamp = int64(v)
				haveTimestamp = true
			case tagSeverity:
				m.Severity = int32(v)
				m.Has |= HasSeverity
			default:
				m.Pid = int32(v)
				m.Has |= HasPid
			}
			continue
		}
		s, e, err := readLen(b, i)
		if err != nil {
			return decErr(k, -1, tag, err)
		}
		i = e
		switch tag {
		case tagUUID:
			if e-s != 16 {
				return decErr(k, -1, tag, ErrUUIDLength)
			}
			copy(m.Uuid[:], b[s:e])
			haveUUID = true
		case tagType:
			m.Type = d.str(s, e)
		case tagLogger:
			m.Logger = d.str(s, e)
		case tagPayload:
			m.Payload = d.str(s, e)
		case tagEnvVersion:
			m.EnvVersion = d.str(s, e)
		case tagHostname:
			m.Hostname = d.str(s, e)
		case tagFields:
			n := len(fields)
			if n < cap(fields) {
				fields = fields[:n+1]
			} else {
				fields = append(fields, Field{})
			}
			if err := d.field(s, e, n, &fields[n]); err != nil {
				m.Fields = fields
				return err
			}
		}
		m.Has |= HeaderSet(1) << tag & AllHeaders // no-op for uuid and fields
	}
	m.Fields = fields
	if !haveUUID {
		return decErr(len(b), -1, -1, ErrNoUUID)
	}
	if !haveTimestamp {
		return decErr(len(b), -1, -1, ErrNoTimestamp)
	}
	return nil
}

// decoder holds the state of one Decode call.
type decoder struct {
	b    []byte
	text string // string(b), made on first need; string values are substrings
}

// str returns b[s:e] as a string sharing the decoder's single copy of b.
func (d *decoder) str(s, e int) string {
	if s == e {
		return ""
	}
	if d.text == "" {
		d.text = string(d.b)
	}
	return d.text[s:e]
}

// field decodes the field record b[s:e], the fi-th of the message, into f,
// reusing f's slices.
func (d *decoder) field(s, e, fi int, f *Field) error {
	// Field by field: a whole-struct assignment costs a bulk write barrier.
	f.Name, f.Type, f.Representation = "", ValueString, ""
	f.Strings, f.Bytes, f.Integers = f.Strings[:0], f.Bytes[:0], f.Integers[:0]
	f.Doubles, f.Bools = f.Doubles[:0], f.Bools[:0]
	rec := d.b[:e]
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
			v, next, err := readVarint(rec, i)
			if err != nil {
				return decErr(k, fi, tag, err)
			}
			i = next
			if v > uint64(ValueBool) {
				return decErr(k, fi, tag, ErrValueType)
			}
			f.Type = ValueType(v)
			continue
		case wt == wireVarint: // a single integer or bool
			v, next, err := readVarint(rec, i)
			if err != nil {
				return decErr(k, fi, tag, err)
			}
			i = next
			if tag == ftInteger {
				f.Integers = append(f.Integers, int64(v))
			} else {
				f.Bools = append(f.Bools, v != 0)
			}
			continue
		case wt == wireFixed64: // a single double
			if e-i < 8 {
				return decErr(k, fi, tag, ErrTruncated)
			}
			f.Doubles = append(f.Doubles, math.Float64frombits(binary.LittleEndian.Uint64(rec[i:])))
			i += 8
			continue
		}
		vs, ve, err := readLen(rec, i)
		if err != nil {
			return decErr(k, fi, tag, err)
		}
		i = ve
		switch tag {
		case ftName:
			f.Name = d.str(vs, ve)
			haveName = true
		case ftRepresentation:
			f.Representation = d.str(vs, ve)
		case ftString:
			f.Strings = append(f.Strings, d.str(vs, ve))
		case ftBytes:
			f.appendBytes(rec[vs:ve])
		case ftDouble:
			if (ve-vs)%8 != 0 {
				return decErr(k, fi, tag, ErrPackedDouble)
			}
			for j := vs; j < ve; j += 8 {
				f.Doubles = append(f.Doubles, math.Float64frombits(binary.LittleEndian.Uint64(rec[j:])))
			}
		default: // packed integers or bools
			for j := vs; j < ve; {
				v, n := protowire.ConsumeVarint(rec[j:ve])
				if n < 0 {
					return decErr(k, fi, tag, varintErr(n))
				}
				j += n
				if tag == ftInteger {
					f.Integers = append(f.Integers, int64(v))
				} else {
					f.Bools = append(f.Bools, v != 0)
				}
			}
		}
	}
	if !haveName {
		return decErr(s, fi, -1, ErrNoFieldName)
	}
	return nil
}

// appendBytes appends a copy of v to f.Bytes, reusing the buffer of a
// previous value in that slot when there is one.
func (f *Field) appendBytes(v []byte) {
	j := len(f.Bytes)
	if j < cap(f.Bytes) {
		f.Bytes = f.Bytes[:j+1]
		f.Bytes[j] = append(f.Bytes[j][:0], v...)
		return
	}
	f.Bytes = append(f.Bytes, append([]byte(nil), v...))
}
