// Package datetime is the Go module lpeg.date_time (spec §6.2), available
// to every plugin type: the timestamp grammars of lua_sandbox_extensions'
// module of that name, written in Go, and the functions that turn what
// they capture into nanoseconds.
//
//	local dt = require "lpeg.date_time"
//	local t  = dt.rfc3339:match("1999-05-05T23:23:59.217-07:00")
//	-- t = {year="1999", month="05", day="05", hour="23", min="23",
//	--      sec="59", sec_frac=0.217, offset_sign="-", offset_hour=7, offset_min=0}
//	local ns = dt.time_to_ns(t) -- 925971839217000064
//
// # Exported
//
// Grammars, objects with a match method, g:match(subject[, init]) returning
// the time table or nil, as the reference's LPeg patterns do:
//
//   - rfc3339: 1985-04-12T23:20:50.52Z, 1996-12-19T16:39:57-08:00
//   - clf_timestamp: 10/Feb/2014:08:46:36 -0800 (%d/%b/%Y:%H:%M:%S %z)
//   - rfc3164_timestamp: Feb  3 16:46:36 (any run of spaces between the
//     parts; year is the current year, UTC)
//   - mysql_timestamp: 20140210164636
//   - pgsql_timestamp: 2014-02-10 16:46:36
//
// build_strftime_grammar(format) returns such an object for a strftime
// format, with the specifiers of the reference (%a %A %b %B %c %C %d %D %e
// %F %g %G %h %H %I %j %k %l %m %M %n %p %r %R %s %S %t %T %u %U %V %w %W
// %x %X %y %Y %z %Z %%) plus %f, the digits of a fractional second
// (captured as sec_frac: "%S.%f" on "36.124" gives sec_frac 0.124). A
// whitespace character of the format matches exactly one whitespace
// character; other characters match themselves. An unknown specifier
// raises "unknown strftime specifier: X".
//
// time_to_ns(t) converts a time table to nanoseconds since the epoch as
// the reference does: time_t (from %s) wins; otherwise year, month and
// day (required, numbers or numeric strings), hour (default 12), min and
// sec (default 0), sec_frac, a 12-hour period (AM/PM) and the offset
// (offset_sign "+" means east of UTC, subtracted). The arithmetic is the
// reference's, in doubles: (seconds + sec_frac + offset) * 1e9, so results
// round as the reference's do. nil gives 0. seconds_to_ns(s) is
// tonumber(s) * 1e9.
//
// # Time zones
//
// Tables are read as UTC, as the reference reads them when Hindsight runs
// with TZ=UTC (its os.time uses the process's zone; sightline's os.time
// is UTC). Numeric offsets (rfc3339, clf, %z) are applied; %Z knows UTC,
// PST, PDT, MST, MDT, CST, CDT, EST and EDT and reads any other run of up
// to five letters as UTC, as the reference does.
//
// # Differences from the reference
//
// The reference's grammars are LPeg patterns; these are Go objects that
// only match. They cannot be combined with LPeg operators (g * p, g + p,
// g^n, g / f, lpeg.Ct(g), lpeg.match(g, s), ...) since sightline has no
// lpeg module, and the building blocks the reference also exports for
// such composition (date_fullyear, date_month, time_hour, timezone,
// rfc3339_full_date, ...) are not exported. Plugins that only call :match
// and the functions above run unchanged.
//
// time_to_ns does not write the converted hour back into a table that
// has a period, as the reference's does.
package datetime
