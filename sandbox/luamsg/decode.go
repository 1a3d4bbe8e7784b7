package luamsg

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// minMessageSize is the length of the smallest valid message: uuid (2+16)
// and a one-byte timestamp (2).
const minMessageSize = 20

// DecodeMessage decodes raw and returns it as decode_message's table (see
// MessageTable). m is scratch space, reused across calls when not nil.
// Input shorter than 20 bytes is ErrTooShort; other invalid input is an
// error wrapping ErrInvalidMessage and the *message.DecodeError.
func DecodeMessage(L *lua.LState, raw []byte, m *message.Message) (*lua.LTable, error) {
	if len(raw) < minMessageSize {
		return nil, ErrTooShort
	}
	if m == nil {
		m = new(message.Message)
	}
	if err := message.Decode(raw, m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	return MessageTable(L, m), nil
}

// MessageTable returns m as a message table in array field form (spec
// §4.2): {Uuid=<16 raw bytes>, Timestamp=, Type=, Logger=, Severity=,
// Payload=, EnvVersion=, Pid=, Hostname=, Fields={{name=, value_type=,
// representation=, value={...}}, ...}}. Optional headers are present only
// when set in m.Has, Fields only when m has fields; value_type is omitted
// for STRING fields and representation when empty; value is always an
// array, holding the values of the field's declared type (BYTES as strings,
// INTEGER and DOUBLE as numbers).
func MessageTable(L *lua.LState, m *message.Message) *lua.LTable {
	t := L.CreateTable(0, 10)
	t.RawSetString("Uuid", lua.LString(m.Uuid[:]))
	t.RawSetString("Timestamp", lua.LNumber(m.Timestamp))
	if m.Has&message.HasType != 0 {
		t.RawSetString("Type", lua.LString(m.Type))
	}
	if m.Has&message.HasLogger != 0 {
		t.RawSetString("Logger", lua.LString(m.Logger))
	}
	if m.Has&message.HasSeverity != 0 {
		t.RawSetString("Severity", lua.LNumber(m.Severity))
	}
	if m.Has&message.HasPayload != 0 {
		t.RawSetString("Payload", lua.LString(m.Payload))
	}
	if m.Has&message.HasEnvVersion != 0 {
		t.RawSetString("EnvVersion", lua.LString(m.EnvVersion))
	}
	if m.Has&message.HasPid != 0 {
		t.RawSetString("Pid", lua.LNumber(m.Pid))
	}
	if m.Has&message.HasHostname != 0 {
		t.RawSetString("Hostname", lua.LString(m.Hostname))
	}
	if len(m.Fields) == 0 {
		return t
	}
	fs := L.CreateTable(len(m.Fields), 0)
	for i := range m.Fields {
		f := &m.Fields[i]
		ft := L.CreateTable(0, 4)
		ft.RawSetString("name", lua.LString(f.Name))
		if f.Type != message.ValueString {
			ft.RawSetString("value_type", lua.LNumber(f.Type))
		}
		if f.Representation != "" {
			ft.RawSetString("representation", lua.LString(f.Representation))
		}
		vs := L.CreateTable(f.Len(), 0)
		switch f.Type {
		case message.ValueString:
			for _, s := range f.Strings {
				vs.Append(lua.LString(s))
			}
		case message.ValueBytes:
			for _, b := range f.Bytes {
				vs.Append(lua.LString(b))
			}
		case message.ValueInteger:
			for _, n := range f.Integers {
				vs.Append(lua.LNumber(n))
			}
		case message.ValueDouble:
			for _, d := range f.Doubles {
				vs.Append(lua.LNumber(d))
			}
		case message.ValueBool:
			for _, b := range f.Bools {
				vs.Append(lua.LBool(b))
			}
		}
		ft.RawSetString("value", vs)
		fs.Append(ft)
	}
	t.RawSetString("Fields", fs)
	return t
}
