package queue

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by a Writer or Reader used after Close.
	ErrClosed = errors.New("queue: closed")
	// ErrLocked means another writer (in this or another process) has the
	// queue open.
	ErrLocked = errors.New("queue: locked by another writer")
	// ErrWriteFailed wraps the first write, fsync or close failure of a
	// Writer; the Writer refuses every later Append with it.
	ErrWriteFailed = errors.New("queue: write failed")
	// ErrEmpty is returned by Append for a zero-length message, which no
	// reader could tell from damage.
	ErrEmpty = errors.New("queue: empty message")
)

// SizeError is returned by Append for a message longer than the writer's
// MaxMessageSize.
type SizeError struct {
	Size, Max int
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("queue: message of %d bytes exceeds max_message_size %d", e.Size, e.Max)
}

// CorruptionError reports a damaged region of a segment that a Reader
// skipped, or a record it could not use.
type CorruptionError struct {
	Segment uint64 // segment id
	Offset  int64  // offset of the first damaged byte
	Length  int64  // bytes skipped
	Err     error
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("queue: segment %d offset %d: %d bytes skipped: %v", e.Segment, e.Offset, e.Length, e.Err)
}

func (e *CorruptionError) Unwrap() error { return e.Err }
