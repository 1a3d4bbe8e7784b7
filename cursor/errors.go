package cursor

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrClosed is returned by Store methods called after Close.
	ErrClosed = errors.New("cursor: store closed")

	// ErrCheckpointTooLarge means a string checkpoint is longer than
	// MaxCheckpointSize bytes.
	ErrCheckpointTooLarge = errors.New("cursor: checkpoint too large")

	// ErrInvalidCheckpoint means a Checkpoint has a Kind this package does
	// not know.
	ErrInvalidCheckpoint = errors.New("cursor: invalid checkpoint kind")

	// ErrInvalidKey means a Key has a type other than input, analysis or
	// output, or a name that cannot be part of a file name.
	ErrInvalidKey = errors.New("cursor: invalid plugin key")

	// ErrInvalidPosition means a queue position has a negative offset.
	ErrInvalidPosition = errors.New("cursor: invalid position")

	// ErrInvalidQueue means a queue name is empty, too long or holds a byte
	// outside [A-Za-z0-9_.-].
	ErrInvalidQueue = errors.New("cursor: invalid queue name")

	// ErrUnknownQueue means a Dep names a queue the Store has no writer
	// for, so it could never know when the dependency is durable.
	ErrUnknownQueue = errors.New("cursor: no writer for queue")

	// ErrVersion means a cursor file was written in a format version this
	// package cannot read. It is always wrapped in a *CorruptError.
	ErrVersion = errors.New("cursor: unsupported version")
)

// CorruptError reports a cursor file that cannot be parsed: which file,
// which line (1-based) and why. A corrupt cursor is never replaced by a
// default position: the caller decides, with the file name in hand.
type CorruptError struct {
	File string // path of the cursor file
	Line int    // 1-based line number of the damage
	Err  error  // what is wrong with the line
}

// Error formats the error as "cursor: <file>:<line>: <reason>".
func (e *CorruptError) Error() string {
	return fmt.Sprintf("cursor: %s:%d: %s", e.File, e.Line, strings.TrimPrefix(e.Err.Error(), "cursor: "))
}

// Unwrap returns the underlying reason, so errors.Is(err, ErrVersion)
// works through a *CorruptError.
func (e *CorruptError) Unwrap() error { return e.Err }
