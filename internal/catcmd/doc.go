// Package catcmd is `sightline cat`, the counterpart of the reference's
// lsb_heka_cat (spec: shared/spec/hindsight-reference.md §7.3, with the
// corruption reports of Go heka-cat, §7.4): it prints, counts, filters or
// re-frames the Heka messages of a queue segment, a queue directory or a
// stream on stdin.
//
//	sightline cat [-count] [-match EXPR] [-format text|json|heka] [-f]
//	              [-offset N|SEG:OFF] [-n N] FILE|DIR|-
//
// Flags may come before or after the input.
//
// # Inputs
//
// FILE is any file of frames (a segment "<id>.log" of our queues or of a
// Hindsight output_path, a stream written by any Heka tool). DIR is a queue
// directory: its "<id>.log" segments are read in id order through
// queue.Reader, which follows from one segment to the next and jumps over a
// missing one (reported). "-" reads frames from stdin until EOF.
//
// Frames with our CRC-32C are checked against it; frames without one (the
// reference's) are validated as the reference's decoder would. A region
// holding no valid frame is skipped to the next valid frame (§1.8) and
// reported on stderr:
//
//	Corruption detected at offset: 1234 bytes: 56 reason: checksum mismatch
//
// In a directory offsets are positions, "<segment>:<offset>". A record
// whose frame is intact (CRC matches) but whose message does not decode is
// reported as
//
//	Error unmarshalling message at offset: 1234 error: message: ...
//
// and bytes at the end of the input that hold no complete record (a torn
// tail, or a record still being written) are reported as corruption when
// the input ends, that is, not while -f waits for them to complete.
//
// # Flags
//
//   - -format text (default): lsb_heka_cat's text form, byte for byte (see
//     below).
//   - -format json: one JSON object per line (see below).
//   - -format heka: the matching messages re-framed as sightline writes
//     them (message.AppendFrame, with CRC), so `sightline cat -format heka
//     IN | sightline cat -` reads them again, and so do the reference's
//     tools, which skip the CRC.
//   - -count: print only the summary, on stdout (as lsb_heka_cat -c).
//   - -match EXPR: print only messages the message matcher EXPR (package
//     message/matcher) matches; default TRUE. Unlike lsb_heka_cat the
//     argument is not Lua-unescaped first: the matcher's own string escapes
//     apply.
//   - -offset N: start at byte N of FILE (or of stdin, whose first N bytes
//     are skipped), resynchronising from there; for a DIR, SEG:OFF starts at
//     offset OFF of segment SEG, and a plain N at offset N of the oldest
//     segment.
//   - -f: follow. At the end of the input wait for more (polling a file,
//     following the writer from segment to segment in a directory) until
//     interrupted (SIGINT or SIGTERM with Run, the context with RunContext);
//     then print the summary and exit 0. Ignored for stdin, which ends at
//     EOF.
//   - -n N: start at the N-th last message (all messages, not only matching
//     ones). Found by a first pass over the input that counts valid frames,
//     so it is exact, unlike the reference's backwards header search; not
//     for stdin, and not with -offset.
//
// At the end "Processed: N, matched: M messages" goes to stderr (stdout
// with -count): N counts valid messages read, M those the matcher matched.
// It is not printed when the input could not be opened.
//
// # Text format
//
// Exactly lsb_heka_cat's (§1.7): one line per header, ":Uuid: " canonical
// UUID, ":Timestamp: " with nine fractional digits and Z, "<nil>" for an
// absent Type, Logger, Payload, EnvVersion, Pid or Hostname, the Severity
// always (7 when absent); then ":Fields:" and one line per field record in
// message order, indented by four spaces:
//
//	| name: status type: 3 representation: <nil> value: 304
//
// the values of an array joined by "|": integers in decimal, doubles as C's
// %.17g (inf, -inf, nan, -nan as glibc prints them), bools true or false,
// BYTES with printable ASCII as is, "\" as "\\" and every other byte as
// \xNN. Strings, names and representations end at their first NUL byte, as
// C's printf ends them; BYTES print whole. A blank line follows each message.
//
// One deliberate difference: the reference computes the fractional second
// in double-precision arithmetic, so it prints a rounded fraction for a
// timestamp that is not a multiple of the double spacing near it (256 ns
// today); cat prints the exact nanoseconds. Timestamps made by Lua (a
// double) print identically.
//
// # JSON format
//
// One object per message and line (not the reference's -j, which prints
// only some values and repeats keys):
//
//	{"Uuid":"0c1e9271-6b7c-451e-aa05-63cdaf14cf10","Timestamp":1392050801000000000,
//	 "Type":"nginx","Logger":"input.nginx","Severity":6,"Pid":1234,
//	 "Hostname":"example.com","Fields":[
//	  {"name":"status","value_type":3,"value":[304]},
//	  {"name":"remote_addr","value_type":0,"representation":"ipv4","value":["127.0.0.1"]}]}
//
// Headers are keyed by name; absent ones are left out, except Severity,
// always present (7 when absent). Timestamp is an integer of nanoseconds.
// Fields is an array in message order, so duplicate names survive; each
// has name, value_type (0 STRING, 1 BYTES, 2 INTEGER, 3 DOUBLE, 4 BOOL),
// representation when present, and value, an array of the values of the
// declared type: strings as JSON strings (whole, NULs as \u0000; bytes that
// are not UTF-8 become U+FFFD), BYTES base64 (standard, padded), integers
// and doubles as numbers (doubles in the shortest form that reads back
// exactly; NaN and infinities, which JSON lacks, as the strings "NaN",
// "Infinity", "-Infinity"), bools as true or false.
//
// # Exit codes
//
//   - 0: done, including when damage was skipped or -f was interrupted;
//   - 1: bad arguments or a matcher that does not compile;
//   - 2: the input cannot be opened or read;
//   - 3: the output cannot be written.
package catcmd
