package sandbox

import (
	"errors"
	"strings"
)

// Reasons a plugin is stopped. A *TerminatedError wraps one of them
// (errors.Is). Their text is what the reference shows, so it ends up in
// the plugin's .err file unchanged.
var (
	// ErrInstructionLimit means a call into the plugin ran more VM
	// instructions than its instruction_limit.
	ErrInstructionLimit = errors.New("instruction_limit exceeded")

	// ErrMemoryLimit means the plugin's Lua heap estimate went over its
	// memory_limit. The text starts as the reference's allocator error.
	ErrMemoryLimit = errors.New("not enough memory (memory_limit exceeded)")

	// ErrShutdown means the host killed the plugin's Lua code (Kill, or
	// Abandon at a shutdown deadline) while it was running.
	ErrShutdown = errors.New("shutting down")

	// ErrGoPanic means Go code called from the plugin (a module, the
	// sandbox itself) panicked. The plugin is terminated; the process and
	// the other plugins are not affected.
	ErrGoPanic = errors.New("go panic")

	// ErrLua means a Lua error escaped an entry point (a runtime error, a
	// failed inject_message, error() called by the plugin).
	ErrLua = errors.New("lua error")

	// ErrSyntax means the plugin's Lua file did not compile.
	ErrSyntax = errors.New("lua syntax error")

	// ErrBadReturn means an entry point returned something other than a
	// number and an optional string, or a status above zero, or (output)
	// -5 without async_buffer_size.
	ErrBadReturn = errors.New("bad return value")

	// ErrMissingFunction means the plugin does not define an entry point
	// its type requires.
	ErrMissingFunction = errors.New("function was not found")

	// ErrTerminated is returned by calls into a sandbox that was already
	// terminated or closed.
	ErrTerminated = errors.New("sandbox: plugin terminated")

	// ErrClosed is returned by calls into a sandbox after Close.
	ErrClosed = errors.New("sandbox: closed")

	// ErrBusy is returned when a sandbox is called while another call into
	// it is still running: a sandbox belongs to one goroutine at a time.
	ErrBusy = errors.New("sandbox: call already in progress")

	// ErrWrongType is returned when an entry point of another plugin type
	// is called (ProcessInput on an analysis sandbox, ...).
	ErrWrongType = errors.New("sandbox: entry point not available for this plugin type")

	// ErrConfig means the Options are unusable (no plugin file, an unknown
	// type, a negative limit).
	ErrConfig = errors.New("sandbox: invalid options")
)

// MaxErrorLen is the longest termination reason kept, in bytes, as the
// reference truncates its error strings (LSB_ERROR_SIZE - 1).
const MaxErrorLen = 255

// TerminatedError is why a plugin was terminated: what the runner logs and
// writes to the plugin's .err file.
type TerminatedError struct {
	// Func is the entry point that failed, such as "process_message" or
	// "timer_event"; empty when loading the plugin failed.
	Func string
	// Reason is the message in the reference's form, at most MaxErrorLen
	// bytes: "process_message() run/analysis/inj.lua:2: inject_message()
	// failed: injection limit exceeded".
	Reason string
	// Err is one of the sentinels above.
	Err error
	// Detail holds more for the log than fits in Reason, such as the Go
	// stack of a panic; it may be empty.
	Detail string
}

// Error returns Reason.
func (e *TerminatedError) Error() string { return e.Reason }

// Unwrap returns the sentinel.
func (e *TerminatedError) Unwrap() error { return e.Err }

// terminated builds a *TerminatedError, truncating the reason.
func terminated(fn string, sentinel error, reason, detail string) *TerminatedError {
	return &TerminatedError{Func: fn, Reason: truncate(reason, MaxErrorLen), Err: sentinel, Detail: detail}
}

// truncate cuts s to at most n bytes, backing off to a UTF-8 boundary so
// the .err file stays valid text when the plugin's message was.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > n-4 && cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return strings.Clone(s[:cut])
}
