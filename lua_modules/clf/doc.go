// Package clf is the Go implementation of the reference's
// lpeg.common_log_format module (lua_sandbox_extensions; spec
// shared/spec/hindsight-reference.md §6.1, §6.4) and of the nginx decoder
// modules built on it. Importing it registers, with the sandbox:
//
//   - lpeg.common_log_format (every plugin type): build_nginx_grammar(fmt),
//     build_apache_grammar(fmt), nginx_error_grammar and
//     normalize_user_agent(ua);
//   - decoders.nginx.access and decoders.nginx.error (input and output
//     plugins): decode(data, default_headers, mutable), configured by the
//     table decoders_nginx_access = {log_format=, user_agent_transform=,
//     user_agent_keep=, user_agent_conditional=, payload_keep=};
//
// and, with package decoder, the same two decoders in Go
// (AccessDecoder, ErrorDecoder) for inputs that read lines in Go: they
// fill a message.Message without Lua and without allocating, and give
// the same message as the Lua decode function (the tests encode both and
// compare the bytes).
//
// # Grammars
//
// The reference builds an LPeg pattern from a log format. Here a format
// compiles once into a Grammar: a list of operations (literal text, a run
// of white space, one scanner per variable) run left to right over the
// line, with no backtracking. That is what the reference's pattern does:
// LPeg's ordered choice commits to the first alternative that matches and
// its repetitions never give back, so a line matches here exactly when it
// matches there, with the same captures:
//
//   - white space in the format matches one or more white-space characters;
//   - a variable without a grammar of its own captures a string up to the
//     last character of the literal text before it in the format (or up to
//     white space); after a '"', \" does not end it (and stays in it);
//   - typed variables (remote_addr, status, body_bytes_sent, time_local,
//     upstream_*, ...) capture numbers, {value=, representation=} tables
//     and lists as the reference's grammars do; $time_local, $time_iso8601
//     and $msec are captured as time, in nanoseconds;
//   - a match is a match of the line's prefix: what follows the format's
//     last item is ignored.
//
// All numbers are Lua numbers (float64), computed as the reference's
// tonumber and date arithmetic compute them, so a captured number encodes
// as a DOUBLE field. The capture table's keys are set in the order of the
// format's variables (the first capture of a name fixes its place), so a
// message built from it has its fields in that order.
//
// # Differences from the reference
//
//   - A grammar is a userdata whose only method is :match(subject[, init]);
//     LPeg's operators (*, +, -, ^, /, lpeg.match) do not apply to it.
//   - Time zones: the reference's date module requires TZ=UTC; here dates
//     are always computed in UTC.
//   - %y (two-digit year) takes the century of the year the process
//     started in, as the reference does when its module loads.
//   - An Apache literal with a backslash that is no escape (\q) is refused
//     with "invalid escape sequence" (the reference fails inside
//     string.char).
//   - The Go decoders leave Timestamp 0 (the current time when injected)
//     when the format has no time variable, as the Lua decode leaves it
//     nil; a line dated exactly at the epoch is thus taken as now.
package clf
