package matcher

import (
	"errors"
	"fmt"
)

// ErrStepBudget is returned by MatchErr when the patterns of one evaluation
// ran out of their step budget before the matcher could decide; Match and
// MatchErr then report no match.
var ErrStepBudget = errors.New("matcher: pattern step budget exceeded")

// SyntaxError reports an expression Compile rejects, with the byte offset
// (0-based) in Expr where the problem was found.
type SyntaxError struct {
	Expr   string // the expression given to Compile
	Offset int    // byte offset in Expr
	Msg    string // what is wrong there
}

// Error returns "matcher: offset N: <Msg>".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("matcher: offset %d: %s", e.Offset, e.Msg)
}
