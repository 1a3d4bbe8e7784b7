package luamsg

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// Outputter is implemented by the Value of userdata that can be written as
// bytes: zero-copy read_message handles here, and the sandbox's other
// output-capable objects (circular buffers and the like). Message fields,
// string headers, add_to_payload, decode_message and io.write accept such
// userdata.
type Outputter interface {
	// Output appends the object's current bytes to dst and returns the
	// extended slice, or an error if the object cannot be written now.
	Output(dst []byte) ([]byte, error)
}

// zeroCopyType names the metatable of zero-copy handles in the registry.
const zeroCopyType = "luamsg.zero_copy"

// zeroCopy is a read_message(variable, fi, ai, true) handle: each use reads
// the variable of the message current at that moment.
type zeroCopy struct {
	current func() *message.View
	kind    varKind
	name    string // field name for Fields[name]
	fi, ai  int
}

// NewZeroCopy returns the handle read_message(variable, fi, ai, true)
// returns (spec §4.4): a userdata whose value is re-read from the message
// current() returns each time it is used. Its Value implements Outputter
// (appending nothing when there is no message or the variable is absent)
// and tostring returns the value as a string, or nil when absent. Allowed
// variables are Uuid, Type, Logger, Payload, EnvVersion, Hostname, raw,
// framed and Fields[name]; a field whose value is not STRING or BYTES makes
// each use fail with ErrZeroCopyType.
func NewZeroCopy(L *lua.LState, current func() *message.View, variable string, fi, ai int) (*lua.LUserData, error) {
	kind, name, err := parseVariable(variable)
	if err != nil {
		return nil, err
	}
	switch kind {
	case varTimestamp, varSeverity, varPid, varSize:
		return nil, fmt.Errorf("read_message() field: '%s' not supported with zero copy", variable)
	}
	if fi < 0 {
		return nil, ErrFieldIndex
	}
	if ai < 0 {
		return nil, ErrArrayIndex
	}
	ud := L.NewUserData()
	ud.Value = &zeroCopy{current: current, kind: kind, name: name, fi: fi, ai: ai}
	ud.Metatable = zeroCopyMetatable(L)
	return ud, nil
}

func zeroCopyMetatable(L *lua.LState) *lua.LTable {
	mt := L.NewTypeMetatable(zeroCopyType)
	if mt.RawGetString("__tostring") == lua.LNil {
		mt.RawSetString("__tostring", L.NewFunction(zeroCopyToString))
	}
	return mt
}

func zeroCopyToString(L *lua.LState) int {
	z, ok := L.CheckUserData(1).Value.(*zeroCopy)
	if !ok {
		L.ArgError(1, "zero copy handle expected")
	}
	b, ok, err := z.value(nil)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if !ok {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(b))
	}
	return 1
}

// Output appends the current value of the handle's variable to dst.
func (z *zeroCopy) Output(dst []byte) ([]byte, error) {
	dst, _, err := z.value(dst)
	return dst, err
}

// value appends the current value to dst; ok is false when there is none.
func (z *zeroCopy) value(dst []byte) ([]byte, bool, error) {
	v := z.current()
	if v == nil || v.Raw() == nil {
		return dst, false, nil
	}
	switch z.kind {
	case varFramed:
		return message.AppendFrame(dst, v.Raw()), true, nil
	case varField:
		f, ok := v.Field(z.name, z.fi)
		if !ok {
			return dst, false, nil
		}
		var b []byte
		switch f.Type() {
		case message.ValueString:
			b, ok = f.String(z.ai)
		case message.ValueBytes:
			b, ok = f.Bytes(z.ai)
		default:
			return dst, false, ErrZeroCopyType
		}
		if !ok {
			return dst, false, nil
		}
		return append(dst, b...), true, nil
	}
	b := stringVar(v, z.kind)
	if b == nil {
		return dst, false, nil
	}
	return append(dst, b...), true, nil
}
