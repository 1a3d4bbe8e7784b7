// Package message reads and writes Heka messages, the protobuf records every
// sightline queue holds, byte-compatible with Hindsight and lua_sandbox
// (spec: shared/spec/hindsight-reference.md §1).
//
// # Schema
//
// heka.proto in this directory is the schema (proto2). Message tags: uuid 1
// (bytes, exactly 16), timestamp 2 (int64 ns), type 3, logger 4, severity 5
// (int32, default 7), payload 6, env_version 7, pid 8 (int32), hostname 9,
// fields 10 (repeated Field). Field tags: name 1 (required), value_type 2
// (STRING=0 BYTES=1 INTEGER=2 DOUBLE=3 BOOL=4, default STRING),
// representation 3, value_string 4, value_bytes 5, value_integer 6,
// value_double 7, value_bool 8 (6-8 packed). Generated Go code for it lives in
// internal/hekapb and is used by tests only, as the yardstick the
// hand-written codec is checked against.
//
// # Three ways in
//
//   - Message is the materialised form: build one (the Set* methods mark
//     optional headers present in Has), encode it with AppendTo, or fill it
//     from bytes with Decode (decode_message, tools, tests).
//   - View is the hot path: Reset validates one raw message and indexes its
//     headers and field records without copying; read_message and the
//     matcher read headers and Fields[name][fi][ai] straight from the bytes.
//     A warm View allocates nothing.
//   - Validate checks a raw message without allocating (the frame scanner's
//     per-record check).
//
// # Canonical encoding
//
// AppendTo writes what lua_sandbox writes (spec §1.5), so messages written
// by sightline are byte-identical to the reference's for the same content:
// headers in tag order (uuid, timestamp, type, logger, severity, payload,
// env_version, pid, hostname), absent ones omitted; then one record per
// Field in slice order: name; value_type unless STRING; representation unless
// ""; then the values: each string or bytes value as its own element, a
// single integer, double or bool unpacked (30 varint, 39 8 bytes LE, 40 byte),
// two or more packed (32, 3a, 42). Negative integers, severities and pids are
// 10-byte two's-complement varints. With capacity in dst, AppendTo does not
// allocate.
//
// # Decoding rules
//
// Decode, View.Reset and Validate accept exactly the same inputs, those the
// reference decoder accepts (spec §1.6):
//
//   - every key is a single byte (tags 1..15); an unknown tag, or a known tag
//     with the wrong wire type, is an error (the generated protobuf code
//     would keep them as unknown fields; the reference rejects them);
//   - uuid must be exactly 16 bytes; uuid and timestamp must be present;
//   - a field record must have a name; its value_type must be 0..4 (the
//     generated code would keep any other number as an unknown field);
//   - integers and bools may be packed or not, doubles fixed64 or packed,
//     in any number of occurrences, and the tags of a field record may come
//     in any order; packed doubles must be a multiple of 8 bytes;
//   - a header that appears more than once keeps its last value; severity and
//     pid are truncated to 32 bits and bool values are true when nonzero, as
//     protobuf does;
//   - varints longer than 10 bytes or above 2^64-1 are errors.
//
// Errors are *DecodeError values carrying the byte offset, the field record
// and the tag, and wrapping one of the Err* sentinels (errors.Is).
//
// # Decisions where the reference leaves room
//
// Representation: Field.Representation "" means absent; a record that carries
// an empty representation decodes to "" and is re-encoded without one.
// View reports presence exactly (FieldView.Representation's ok).
//
// Values under a tag other than the record's value_type (for example a
// value_integer in a STRING field, which lua_sandbox never writes but
// protobuf allows) are accepted. Decode keeps them in the matching slice of
// Field and AppendTo writes every non-empty slice, in tag order, so a message
// passes through Decode and AppendTo without losing anything. View, like
// lua_sandbox's read_message, sees only the values of the declared type:
// FieldView.Len counts them and the accessors return them.
//
// Absent headers: Message.Has and View.Has tell absent from empty. An absent
// Severity reads as DefaultSeverity (7), an absent Pid as 0, absent string
// headers as "" (Message) or nil (View).
//
// # UUIDs and timestamps
//
// NewUUID makes random version-4 UUIDs without locks or system calls;
// FormatUUID, AppendUUID and ParseUUID convert the 36-character text form.
// FormatTimestamp prints nanoseconds as the reference's tools do,
// 2014-02-10T16:46:41.000000000Z.
//
// # Frames
//
// On a stream or queue file every message is one frame (spec §1.4):
//
//	1e hlen <header, hlen bytes> 1f <message>
//
// The header is a protobuf Header: 08 varint(message_length) first, then, in
// frames sightline writes, 3d and the CRC-32C (Castagnoli) of the message
// bytes, little-endian (field 7, fixed32). AppendFrame writes that; the
// overhead is 9 bytes plus the length varint. Reference readers read
// message_length and skip the rest of the header, so they read our files;
// header field 8 is reserved for carrying an input checkpoint later.
//
// Scanner finds frames as the reference does (§1.8): it searches for 1e,
// checks that 1f ends the header, that the header parses with a length in
// 1..HardCap (64 MiB, fixed: the max_message_size in force when a record was
// written is unknown to a reader), then checks the CRC when present, or
// calls ScanOptions.Validate when not (reference frames). A frame that fails
// any check costs one byte and the search goes on, so garbage, a torn record
// or a false 1e inside a payload costs only the bytes up to the next valid
// frame; each skipped region is reported once through OnDamage with its
// offset, length and reason. A frame within HardCap but over MaxMessageSize
// with a valid CRC is delivered and flagged (Oversize), never dropped. A
// Scanner follows a growing stream: an incomplete frame at the end waits for
// more bytes until Finish says the stream is over, then it is damage.
package message
