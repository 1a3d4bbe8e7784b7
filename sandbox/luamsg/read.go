package luamsg

import (
	"fmt"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// varKind is a read_message variable.
type varKind uint8

const (
	varUuid varKind = iota
	varTimestamp
	varType
	varLogger
	varPayload
	varEnvVersion
	varHostname
	varSeverity
	varPid
	varRaw
	varFramed
	varSize
	varField // Fields[name]
)

// parseVariable parses a read_message variable name. For Fields[name] it
// returns name, a substring of s.
func parseVariable(s string) (varKind, string, error) {
	switch s {
	case "Uuid":
		return varUuid, "", nil
	case "Timestamp":
		return varTimestamp, "", nil
	case "Type":
		return varType, "", nil
	case "Logger":
		return varLogger, "", nil
	case "Payload":
		return varPayload, "", nil
	case "EnvVersion":
		return varEnvVersion, "", nil
	case "Hostname":
		return varHostname, "", nil
	case "Severity":
		return varSeverity, "", nil
	case "Pid":
		return varPid, "", nil
	case "raw":
		return varRaw, "", nil
	case "framed":
		return varFramed, "", nil
	case "size":
		return varSize, "", nil
	}
	if len(s) > len("Fields[]") && strings.HasPrefix(s, "Fields[") && s[len(s)-1] == ']' {
		return varField, s[len("Fields[") : len(s)-1], nil
	}
	return 0, "", fmt.Errorf("read_message() field: '%s' not supported/recognized", s)
}

// ReadMessage returns the variable of read_message (spec §4.4) for the
// message v: Uuid (16 raw bytes), Timestamp, Type, Logger, Payload,
// EnvVersion, Hostname (nil when absent), Severity (7 when absent), Pid (nil
// when absent), raw (the message bytes), framed (the message in a fresh
// frame, as message.AppendFrame writes it, CRC-32C included), size (the
// length of raw), or Fields[name]: element ai of the fi-th field called
// name, a string for STRING and BYTES, a number for INTEGER and DOUBLE, a
// boolean for BOOL, nil when there is none.
//
// The variable and the indices are checked first: an unknown variable or a
// negative index is an error even when there is no message. With no message
// (v nil or holding none) the value is nil.
func ReadMessage(v *message.View, variable string, fi, ai int) (lua.LValue, error) {
	kind, name, err := parseVariable(variable)
	if err != nil {
		return lua.LNil, err
	}
	if fi < 0 {
		return lua.LNil, ErrFieldIndex
	}
	if ai < 0 {
		return lua.LNil, ErrArrayIndex
	}
	if v == nil || v.Raw() == nil {
		return lua.LNil, nil
	}
	switch kind {
	case varTimestamp:
		return lua.LNumber(v.Timestamp()), nil
	case varSeverity:
		return lua.LNumber(v.Severity()), nil
	case varPid:
		if !v.Has(message.HasPid) {
			return lua.LNil, nil
		}
		return lua.LNumber(v.Pid()), nil
	case varSize:
		return lua.LNumber(len(v.Raw())), nil
	case varFramed:
		raw := v.Raw()
		b := message.AppendFrame(make([]byte, 0, message.FrameSize(len(raw))), raw)
		// b is new and never written again: share it with the Lua string
		// instead of copying it.
		return lua.LString(unsafe.String(unsafe.SliceData(b), len(b))), nil
	case varField:
		f, ok := v.Field(name, fi)
		if !ok {
			return lua.LNil, nil
		}
		return fieldValue(f, ai), nil
	}
	b := stringVar(v, kind)
	if b == nil {
		return lua.LNil, nil
	}
	return lua.LString(b), nil
}

// stringVar returns a string-valued variable (Uuid, the string headers,
// raw) of v, nil when absent.
func stringVar(v *message.View, kind varKind) []byte {
	switch kind {
	case varUuid:
		return v.Uuid()
	case varType:
		return v.Type()
	case varLogger:
		return v.Logger()
	case varPayload:
		return v.Payload()
	case varEnvVersion:
		return v.EnvVersion()
	case varHostname:
		return v.Hostname()
	case varRaw:
		return v.Raw()
	}
	return nil
}

// fieldValue returns the ai-th value of f as a Lua value, nil if absent.
func fieldValue(f message.FieldView, ai int) lua.LValue {
	switch f.Type() {
	case message.ValueString:
		if b, ok := f.String(ai); ok {
			return lua.LString(b)
		}
	case message.ValueBytes:
		if b, ok := f.Bytes(ai); ok {
			return lua.LString(b)
		}
	case message.ValueInteger:
		if n, ok := f.Integer(ai); ok {
			return lua.LNumber(n)
		}
	case message.ValueDouble:
		if d, ok := f.Double(ai); ok {
			return lua.LNumber(d)
		}
	case message.ValueBool:
		if b, ok := f.Bool(ai); ok {
			return lua.LBool(b)
		}
	}
	return lua.LNil
}
