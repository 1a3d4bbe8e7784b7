package luamsg

import "errors"

// Errors returned by this package. Their text is what the reference shows a
// Lua plugin (the sandbox core raises err.Error() as the Lua error), so,
// unlike other sightline packages, they carry no "luamsg:" prefix.
var (
	// ErrTooShort is returned by DecodeMessage for input shorter than 20
	// bytes, the smallest valid message (uuid and timestamp).
	ErrTooShort = errors.New("invalid message, too short")
	// ErrInvalidMessage wraps the message.DecodeError of bytes that are not
	// a valid Heka message.
	ErrInvalidMessage = errors.New("invalid message")
	// ErrMixedTypes means a field array whose elements are not all of one
	// Lua type.
	ErrMixedTypes = errors.New("array has mixed types")
	// ErrOutputLimit means an append to a Payload would exceed its limit
	// (the plugin's output_limit).
	ErrOutputLimit = errors.New("output_limit exceeded")
	// ErrFieldIndex means a negative field index given to read_message.
	ErrFieldIndex = errors.New("field index must be >= 0")
	// ErrArrayIndex means a negative array index given to read_message.
	ErrArrayIndex = errors.New("array index must be >= 0")
	// ErrZeroCopyType means a zero-copy handle was used while its field holds
	// a value that is not STRING or BYTES.
	ErrZeroCopyType = errors.New("zero copy field is not a string or bytes value")
)
