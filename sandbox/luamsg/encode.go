package luamsg

import (
	"fmt"
	"math"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luatable"
)

// Headers are the header rules of one plugin (spec §4.7): the values the
// host fills in, and whether the plugin may set Uuid, Timestamp, Logger,
// Hostname and Pid itself.
type Headers struct {
	// Restricted (restricted_headers; analysis plugins) makes Uuid a new
	// random UUID, Timestamp the current time, and Logger, Hostname and Pid
	// the values below, whatever the table holds. Otherwise Uuid and
	// Timestamp are taken from the table when usable, and Logger, Hostname
	// and Pid default to the values below when the table has none.
	Restricted bool
	Logger     string // the plugin's Logger (its name, e.g. "input.nginx")
	Hostname   string
	Pid        int32
	// Now returns the current time in nanoseconds since the Unix epoch.
	// Nil means time.Now.
	Now func() int64
	// UUID returns a new random UUID. Nil means message.NewUUID.
	UUID func() [16]byte
}

// Encoder turns Lua message tables into messages under one plugin's header
// rules: inject_message and encode_message. It keeps the Lua values of its
// headers so that filling them into each table does not allocate. An
// Encoder belongs to one Lua state and is not safe for concurrent use.
type Encoder struct {
	h        Headers
	logger   lua.LValue
	hostname lua.LValue
	pid      lua.LValue
}

// NewEncoder returns an Encoder applying the rules h.
func NewEncoder(h Headers) *Encoder {
	return &Encoder{
		h:        h,
		logger:   lua.LString(h.Logger),
		hostname: lua.LString(h.Hostname),
		pid:      lua.LNumber(h.Pid),
	}
}

func (e *Encoder) now() int64 {
	if e.h.Now != nil {
		return e.h.Now()
	}
	return time.Now().UnixNano()
}

func (e *Encoder) uuid() [16]byte {
	if e.h.UUID != nil {
		return e.h.UUID()
	}
	return message.NewUUID()
}

// ToMessage fills m from the message table t (spec §4.7) and the header
// rules, ready for m.AppendTo. m is reset first; the capacity of its Fields
// and of their value slices is reused, so a caller that passes the same m
// for every message does not allocate once the slices have grown. Strings
// in m share memory with the Lua strings of t.
//
// As the reference does, ToMessage sets t.Logger, t.Hostname and t.Pid: to
// the configured values when restricted, otherwise only where they are nil.
//
// Headers: Type, Logger, Payload, EnvVersion and Hostname are written when
// they are strings, numbers (formatted as Lua's tostring, "%.14g") or
// output-capable userdata (Outputter); Severity and Pid when they are
// numbers or numeric strings (truncated to 32 bits); other values are
// ignored, as absent ones are. Unrestricted, Uuid is taken from a string of
// 16 raw bytes or a 36-character textual UUID, else generated, and
// Timestamp from a number or numeric string, else the current time.
//
// Fields is a table in hash form, {name = value, ...}, or array form,
// {{name=, value=, value_type=, representation=}, ...}; it is in array form
// when Fields[1] is not nil, and then only Fields[1..#Fields] are read.
// Hash-form fields are written in the order gopher-lua's next visits the
// keys, which is the order in which they were first set in the table
// (source order for a table constructor). A value is a string, number,
// boolean, Outputter userdata, an array of one of those, all of one Lua
// type, or a table with value, value_type and representation keys. A table
// without a value key is an array (a field without values when empty).
func (e *Encoder) ToMessage(t *lua.LTable, m *message.Message) error {
	m.Reset()
	// One walk over the table instead of a lookup per header: most
	// message tables hold a few of the ten keys.
	var h [nHeaders]lua.LValue
	for i := range h {
		h[i] = lua.LNil
	}
	for k, v := range luatable.All(t) {
		if ks, ok := k.(lua.LString); ok {
			if i := headerIndex(string(ks)); i >= 0 {
				h[i] = v
			}
		}
	}
	if e.h.Restricted {
		for _, d := range [...]struct {
			i int
			v lua.LValue
		}{{hLogger, e.logger}, {hHostname, e.hostname}, {hPid, e.pid}} {
			if h[d.i] != d.v {
				t.RawSetString(headerNames[d.i], d.v)
				h[d.i] = d.v
			}
		}
		m.Uuid = e.uuid()
		m.Timestamp = e.now()
	} else {
		for _, d := range [...]struct {
			i int
			v lua.LValue
		}{{hLogger, e.logger}, {hHostname, e.hostname}, {hPid, e.pid}} {
			if h[d.i] == lua.LNil {
				t.RawSetString(headerNames[d.i], d.v)
				h[d.i] = d.v
			}
		}
		m.Uuid = e.tableUUID(h[hUuid])
		if ts, ok := toNumber(h[hTimestamp]); ok {
			m.Timestamp = TruncInt64(ts)
		} else {
			m.Timestamp = e.now()
		}
	}
	if s, ok, err := toText(h[hType]); err != nil {
		return err
	} else if ok {
		m.SetType(s)
	}
	if s, ok, err := toText(h[hLogger]); err != nil {
		return err
	} else if ok {
		m.SetLogger(s)
	}
	if n, ok := toNumber(h[hSeverity]); ok {
		m.SetSeverity(int32(TruncInt64(n)))
	}
	if s, ok, err := toText(h[hPayload]); err != nil {
		return err
	} else if ok {
		m.SetPayload(s)
	}
	if s, ok, err := toText(h[hEnvVersion]); err != nil {
		return err
	} else if ok {
		m.SetEnvVersion(s)
	}
	if n, ok := toNumber(h[hPid]); ok {
		m.SetPid(int32(TruncInt64(n)))
	}
	if s, ok, err := toText(h[hHostname]); err != nil {
		return err
	} else if ok {
		m.SetHostname(s)
	}
	switch fs := h[hFields].(type) {
	case *lua.LNilType:
		return nil
	case *lua.LTable:
		return addFields(fs, m)
	default:
		return fmt.Errorf("the Fields value must be a table, not %s", fs.Type())
	}
}

