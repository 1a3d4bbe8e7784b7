// Package matcher compiles and evaluates message matcher expressions, the
// language Hindsight's message_matcher settings are written in (spec:
// shared/spec/hindsight-reference.md §5). Analysis and output plugins are
// handed a message only when their matcher matches it, so Match runs once
// per plugin per message: it reads the raw message through a
// message.View, stops as soon as the result is known, and allocates
// nothing.
//
//	m, err := matcher.Compile(`Type == "nginx.access" && Fields[status] >= 500`)
//	...
//	if m.Match(&view) { ... }
//
// Compile returns a *Matcher, immutable and safe for concurrent use, or a
// *SyntaxError giving the byte offset of the problem:
//
//	matcher: offset 8: unterminated string (no closing ')
//
// # Grammar
//
//	match   := sp ored EOF
//	ored    := anded ("||" anded)*           && binds tighter than ||
//	anded   := expr ("&&" expr)*
//	expr    := test | "(" ored ")"
//	test    := "TRUE" | "FALSE"
//	         | "Uuid" (relop string | strmatch)
//	         | strhdr (relop string | strmatch | eqne "NIL")
//	         | "Severity" relop number
//	         | "Pid" (relop number | eqne "NIL")
//	         | "Timestamp" relop (number | rfc3339)
//	         | "Fields[" name "]" ("[" idx "]" ("[" idx "]")?)?
//	               (relop (string | number) | strmatch | eqne ("TRUE" | "FALSE" | "NIL"))
//	strhdr  := "Type" | "Logger" | "Hostname" | "EnvVersion" | "Payload"
//	relop   := "==" | "!=" | ">=" | ">" | "<=" | "<"        eqne := "==" | "!="
//	strmatch:= ("=~" | "!~") string "%"?
//	string  := '"' ... '"' | "'" ... "'"    \" \' \\ are escapes; other \ are kept
//	number  := [-+]? ("0" | [1-9][0-9]*) ("." [0-9]+)? ([eE] [-+]? [0-9]+)?
//	name    := any bytes but "]" (may be empty)    idx := 0..255, no leading zeros
//	rfc3339 := quoted YYYY-MM-DD "T" hh:mm:ss ("." digits)? ("Z" | [+-]hh:mm | [+-]hhmm)
//
// Whitespace (space, tab, CR, LF) may separate any two tokens, so
// expressions may span lines; none may appear inside Fields[name][i][j]
// (the name keeps its spaces) or between a string and its '%'. Variables
// go on the left of the operator and values on the right.
//
// Limits: at most MaxOperators (127) && and || operators, so at most 128
// tests; string literals of at most MaxStringLen (255) bytes after
// unescaping; indices 0..MaxIndex (255); no NUL byte anywhere.
// Parentheses may nest to any depth: the parser keeps its own stacks.
//
// # Semantics
//
// Fields[x] is Fields[x][0][0] and Fields[x][i] is Fields[x][i][0]: the
// array value ai of the fi-th field named x.
//
// Strings compare bytewise, a prefix before the longer string. Numbers
// compare as doubles: Severity, Pid, and INTEGER fields converted to
// float64 (so integers beyond 2^53 compare as the reference compares
// them). Timestamp is the exception, below.
//
// Each variable compares with the values of its type; the compiler rejects
// the others (Pid == "1", Type == 1, Severity =~ "x"). A field's type is
// known only per message: a string literal compares with STRING and BYTES
// values, a number with INTEGER and DOUBLE ones, and TRUE and FALSE with
// BOOL values and with numbers as 1 and 0 (so Fields[n] == TRUE holds when
// n is 1, and Fields[n] != FALSE when it is not 0). Any other pairing is
// false, whatever the operator.
//
// NIL tests presence: X == NIL holds when X is absent, X != NIL when it is
// present. A field value is present when the message has a fi-th field
// named x with more than ai values of its declared type. Uuid, Severity
// (7 when absent, as the schema says) and Timestamp are always present
// and reject NIL at compile time.
//
// Absent values in other comparisons follow the reference:
//
//   - An absent string header (Type, Logger, Hostname, EnvVersion, Payload)
//     or an absent Pid sorts below every value: ==, >, >= and =~ are false;
//     !=, <, <= and !~ are true. In particular X !~ pattern holds for an
//     absent header whatever the pattern, and an absent header is not the
//     empty string (Type == "" is false).
//   - An absent field value, like one of the wrong type, makes every
//     comparison false, != and !~ included: Fields[level] != "debug" means
//     "level is present, a string, and not debug". Write
//     Fields[level] == NIL || Fields[level] != "debug" for the other
//     reading.
//
// =~ and !~ search the value for a Lua 5.1 pattern (package luapattern),
// anywhere unless the pattern starts with '^'; captures have no effect on
// the result. A string followed directly by '%' ("web-1"%), or containing
// none of ^ $ * + ? . [ % -, is plain text and searched for as is: with
// the % modifier "foo.example.com"% matches only a literal dot, and
// "web-1"% avoids reading "b-" as a lazy repetition. A pattern that does
// not compile is a compile-time error at its offset.
//
// # Decisions where the reference leaves room or errs
//
// Uuid compares its canonical text form, 36 lower-case characters
// (0c1e9271-6b7c-451e-aa05-63cdaf14cf10), against the literal, and =~
// searches that text. A literal that parses as a UUID in either case is
// lower-cased first, so Uuid == "0C1E9271-6B7C-..." works too. (The
// reference compares the 16 raw bytes, which a literal without byte
// escapes cannot spell.)
//
// Timestamp literals are an integer or decimal number of nanoseconds since
// the epoch, or a quoted RFC 3339 time. The offset is applied with its
// sign, in either form: 2014-02-10T08:46:41-08:00, 2014-02-10T08:46:41-0800
// and 2014-02-10T16:46:41Z are the same instant, and
// 2014-02-11T08:46:41+08:00 is 2014-02-11T00:46:41Z. (The reference adds
// the offset's magnitude whatever its sign and rejects ±hh:mm.) 'T' and
// 'Z' may be lower case, as RFC 3339 allows; a second of 60 is the first
// second of the next minute. The comparison is exact: the literal is not
// rounded to a double, nor the timestamp, so Timestamp == 1392050801000000001
// does not match ...000 as it would on doubles (256 ns apart at today's
// timestamps), and a fraction finer than a nanosecond, or a value beyond
// the int64 range, compares as the exact number it is.
//
// Lua patterns keep their Lua 5.1 meaning, '(' and ')' as captures
// included; the reference's matcher takes parentheses in a pattern as
// literal characters. Plain text searches (above) are the same in both.
//
// # Pattern step budget
//
// Lua patterns backtrack, and a few take exponential time. The patterns
// of one evaluation share a budget of Options.Steps steps (DefaultSteps,
// 1,000,000, when zero; luapattern.Budget defines a step). That is enough
// for linear patterns over payloads of several hundred kilobytes and caps
// a runaway pattern at about 1.5 ms per message on a current server core.
// An evaluation that runs out stops at once and reports no match; Match
// counts it in BudgetExceeded and MatchErr also returns ErrStepBudget, so
// the plugin runner can log the matcher.
//
// # Canonical form
//
// String returns the expression with canonical spacing, quoting and
// parentheses, which compiles to an equivalent matcher; Expr returns it as
// written.
package matcher
