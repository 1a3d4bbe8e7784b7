package sandbox

import (
	"context"
	"errors"
	"log/slog"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
)

// What Go modules (RegisterModule) may ask of the sandbox that called
// them. Every function takes the calling Lua state and must be called on
// the plugin's goroutine, from inside a call the plugin made.

// sandboxOf returns the sandbox running L, or nil for a state that is not
// a sandbox's (a module tested on a bare gopher-lua state).
func sandboxOf(L *lua.LState) *Sandbox {
	if b, ok := L.Context().(*budget); ok {
		return b.sb
	}
	return nil
}

// PluginType returns the type of the plugin running L, and false for a
// state that is not a sandbox's.
func PluginType(L *lua.LState) (config.PluginType, bool) {
	s := sandboxOf(L)
	if s == nil {
		return 0, false
	}
	return s.typ, true
}

// MaxMessageSize returns the plugin's max_message_size (the default,
// 64 KiB, for a state that is not a sandbox's).
func MaxMessageSize(L *lua.LState) int {
	if s := sandboxOf(L); s != nil {
		return s.maxMsg
	}
	return config.DefaultMaxMessageSize
}

// Logger returns the plugin's logger, for Go modules to report what they
// skip or recover from (a discarding logger for a state that is not a
// sandbox's).
func Logger(L *lua.LState) *slog.Logger {
	if s := sandboxOf(L); s != nil {
		return s.logger()
	}
	return slog.New(slog.DiscardHandler)
}

// BatchHost is a Host that can tell whether it runs in batch mode
// (sightline run -once): the runner's input host is one.
type BatchHost interface {
	// BatchMode reports whether the plugin runs in batch mode.
	BatchMode() bool
}

// BatchMode reports whether the plugin running L runs in batch mode
// (sightline run -once), where a continuous input is expected to read
// what there is and return: the logstreamer reads every stream to its
// end. False for a host that cannot tell.
func BatchMode(L *lua.LState) bool {
	if s := sandboxOf(L); s != nil {
		if h, ok := s.host.(BatchHost); ok {
			return h.BatchMode()
		}
	}
	return false
}

// Inject is inject_message for a Go module: raw is an encoded message
// (message.Message.AppendTo) or nil for a checkpoint-only update, cp the
// input plugin's checkpoint after it (CheckpointNone to leave it). raw is
// not kept after the call. A checkpoint set from Go may be longer than
// MaxCheckpointSize (a module's checkpoint, such as the logstreamer's
// journal of every stream, is not limited by what Lua code may set).
//
// Input plugins inject into the input queue with the checkpoint; output
// plugins into the input queue without one; analysis plugins cannot
// (their injections are limited per call and go through inject_message).
// Errors are raised in the plugin as inject_message raises them: a
// message over max_message_size or one that does not decode, backpressure
// ending in shutdown, no host. Raw messages are checked with
// message.Validate unless the module built them with message.Message.
func Inject(L *lua.LState, raw []byte, cp Checkpoint) {
	if raw != nil && message.Validate(raw) != nil {
		L.RaiseError("inject_message() attempted to inject a invalid protobuf string")
	}
	injectGo(L, raw, cp)
}

func injectGo(L *lua.LState, raw []byte, cp Checkpoint) {
	s := sandboxOf(L)
	if s == nil {
		L.RaiseError("inject_message() failed: not called from a sandbox")
		return
	}
	switch s.typ {
	case config.Input:
		if raw == nil && cp.Kind == CheckpointNone {
			L.RaiseError("inject_message() message cannot be nil without a checkpoint update")
		}
	case config.Output:
		if raw == nil {
			L.RaiseError("inject_message() takes a message")
		}
		cp = Checkpoint{}
	default:
		L.RaiseError("inject_message() from a Go module is for input and output plugins")
	}
	if raw != nil {
		s.checkRawSize(L, raw)
	}
	s.inject(L, raw, cp)
}

