package luamsg

import (
	"io"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// NewDecodeMessageFunc returns decode_message(pb) (spec §4.2) for one Lua
// state: pb is a string or an Outputter userdata (a zero-copy handle); the
// result is the table MessageTable describes. Invalid input raises a Lua
// error.
func NewDecodeMessageFunc() lua.LGFunction {
	var m message.Message
	var scratch []byte
	return func(L *lua.LState) int {
		t, err := DecodeMessage(L, argBytes(L, 1, &scratch), &m)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		L.Push(t)
		return 1
	}
}

// NewReadMessageFunc returns read_message(variable[, field_index[,
// array_index[, zero_copy]]]) (spec §4.4) reading the message current
// returns (nil or an empty View outside a message). See ReadMessage and,
// for zero_copy, NewZeroCopy.
func NewReadMessageFunc(current func() *message.View) lua.LGFunction {
	return func(L *lua.LState) int {
		variable := L.CheckString(1)
		fi := L.OptInt(2, 0)
		ai := L.OptInt(3, 0)
		if lua.LVAsBool(L.Get(4)) {
			ud, err := NewZeroCopy(L, current, variable, fi, ai)
			if err != nil {
				raise(L, 1, err)
			}
			L.Push(ud)
			return 1
		}
		v, err := ReadMessage(current(), variable, fi, ai)
		if err != nil {
			raise(L, 1, err)
		}
		L.Push(v)
		return 1
	}
}

// NewAddToPayloadFunc returns add_to_payload(...) (spec §4.3) appending
// its arguments to p (see Payload.Add). Without arguments it raises the
// reference's argument error, "must have at least one argument".
func NewAddToPayloadFunc(p *Payload) lua.LGFunction {
	return func(L *lua.LState) int {
		if L.GetTop() == 0 {
			L.ArgError(0, "must have at least one argument")
		}
		if err := p.AddArgs(L, 1); err != nil {
			L.RaiseError("%s", err.Error())
		}
		return 0
	}
}

// NewInjectPayloadFunc returns inject_payload([payload_type="txt"[,
// payload_name[, ...]]]) (spec §4.3): the arguments after the name are
// appended to p, then, unless p is empty, the message of
// Encoder.PayloadMessage is built in m and handed to inject, and p is
// emptied once inject succeeds. An inject error is raised as
// "inject_payload() failed: <err>".
func NewInjectPayloadFunc(p *Payload, enc *Encoder, m *message.Message, inject func(*message.Message) error) lua.LGFunction {
	return func(L *lua.LState) int {
		typ, name := PayloadArgs(L)
		if err := p.AddArgs(L, 3); err != nil {
			L.RaiseError("%s", err.Error())
		}
		if p.Len() == 0 {
			return 0
		}
		enc.PayloadMessage(p.Bytes(), typ, name, m)
		if err := inject(m); err != nil {
			L.RaiseError("inject_payload() failed: %s", err.Error())
		}
		p.Reset()
		return 0
	}
}

// PayloadArgs reads inject_payload's first two arguments: payload_type
// ("txt" when absent or nil) and payload_name (nil when absent or nil: the
// reference writes the payload_name field only when a name is given).
// Other values than strings and numbers raise an argument error.
func PayloadArgs(L *lua.LState) (typ string, name *string) {
	typ = L.OptString(1, "txt")
	if L.Get(2) != lua.LNil {
		s := L.CheckString(2)
		name = &s
	}
	return typ, name
}

// streamReaderType names the metatable of stream readers in the registry.
const streamReaderType = "luamsg.stream_reader"

// NewCreateStreamReaderFunc returns create_stream_reader(name) (spec §4.6),
// making readers that accept messages of up to maxMessageSize bytes. A
// reader is a userdata whose Value is the *StreamReader (inject_message
// recognises it and injects CurrentRaw), with the methods:
//
//   - find_message(buf[, decode=true]) → found, consumed, need_or_read:
//     buf is a string (appended; an error when it does not fit, see
//     StreamReader.Append), nil, or a file: a userdata whose Value is an
//     io.Reader, or any value with a read method, such as gopher-lua's
//     io.open handles, called as buf:read(free). For a file the reader first
//     looks in what it holds, and only if it finds nothing reads once and
//     looks again; the third result is then the number of bytes read (0 at
//     the end of the file). Otherwise it is StreamReader.Find's need.
//   - decode_message(pb): pb (a string or Outputter userdata) becomes the
//     current message (StreamReader.LoadMessage).
//   - read_message(variable[, fi[, ai]]): ReadMessage on the current
//     message; nil for a frame found with decode=false that does not decode.
func NewCreateStreamReaderFunc(maxMessageSize int) lua.LGFunction {
	return func(L *lua.LState) int {
		name := L.CheckString(1)
		if len(name) >= 255 {
			L.ArgError(1, "name is too long")
		}
		ud := L.NewUserData()
		ud.Value = NewStreamReader(name, maxMessageSize)
		ud.Metatable = streamReaderMetatable(L)
		L.Push(ud)
		return 1
	}
}

func streamReaderMetatable(L *lua.LState) *lua.LTable {
	mt := L.NewTypeMetatable(streamReaderType)
	if mt.RawGetString("__index") == lua.LNil {
		var scratch []byte
		methods := L.NewTable()
		methods.RawSetString("find_message", L.NewFunction(hsrFindMessage))
		methods.RawSetString("decode_message", L.NewFunction(func(L *lua.LState) int {
			r := checkStreamReader(L)
			if err := r.LoadMessage(argBytes(L, 2, &scratch)); err != nil {
				L.RaiseError("%s", err.Error())
			}
			return 0
		}))
		methods.RawSetString("read_message", L.NewFunction(hsrReadMessage))
		mt.RawSetString("__index", methods)
	}
	return mt
}

func checkStreamReader(L *lua.LState) *StreamReader {
	r, ok := L.CheckUserData(1).Value.(*StreamReader)
	if !ok {
		L.ArgError(1, "stream reader expected")
	}
	return r
}

func hsrReadMessage(L *lua.LState) int {
	r := checkStreamReader(L)
	v, err := ReadMessage(r.View(), L.CheckString(2), L.OptInt(3, 0), L.OptInt(4, 0))
	if err != nil {
		raise(L, 2, err)
	}
	L.Push(v)
	return 1
}

func hsrFindMessage(L *lua.LState) int {
	r := checkStreamReader(L)
	decode := true
	if d := L.Get(3); d != lua.LNil {
		decode = lua.LVAsBool(d)
	}
	var found bool
	var consumed, third int
	switch b := L.Get(2).(type) {
	case lua.LString:
		if err := r.Append(stringBytes(string(b))); err != nil {
			L.RaiseError("%s", err.Error())
		}
		found, consumed, third = r.Find(decode)
	case *lua.LNilType:
		found, consumed, third = r.Find(decode)
	default:
		found, consumed, _ = r.Find(decode)
		if !found {
			third = readFile(L, r, b)
			var c int
			found, c, _ = r.Find(decode)
			consumed += c
		}
	}
	L.Push(lua.LBool(found))
	L.Push(lua.LNumber(consumed))
	L.Push(lua.LNumber(third))
	return 3
}

// readFile reads once from the file f into r and returns the number of
// bytes read.
func readFile(L *lua.LState, r *StreamReader, f lua.LValue) int {
	if ud, ok := f.(*lua.LUserData); ok {
		if rd, ok := ud.Value.(io.Reader); ok {
			n, err := r.Fill(rd)
			if err != nil {
				L.RaiseError("find_message() read failed: %s", err.Error())
			}
			return n
		}
	}
	var read *lua.LFunction
	switch f.(type) {
	case *lua.LUserData, *lua.LTable:
		read, _ = L.GetField(f, "read").(*lua.LFunction)
	}
	if read == nil {
		L.ArgError(2, "buffer must be a nil, string or file")
	}
	free := r.Free()
	if free == 0 {
		return 0
	}
	L.Push(read)
	L.Push(f)
	L.Push(lua.LNumber(free))
	L.Call(2, 2)
	data, msg := L.Get(-2), L.Get(-1)
	L.Pop(2)
	s, ok := data.(lua.LString)
	if !ok {
		if msg != lua.LNil {
			L.RaiseError("find_message() read failed: %s", msg.String())
		}
		return 0 // end of file
	}
	if err := r.Append(stringBytes(string(s))); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return len(s)
}

// raise raises err, from a read_message whose variable is argument n, as a
// Lua error; index errors as bad arguments, as luaL_argcheck would.
func raise(L *lua.LState, n int, err error) {
	switch err {
	case ErrFieldIndex:
		L.ArgError(n+1, err.Error())
	case ErrArrayIndex:
		L.ArgError(n+2, err.Error())
	}
	L.RaiseError("%s", err.Error())
}

// argBytes returns the bytes of argument n, a string or an Outputter
// userdata (whose output goes to *scratch), raising a Lua error for other
// values. The bytes must not be modified.
func argBytes(L *lua.LState, n int, scratch *[]byte) []byte {
	switch x := L.Get(n).(type) {
	case lua.LString:
		return stringBytes(string(x))
	case *lua.LUserData:
		if o, ok := x.Value.(Outputter); ok {
			b, err := o.Output((*scratch)[:0])
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			*scratch = b
			return b
		}
	}
	L.ArgError(n, "string or output-capable userdata expected")
	return nil
}

// stringBytes returns the bytes of s without copying; they must not be
// modified.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
