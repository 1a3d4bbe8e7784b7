package clf

import (
	"github.com/sightline/sightline/message"
)

// Filling a message.Message from a match, as the reference's capture table
// would be encoded by inject_message: strings are STRING fields, numbers
// DOUBLE, {value=, representation=} tables a field with a representation,
// arrays a field with several values.

// field returns the field of m called name, emptied for new values: the
// existing one when search is set and m has one (a default field the
// decoder overwrites, as the reference's add_fields does), else a new one
// appended, reusing the slot's slices.
func field(m *message.Message, name string, search bool) *message.Field {
	var f *message.Field
	if search {
		for i := range m.Fields {
			if m.Fields[i].Name == name {
				f = &m.Fields[i]
				break
			}
		}
	}
	if f == nil {
		n := len(m.Fields)
		if n < cap(m.Fields) {
			m.Fields = m.Fields[:n+1]
		} else {
			m.Fields = append(m.Fields, message.Field{})
		}
		f = &m.Fields[n]
	}
	f.Name, f.Type, f.Representation = name, message.ValueString, ""
	f.Strings, f.Bytes, f.Integers = f.Strings[:0], f.Bytes[:0], f.Integers[:0]
	f.Doubles, f.Bools = f.Doubles[:0], f.Bools[:0]
	return f
}

// setField writes the value v of a match of line s into m's field name.
func (st *State) setField(m *message.Message, name string, v *value, s string, search bool) {
	f := field(m, name, search)
	switch v.kind {
	case vStr, vStrRep:
		f.Strings = append(f.Strings, s[v.a:v.b])
	case vNum, vNumRep:
		f.Type = message.ValueDouble
		f.Doubles = append(f.Doubles, v.n)
	case vStrList:
		for _, sp := range st.spans[v.a:v.b] {
			f.Strings = append(f.Strings, s[sp[0]:sp[1]])
		}
	case vNumList, vNumListRep:
		f.Type = message.ValueDouble
		f.Doubles = append(f.Doubles, st.nums[v.a:v.b]...)
	}
	switch v.kind {
	case vStrRep, vNumRep, vNumListRep:
		f.Representation = v.rep
	}
}