// InjectMessage encodes m and injects it as Inject does, reusing the
// sandbox's encode buffer (no allocation once it has grown). The Uuid and
// Timestamp are set when m lacks them, as inject_message sets them for a
// table; Logger, Hostname and Pid when unset come from the plugin's
// config.
func InjectMessage(L *lua.LState, m *message.Message, cp Checkpoint) {
	injectGo(L, encodeGo(L, m), cp)
}

// InjectMessageIfFits is InjectMessage for a module that reports and skips
// a record too large for a message (a log line over max_message_size)
// instead of raising: when m encodes to more than max_message_size bytes
// nothing is injected and ok is false. n is the encoded size either way.
func InjectMessageIfFits(L *lua.LState, m *message.Message, cp Checkpoint) (n int, ok bool) {
	raw := encodeGo(L, m)
	if len(raw) > MaxMessageSize(L) {
		return len(raw), false
	}
	injectGo(L, raw, cp)
	return len(raw), true
}

// encodeGo encodes m, with InjectMessage's default headers, into the
// sandbox's encode buffer.
func encodeGo(L *lua.LState, m *message.Message) []byte {
	s := sandboxOf(L)
	if s == nil {
		L.RaiseError("inject_message() failed: not called from a sandbox")
		return nil
	}
	s.enc.Defaults(m)
	s.buf = m.AppendTo(s.buf[:0])
	return s.buf
}

// Refused returns the first error the host gave an injection of the
// plugin running L (nil if none): a module that calls Lua code under
// pcall (a decoder) tells a refused inject_message, after which nothing
// more is taken, from the code's own failure by it.
func Refused(L *lua.LState) error {
	s := sandboxOf(L)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// DurableHost is a Host that can tell when injected messages are durable:
// the runner's input host is one.
type DurableHost interface {
	// Durable returns a function that blocks until every message the
	// plugin injected before Durable was called is durable in its queue
	// (synced under the queue's sync policy; a failed queue is waited out
	// while the host recovers it), or ctx ends, or syncing fails. Durable
	// is called on the plugin's goroutine; the function it returns may be
	// called from any goroutine.
	Durable() func(ctx context.Context) error
}

// Durable is for Go modules that acknowledge what they inject to someone
// else (a sender waiting for an acknowledgement, a journal saved beside
// the queue): it returns a function that blocks until everything the
// plugin injected so far is durable, as DurableHost.Durable. It must be
// called on the plugin's goroutine; the function it returns may be called
// from any goroutine. With a host that cannot tell, the function returns
// ErrNotDurable.
func Durable(L *lua.LState) func(ctx context.Context) error {
	if s := sandboxOf(L); s != nil {
		if h, ok := s.host.(DurableHost); ok {
			if err := s.drainRelay(); err != nil {
				L.RaiseError("inject_message() failed: %s", err.Error())
			}
			return h.Durable()
		}
	}
	return func(context.Context) error { return ErrNotDurable }
}

// ErrNotDurable is returned by the function of Durable when the plugin's
// host cannot tell when its messages are durable.
var ErrNotDurable = errors.New("sandbox: the host cannot tell when injected messages are durable")

// OutputLimit returns the plugin's output_limit in bytes, 0 for none: the
// most a module may build for the plugin in one output (an encoded
// document, a formatted line). For a state that is not a sandbox's it is
// the reference's default, 64 KiB.
func OutputLimit(L *lua.LState) int64 {
	if s := sandboxOf(L); s != nil {
		return s.plugin.OutputLimit
	}
	return 64 << 10
}

// MemoryLimit returns the plugin's memory_limit in bytes, 0 for none (and
// for a state that is not a sandbox's).
func MemoryLimit(L *lua.LState) int64 {
	if s := sandboxOf(L); s != nil {
		return s.plugin.MemoryLimit
	}
	return 0
}

// Alloc is for Go modules about to build a value of n bytes for the
// plugin (a decoded document, a large string): as the built-ins do, it
// raises "not enough memory" when n alone is over the plugin's
// memory_limit, and counts n toward the heap check, which terminates the
// plugin when its heap is over the limit.
func Alloc(L *lua.LState, n int64) {
	checkAlloc(L, n)
}
