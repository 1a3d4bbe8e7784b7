package migrate

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrMalformed means a line of hindsight.cp is not an assignment the
	// reference writes, or its value has the wrong form for its key.
	ErrMalformed = errors.New("migrate: malformed line")

	// ErrUnescapedQuote means a single-quoted string in hindsight.cp holds
	// an unescaped "'": the reference does not escape it in input
	// checkpoints, so the line cannot be read back (not by Hindsight
	// either).
	ErrUnescapedQuote = errors.New("migrate: unescaped ' in a single-quoted string")

	// ErrUnknownKey means hindsight.cp assigns a key the reference never
	// writes.
	ErrUnknownKey = errors.New("migrate: unknown key")

	// ErrDuplicateKey means hindsight.cp assigns a key twice.
	ErrDuplicateKey = errors.New("migrate: key assigned twice")

	// ErrHindsightRunning means hindsight.cp was replaced while Import
	// looked at it: Hindsight still runs on this output_path.
	ErrHindsightRunning = errors.New("migrate: hindsight.cp is being rewritten: is Hindsight still running on this output_path? Stop it first")

	// ErrInterrupted means an interrupted import cannot be completed: its
	// marker is there but the hindsight.cp it came from is not.
	ErrInterrupted = errors.New("migrate: interrupted import cannot be completed")

	// ErrTooLarge means hindsight.cp is larger than maxFileSize.
	ErrTooLarge = errors.New("migrate: file too large")
)

// LineError reports a line of a file that cannot be imported: which file,
// which line (1-based) and why.
type LineError struct {
	File string // path of the file
	Line int    // 1-based line number
	Err  error  // what is wrong, wrapping one of the sentinels
}

// Error formats the error as "migrate: <file>:<line>: <reason>".
func (e *LineError) Error() string {
	return fmt.Sprintf("migrate: %s:%d: %s", e.File, e.Line, strings.TrimPrefix(e.Err.Error(), "migrate: "))
}

// Unwrap returns the reason, so errors.Is(err, ErrUnescapedQuote) works
// through a *LineError.
func (e *LineError) Unwrap() error { return e.Err }
