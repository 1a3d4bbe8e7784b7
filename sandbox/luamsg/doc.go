// Package luamsg is the Lua face of Heka messages in a plugin sandbox: it
// turns Lua message tables into messages and messages into Lua values, for
// the functions the sandbox core registers (spec:
// shared/spec/hindsight-reference.md §4.2-§4.7).
//
// # What the core binds
//
//	inject_message(tbl), encode_message(tbl)  Encoder.ToMessage, then m.AppendTo
//	inject_payload(type, name, ...)           NewInjectPayloadFunc (or Encoder.PayloadMessage)
//	add_to_payload(...)                       NewAddToPayloadFunc (or Payload.Add)
//	decode_message(pb)                        NewDecodeMessageFunc (or DecodeMessage)
//	read_message(var, fi, ai, zero_copy)      NewReadMessageFunc (or ReadMessage, NewZeroCopy)
//	create_stream_reader(name)                NewCreateStreamReaderFunc
//	inject_message(hsr)                       ud.Value.(*StreamReader).CurrentRaw()
//	io.write etc. of userdata                 ud.Value.(Outputter).Output(dst)
//
// The New*Func constructors return lua.LGFunctions ready for L.SetGlobal;
// the core keeps inject_message and encode_message itself (they need its
// queue, limits and framing) and calls ToMessage from them.
//
// Functions that take a Lua state belong to that state's goroutine; none of
// the types here is safe for concurrent use. Errors carry the text the
// reference shows a plugin ("array has mixed types", "output_limit
// exceeded", ...), without a package prefix: the core raises them as Lua
// errors, prefixed as it sees fit (inject_message's "failed: ").
//
// # Message tables
//
// ToMessage accepts the hash form Fields = {name = value} and the array
// form Fields = {{name=, value=, value_type=, representation=}, ...}; a
// Fields table whose [1] is not nil is in array form. Values: string →
// STRING (BYTES with value_type=1), number → DOUBLE (INTEGER with
// value_type=2, truncated toward zero, saturating, NaN → 0), boolean → BOOL,
// an Outputter userdata → BYTES, an array of one of those, all of one Lua
// type, or an object table {value=, value_type=, representation=}. A field
// without values (an empty array, or no value) is written with its name,
// value_type and representation only. An array whose first element is of
// another type (a table, a function, a userdata that is not an Outputter)
// is refused with the reference's "unsupported array type: <type>".
//
// Hash-form order: the reference writes fields in Lua's next order, which is
// unspecified. Here it is gopher-lua's next order, which is the order in
// which the keys were first set in the table (source order for a
// constructor), so the bytes are deterministic and follow the plugin's
// code. Sorting by name was rejected: it costs a sort and a slice per
// message on the hot path.
//
// inject_payload's message carries payload_type ("txt" by default) and,
// only when the plugin gave a name, payload_name, as the reference's does.
//
// Headers follow the rules of Headers; the table's Logger, Hostname and Pid
// are set in place as the reference does. Beyond the reference, string
// headers also accept Outputter userdata (a zero-copy Payload handle), and
// field arrays may hold them (the reference takes one as a single value
// only).
//
// # read_message and zero copy
//
// ReadMessage reads a message.View without materialising the message;
// "Fields[name]" is parsed without allocating. The variable name and the
// indices are checked before looking for a message, so a bad name is an
// error in timer_event too (the reference may return nil there). "framed"
// is the message in a fresh sightline frame (message.AppendFrame: header
// with message_length and a CRC-32C), which reference readers accept since
// they skip unknown header fields.
//
// NewZeroCopy makes the zero_copy=true handle: a userdata whose Value (an
// Outputter) re-reads its variable from the current message at each use,
// through the getter it was given. tostring(handle) is the value, or nil
// when there is no message or the variable is absent; as an Outputter it
// then writes nothing.
//
// # add_to_payload numbers
//
// An integer in the int32 range is written without decimals, another
// number in that range with up to 8 fractional digits (rounded, trailing
// zeros dropped), other numbers as C's "%.17g": 1 → "1", 0.5 → "0.5",
// 1/3 → "0.33333333", 2^31 → "2147483648", 2^53 → "9007199254740992",
// 1e300 → "1.0000000000000001e+300". The reference leaves the rest to the C
// library; here -0 → "0", NaN → "nan", ±inf → "inf", "-inf" (glibc).
//
// # Stream reader
//
// StreamReader finds frames in its own buffer of at most max_message_size
// + 258 bytes (spec §1.8) rather than through message.Scanner, so that the
// counts find_message returns are exact: consumed counts the frame and the
// damaged bytes skipped before it. Frames with or without sightline's
// CRC-32C are accepted; a CRC that does not match is damage. From Lua,
// find_message reads gopher-lua io.open handles through their read method
// (their Go type is unexported); userdata whose Value is an io.Reader are
// read directly.
package luamsg