// The keys of a message table ToMessage reads, by index.
const (
	hUuid = iota
	hTimestamp
	hType
	hLogger
	hSeverity
	hPayload
	hEnvVersion
	hPid
	hHostname
	hFields
	nHeaders
)

var headerNames = [nHeaders]string{"Uuid", "Timestamp", "Type", "Logger", "Severity", "Payload", "EnvVersion", "Pid", "Hostname", "Fields"}

// headerIndex returns the index of a message table key, or -1.
func headerIndex(k string) int {
	switch k {
	case "Uuid":
		return hUuid
	case "Timestamp":
		return hTimestamp
	case "Type":
		return hType
	case "Logger":
		return hLogger
	case "Severity":
		return hSeverity
	case "Payload":
		return hPayload
	case "EnvVersion":
		return hEnvVersion
	case "Pid":
		return hPid
	case "Hostname":
		return hHostname
	case "Fields":
		return hFields
	}
	return -1
}

// PayloadMessage fills m with the message inject_payload sends (spec §4.3):
// {Type="inject_payload", Payload=payload, Fields={payload_type=typ,
// payload_name=*name}}, without payload_name when name is nil (the
// plugin gave none), with the headers of the rules (new Uuid, current
// Timestamp, the configured Logger, Hostname and Pid).
func (e *Encoder) PayloadMessage(payload []byte, typ string, name *string, m *message.Message) {
	m.Reset()
	m.Uuid = e.uuid()
	m.Timestamp = e.now()
	m.SetType("inject_payload")
	m.SetLogger(e.h.Logger)
	m.SetPayload(string(payload))
	m.SetPid(e.h.Pid)
	m.SetHostname(e.h.Hostname)
	f := nextField(m, "payload_type")
	f.Strings = append(f.Strings, typ)
	if name != nil {
		f = nextField(m, "payload_name")
		f.Strings = append(f.Strings, *name)
	}
}

// tableUUID returns the Uuid of an unrestricted message table: 16 raw bytes
// or a textual UUID, else a new one.
func (e *Encoder) tableUUID(v lua.LValue) [16]byte {
	if s, ok := v.(lua.LString); ok {
		switch len(s) {
		case 16:
			var u [16]byte
			copy(u[:], s)
			return u
		case 36:
			if u, err := message.ParseUUID(string(s)); err == nil {
				return u
			}
		}
	}
	return e.uuid()
}

