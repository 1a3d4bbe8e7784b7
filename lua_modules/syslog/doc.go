// Package syslog is sightline's syslog support: the Go module lpeg.syslog
// (rsyslog-template grammars, every plugin type), the decoder
// decoders.syslog (a Lua module for input and output plugins, and a Go
// decoder registered with package decoder under the same name, which give
// the same messages), and the Go module sightline.syslog behind the input
// plugin syslog.lua, a UDP/TCP syslog listener.
//
// # lpeg.syslog
//
// build_rsyslog_grammar(template) compiles an rsyslog template (spec
// §6.2; the properties of lua_sandbox_extensions' module: msg, rawmsg,
// hostname, source, fromhost, fromhost-ip, syslogtag, programname, pri,
// pri-text, iut, syslogfacility[-text], syslogseverity[-text],
// syslogpriority[-text], timegenerated, timereported, timestamp (with
// :::date-rfc3164, date-rfc3339, date-mysql, date-pgsql,
// date-unixtimestamp, date-subseconds), protocol-version,
// structured-data, app-name, procid, msgid, inputname, $bom, $now, $year,
// $month, $day, $hour, $hhour, $qhour, $minute) into an object whose
// match(subject[, init]) returns the reference's capture table or nil.
// The template's rules are the reference's: a whitespace character matches
// one whitespace character; literal text (with \t \n \r \" \' \\ \% \a \b
// \f \v and \ddd escapes) matches itself; %msg% takes everything up to the
// last character of the literal before it (a line feed when a property
// precedes it); %x:::sp-if-no-1st-sp% matches one or more spaces; the
// :from:to substring of a property is read and ignored; property names
// are case-insensitive; timereported is captured as timestamp; times are
// nanoseconds (lpeg.date_time's time_to_ns); pri is {facility, severity},
// syslogtag {programname, pid}; ordered choices behave as LPeg's (the
// facility name "authpriv" matches "auth" first and then fails, as in the
// reference). Matching is anchored at init and need not reach the end of
// the subject. An unknown property raises "invalid rsyslog property: 'x'".
//
// The module also exports the reference's severity, facility, integer,
// float, notspace and commonmac patterns (objects with match), and adds
// templates (rsyslog's built-in templates by name, plus "RFC5424":
// RSYSLOG_SyslogProtocol23Format without its trailing line feed),
// rfc3164_grammar (RSYSLOG_TraditionalForwardFormat) and rfc5424_grammar.
//
// # decoders.syslog
//
// decode(data, default_headers, mutable) as the reference's (spec §6.4):
// config table decoders_syslog = {template, sub_decoders, payload_keep
// (keep_data is read too)}; the default template is
// RSYSLOG_TraditionalForwardFormat. It sets Severity from PRI (or the
// syslogseverity/priority properties), Fields.syslogfacility,
// Fields.programname and Pid from the tag, Timestamp, Hostname (hostname
// or source), and Payload = msg, or hands msg to the sub-decoder of the
// programname ("*" for any other) with the message so far; other captures
// become fields, in template order. Errors read "decoders.syslog parse
// failed" and "decoders.syslog.<programname> <sub-decoder error>".
//
// The Go decoder (Decoder, used by inputs that read records in Go) takes
// the same config; its sub-decoders must be Go decoders (package decoder),
// such as decoders.nginx.access: grammar modules and printf entries need
// the Lua module.
//
// # sightline.syslog and syslog.lua
//
// listen{address, port, protocol, max_connections, send_decode_failures,
// default_headers, decoder_module, batch_idle} opens the sockets at load
// (a bad key or a port in use fails the plugin's start with the key
// named) and returns a listener; listener:run(), called from
// process_message, injects until the plugin is stopped. Sockets are read
// on goroutines (one for UDP, one per TCP connection, one accepting);
// records reach the plugin's goroutine through a bounded queue (256
// records: a slow queue blocks the readers, so TCP senders are slowed by
// TCP's flow control and UDP datagrams wait in the kernel's buffer) and
// are decoded and injected there in batches of up to 128, each batch in
// one protected call: a message the sandbox refuses is logged and
// skipped, the others go on. TCP records are framed by octet counting
// ("<len> <record>") or ended by a line feed (RFC 6587), chosen per
// record. A record longer than max_message_size is logged, counted,
// reported as error.decode when send_decode_failures is set, and skipped
// (on TCP the stream stays in step: an octet-counted record is skipped by
// its count, a line up to its line feed). One trailing line feed (and a
// carriage return before it) is removed from every record. is_running()
// is asked every 50 ms, so a stop ends run within about that; the sockets
// are closed, and what was read is injected before run returns. Under run
// -once (sandbox.BatchMode) run returns after batch_idle seconds without
// a record. Every message gets Fields sender_ip and sender_port
// (integer), as the reference's udp.lua gives them.
//
// # Differences from the reference
//
//   - The grammars are Go objects that only match: they cannot be combined
//     with LPeg operators. capture_until and capture_followed_by, which
//     only build LPeg patterns, are not provided.
//   - %STRUCTURED-DATA% matches several SD elements (the reference: one);
//     with several, id is an array of the elements' ids. decoders.syslog
//     turns the table into fields: sd_id (a string, or an array of
//     strings) and each _param (the reference leaves a table its encoder
//     cannot write, so no message with structured data is ever injected).
//   - date-unixtimestamp captures seconds as nanoseconds and
//     date-subseconds the number, as intended (the reference raises an
//     error for both). fromhost-ip accepts what net/netip parses as IPv6
//     where the reference uses its own grammar.
//   - A PRI without digits raises an error from match, as the reference
//     does; the Go decoder returns it as the decode error.
//   - The timestamp of an RFC 3164 record is in the current year, UTC, as
//     the reference takes it (no rollover at New Year).
//   - sub_decoders entries that are printf specifications (tables) are
//     refused: sightline has no lpeg.printf.
package syslog
