// Package luapattern is a compiled Lua 5.1 pattern engine: compile once,
// match many times, under a step budget, without allocating.
//
// The message matcher's =~ and !~ and the sandbox's string.find, match,
// gmatch and gsub run on it instead of gopher-lua's matcher, which re-parses
// the pattern on every call, cannot be bounded, and departs from Lua 5.1 in
// places (gopher_test.go lists where).
//
// # Semantics
//
// Patterns mean exactly what they mean to Lua 5.1.5's lstrlib.c, checked
// against the real interpreter (testdata/lua51.golden): the classes %a %c
// %d %l %p %s %u %w %x %z and their upper-case complements under the C
// locale (bytes >= 0x80 are in no class but their complements), '.', sets
// with ranges and classes, '%' before any other character for itself, the
// quantifiers * + - ? on single-character items, '^' at the start, '$' at
// the end, up to MaxCaptures captures and position captures, %1..%9, %bxy
// and the undocumented %f[set]. Corners kept from the C code:
//
//   - A NUL byte ends the pattern; write %z for NUL. string.find decides
//     whether a pattern is plain text by looking up to the first NUL, and
//     then searches for all of it.
//   - string.find searches for a pattern with none of ^$*+?.([%- as plain
//     text, without parsing it: "a)" finds "a)".
//   - string.gmatch reads a leading '^' as an ordinary character; after an
//     empty match the next search starts one byte further on.
//   - string.gsub tries each position once: after a non-empty match it goes
//     on where the match ended, otherwise it copies one byte and moves on,
//     including an attempt at the very end. n <= 0 replaces nothing.
//   - In a gsub replacement string "%x" for a non-digit x is x, and a final
//     '%' appends a NUL byte.
//
// One deliberate difference: every fault Lua raises while matching
// (malformed sets, bad capture indexes, unfinished captures, ...) is found
// by Compile, even where Lua raises it only when a match gets to the faulty
// item and otherwise returns nil. The messages are Lua's (LuaMessage).
//
// # Offsets
//
// Every position this package takes or returns is a 0-based byte offset;
// a match or capture is the half-open range [Start, End). The sandbox
// converts: Lua's init argument through StartOffset, a match to Lua's
// indices as Start+1 and End, a position capture to the number Start+1.
//
// # Execution
//
// Compile turns the pattern into a flat list of instructions, once. The
// pattern language has no alternation, so a match is one walk along that
// list, each instruction run at most once on any path; the quantified
// items are the only choice points. The matcher keeps them on an explicit
// stack whose depth is at most the number of quantified items, known at
// Compile, instead of recursing as Lua's C code does: a megabyte subject
// cannot overflow anything. The stack lives in an array on the Go stack
// (or a pooled slice for patterns with many quantified items) and captures
// go straight into the caller's Match, so a call allocates nothing, hit or
// miss. Plain patterns are searched with strings.Index and compile to
// nothing; a literal prefix or the set of possible first bytes skips
// hopeless start positions, and a quantified item followed by a single
// character tries only the positions where that character can match. A
// compiled pattern takes about 32 bytes per item, plus 32 per distinct
// bracket set.
//
// # Step budget
//
// Lua patterns backtrack, and some take exponential time ("a-a-a-a-b" on a
// long run of a's). Every call draws on a Budget: one step per subject byte
// an item examines and per return to a choice point, summed over every
// start position the call tries. A call that runs out stops with
// ErrStepBudget. One Budget may be shared by many calls (a whole gsub, a
// plugin's whole process_message); a nil *Budget gives each call
// DefaultSteps.
//
// # Concurrency
//
// A *Pattern is immutable and safe for concurrent use. A Match, an Iter and
// a Budget belong to one goroutine at a time.
package luapattern
