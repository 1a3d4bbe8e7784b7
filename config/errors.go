package config

import (
	"errors"
	"strconv"
	"strings"
)

var (
	// ErrSyntax means a config file is not valid Lua or TOML.
	ErrSyntax = errors.New("config: syntax error")

	// ErrRuntime means evaluating a Lua-syntax config raised an error, for
	// example by calling a library function (no library is loaded).
	ErrRuntime = errors.New("config: runtime error")

	// ErrBudget means a Lua-syntax config ran more VM instructions than
	// its budget allows (an endless loop, most likely).
	ErrBudget = errors.New("config: instruction budget exceeded")

	// ErrTooLarge means a config file, a string it builds, or its tables
	// exceed the limits of this package (MaxFileSize, MaxStringLen,
	// MaxValues, MaxDepth).
	ErrTooLarge = errors.New("config: too large")

	// ErrRange means a TOML integer cannot be held exactly as a Lua number
	// (its magnitude is over 2^53).
	ErrRange = errors.New("config: number out of range")

	// ErrType means a typed key holds a value of the wrong type, or a
	// negative or fractional number where a non-negative integer is wanted.
	ErrType = errors.New("config: wrong type")

	// ErrInvalid means a typed key holds a value of the right type that is
	// not allowed (a filename with a slash, an unknown read_queue, ...).
	ErrInvalid = errors.New("config: invalid value")

	// ErrMissing means a required key is absent.
	ErrMissing = errors.New("config: missing required key")

	// ErrUnknownKey means a strict table (the main config or one of its
	// [<type>_defaults] tables) holds a key this package does not know.
	ErrUnknownKey = errors.New("config: unknown key")

	// ErrSize means a size string cannot be parsed (see ParseSize).
	ErrSize = errors.New("config: invalid size")

	// ErrFormat means a config file name ends in neither ".cfg" nor
	// ".toml".
	ErrFormat = errors.New("config: unknown config format")

	// ErrBothFormats means a plugin has both a "<name>.cfg" and a
	// "<name>.toml"; which one is meant cannot be guessed.
	ErrBothFormats = errors.New("config: plugin config in two formats")

	// ErrCycle means a Lua table of the config contains itself, which no
	// config value can represent.
	ErrCycle = errors.New("config: table contains itself")
)

// Error reports a problem in a config file: the file, the 1-based line
// where the format tells it (0 when unknown), the key (dotted for nested
// tables, e.g. "analysis_defaults.output_limit"; empty when the problem is
// not about one key) and the reason, which wraps one of the sentinels of
// this package.
type Error struct {
	File string // path or name of the config file
	Line int    // 1-based line, 0 if unknown
	Key  string // key path, "" if none
	Err  error  // the reason
}

// Error formats the error as "file:line: key: reason", leaving out the
// parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(displayKey(e.Key))
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "config: "))
	}
	return b.String()
}

// Unwrap returns the reason, so errors.Is(err, ErrType) works through an
// *Error.
func (e *Error) Unwrap() error { return e.Err }

// displayKey quotes a key path holding characters that would make the
// message ambiguous (spaces, colons, quotes, control characters).
func displayKey(k string) string {
	for i := 0; i < len(k); i++ {
		c := k[i]
		plain := c == '_' || c == '-' || c == '.' || c == '[' || c == ']' ||
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !plain {
			return strconv.Quote(k)
		}
	}
	return k
}