// addFields appends the fields of the Fields table fs to m.
func addFields(fs *lua.LTable, m *message.Message) error {
	if fs.RawGetInt(1) != lua.LNil {
		n := fs.Len()
		for i := 1; i <= n; i++ {
			el, ok := fs.RawGetInt(i).(*lua.LTable)
			if !ok {
				return fmt.Errorf("array-form field %d must be a table", i)
			}
			name, ok := el.RawGetString("name").(lua.LString)
			if !ok {
				return fmt.Errorf("array-form field %d must have a string name", i)
			}
			err := addField(m, string(name), el.RawGetString("value"),
				el.RawGetString("value_type"), el.RawGetString("representation"))
			if err != nil {
				return err
			}
		}
		return nil
	}
	for k, v := range luatable.All(fs) {
		name, ok := k.(lua.LString)
		if !ok {
			return fmt.Errorf("field name must be a string, not %s", k.Type())
		}
		var vt, rep lua.LValue = lua.LNil, lua.LNil
		if obj, ok := v.(*lua.LTable); ok {
			vt = obj.RawGetString("value_type")
			rep = obj.RawGetString("representation")
			if val := obj.RawGetString("value"); val != lua.LNil {
				v = val
			}
		}
		if err := addField(m, string(name), v, vt, rep); err != nil {
			return err
		}
	}
	return nil
}

// addField appends one field to m: value is a scalar, an Outputter userdata,
// an array table or nil (no values); vt and rep are the value_type and
// representation given, or nil.
func addField(m *message.Message, name string, value, vt, rep lua.LValue) error {
	want := noValueType
	if vt != lua.LNil {
		n, ok := vt.(lua.LNumber)
		if !ok {
			return fmt.Errorf("field '%s': value_type must be a number, not %s", name, vt.Type())
		}
		want = int(TruncInt64(float64(n)))
	}
	f := nextField(m, name)
	switch r := rep.(type) {
	case *lua.LNilType:
	case lua.LString:
		f.Representation = string(r)
	case lua.LNumber:
		f.Representation = formatNumber(float64(r))
	default:
		return fmt.Errorf("field '%s': representation must be a string, not %s", name, rep.Type())
	}
	arr, isArray := value.(*lua.LTable)
	if !isArray {
		typ, err := fieldType(value, want)
		if err != nil {
			return err
		}
		f.Type = typ
		if value == lua.LNil {
			return nil
		}
		return appendValue(f, value)
	}
	n := arr.Len()
	if n == 0 {
		typ, err := fieldType(lua.LNil, want)
		f.Type = typ
		return err
	}
	first := arr.RawGetInt(1)
	switch x := first.(type) {
	case lua.LString, lua.LNumber, lua.LBool, *lua.LNilType:
	case *lua.LUserData:
		// Beyond the reference (which refuses userdata here): an array
		// of Outputter userdata is BYTES.
		if _, ok := x.Value.(Outputter); !ok {
			return fmt.Errorf("unsupported array type: %s", first.Type())
		}
	default:
		return fmt.Errorf("unsupported array type: %s", first.Type())
	}
	typ, err := fieldType(first, want)
	if err != nil {
		return err
	}
	f.Type = typ
	lt := first.Type()
	for i := 1; i <= n; i++ {
		v := arr.RawGetInt(i)
		if v.Type() != lt {
			return ErrMixedTypes
		}
		if err := appendValue(f, v); err != nil {
			return err
		}
	}
	return nil
}

// noValueType stands for a value_type that was not given.
const noValueType = math.MinInt

// fieldType returns the value type of a field holding values like v, given
// the requested value_type want (noValueType for none).
func fieldType(v lua.LValue, want int) (message.ValueType, error) {
	switch x := v.(type) {
	case lua.LString:
		switch want {
		case noValueType, int(message.ValueString):
			return message.ValueString, nil
		case int(message.ValueBytes):
			return message.ValueBytes, nil
		}
		return 0, fmt.Errorf("invalid string value_type: %d", want)
	case lua.LNumber:
		switch want {
		case noValueType, int(message.ValueDouble):
			return message.ValueDouble, nil
		case int(message.ValueInteger):
			return message.ValueInteger, nil
		}
		return 0, fmt.Errorf("invalid numeric value_type: %d", want)
	case lua.LBool:
		if want == noValueType || want == int(message.ValueBool) {
			return message.ValueBool, nil
		}
		return 0, fmt.Errorf("invalid boolean value_type: %d", want)
	case *lua.LUserData:
		if _, ok := x.Value.(Outputter); !ok {
			return 0, fmt.Errorf("unsupported userdata value")
		}
		if want == noValueType || want == int(message.ValueBytes) {
			return message.ValueBytes, nil
		}
		return 0, fmt.Errorf("invalid userdata value_type: %d", want)
	case *lua.LNilType:
		if want == noValueType {
			return message.ValueString, nil
		}
		if want < 0 || want > int(message.ValueBool) {
			return 0, fmt.Errorf("invalid value_type: %d", want)
		}
		return message.ValueType(want), nil
	}
	return 0, fmt.Errorf("unsupported value type: %s", v.Type())
}

