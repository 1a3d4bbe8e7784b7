package luapattern

import (
	"errors"
	"fmt"
	"strings"
)

// Errors reported by this package. The text after the "luapattern: " prefix
// of each pattern error is the message Lua 5.1 raises for the same fault;
// LuaMessage returns it.
var (
	// ErrEndsWithPercent reports a pattern whose last character is a lone '%'.
	ErrEndsWithPercent = errors.New("luapattern: malformed pattern (ends with '%')")
	// ErrMissingBracket reports a '[' set that is never closed by ']'.
	ErrMissingBracket = errors.New("luapattern: malformed pattern (missing ']')")
	// ErrInvalidCaptureIndex reports a back-reference (%0..%9) to a capture
	// that does not exist or is still open at that point of the pattern, or a
	// replacement string that names a capture the pattern does not have.
	ErrInvalidCaptureIndex = errors.New("luapattern: invalid capture index")
	// ErrInvalidPatternCapture reports a ')' with no open capture to close.
	ErrInvalidPatternCapture = errors.New("luapattern: invalid pattern capture")
	// ErrUnfinishedCapture reports a '(' that is never closed.
	ErrUnfinishedCapture = errors.New("luapattern: unfinished capture")
	// ErrMissingFrontierBracket reports a %f not followed by a '[' set.
	ErrMissingFrontierBracket = errors.New("luapattern: missing '[' after '%f' in pattern")
	// ErrTooManyCaptures reports a pattern with more than MaxCaptures captures.
	ErrTooManyCaptures = errors.New("luapattern: too many captures")
	// ErrUnbalancedPattern reports a %b without its two delimiter characters.
	ErrUnbalancedPattern = errors.New("luapattern: unbalanced pattern")
	// ErrStepBudget reports a call that ran out of its step budget before it
	// could decide whether the subject matches. Lua has no such error; the
	// sandbox raises it as a Lua error so runaway backtracking ends.
	ErrStepBudget = errors.New("luapattern: step budget exceeded")
)

const errPrefix = "luapattern: "

// SyntaxError is a fault in the pattern text found by Compile. It wraps one
// of the pattern sentinels above, so errors.Is(err, ErrMissingBracket) works.
type SyntaxError struct {
	Pattern string // the pattern as given to Compile
	Offset  int    // byte offset in Pattern of the item at fault
	Err     error  // the sentinel
}

// Error returns the sentinel's message with the offset and the pattern.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at offset %d in pattern %q", e.Err.Error(), e.Offset, e.Pattern)
}

// Unwrap returns the sentinel.
func (e *SyntaxError) Unwrap() error { return e.Err }

// LuaMessage returns the message Lua 5.1 raises for err: for errors of this
// package the sentinel's text without the "luapattern: " prefix and without
// position, for any other error its Error text.
func LuaMessage(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		err = se.Err
	}
	return strings.TrimPrefix(err.Error(), errPrefix)
}