// appendValue appends v, whose Lua type matches f.Type (checked by
// fieldType), to f.
func appendValue(f *message.Field, v lua.LValue) error {
	switch x := v.(type) {
	case lua.LString:
		if f.Type == message.ValueBytes {
			b := bytesSlot(f)
			*b = append(*b, x...)
		} else {
			f.Strings = append(f.Strings, string(x))
		}
	case lua.LNumber:
		if f.Type == message.ValueInteger {
			f.Integers = append(f.Integers, TruncInt64(float64(x)))
		} else {
			f.Doubles = append(f.Doubles, float64(x))
		}
	case lua.LBool:
		f.Bools = append(f.Bools, bool(x))
	case *lua.LUserData:
		o, ok := x.Value.(Outputter)
		if !ok {
			return fmt.Errorf("unsupported userdata value")
		}
		b := bytesSlot(f)
		var err error
		if *b, err = o.Output(*b); err != nil {
			return err
		}
	}
	return nil
}

// nextField appends a field called name to m, reusing the slot's slices.
func nextField(m *message.Message, name string) *message.Field {
	n := len(m.Fields)
	if n < cap(m.Fields) {
		m.Fields = m.Fields[:n+1]
	} else {
		m.Fields = append(m.Fields, message.Field{})
	}
	f := &m.Fields[n]
	f.Name, f.Type, f.Representation = name, message.ValueString, ""
	f.Strings, f.Bytes, f.Integers = f.Strings[:0], f.Bytes[:0], f.Integers[:0]
	f.Doubles, f.Bools = f.Doubles[:0], f.Bools[:0]
	return f
}

// bytesSlot appends an empty value to f.Bytes, reusing the buffer a previous
// message left in that slot, and returns it.
func bytesSlot(f *message.Field) *[]byte {
	j := len(f.Bytes)
	if j < cap(f.Bytes) {
		f.Bytes = f.Bytes[:j+1]
		f.Bytes[j] = f.Bytes[j][:0]
	} else {
		f.Bytes = append(f.Bytes, nil)
	}
	return &f.Bytes[j]
}

// toText converts a string header: strings as they are, numbers as Lua's
// tostring formats them, Outputter userdata as their output.
func toText(v lua.LValue) (string, bool, error) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true, nil
	case lua.LNumber:
		return formatNumber(float64(x)), true, nil
	case *lua.LUserData:
		if o, ok := x.Value.(Outputter); ok {
			b, err := o.Output(nil)
			return string(b), err == nil, err
		}
	}
	return "", false, nil
}

// toNumber converts a number or a numeric string, as lua_tonumber does.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return parseNumber(string(x))
	}
	return 0, false
}

// truncInt64 truncates f toward zero, saturating outside the int64 range;
// NaN is 0. (The reference's C cast is undefined there.)
func TruncInt64(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// Defaults gives a message built in Go the headers ToMessage gives an
// unrestricted table that lacks them: a new Uuid when it is all zeros,
// the current time when Timestamp is 0, and the configured Logger,
// Hostname and Pid when they are not set.
func (e *Encoder) Defaults(m *message.Message) {
	if m.Uuid == ([16]byte{}) {
		m.Uuid = e.uuid()
	}
	if m.Timestamp == 0 {
		m.Timestamp = e.now()
	}
	if m.Has&message.HasLogger == 0 {
		m.SetLogger(e.h.Logger)
	}
	if m.Has&message.HasHostname == 0 {
		m.SetHostname(e.h.Hostname)
	}
	if m.Has&message.HasPid == 0 {
		m.SetPid(e.h.Pid)
	}
}
