package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luamsg"
	"github.com/sightline/sightline/sandbox/preserve"
)

// Host is what a sandbox needs from the runner: somewhere to put the
// messages its plugin injects. It is called on the goroutine that called
// into the sandbox.
type Host interface {
	// Inject appends one encoded Heka message (unframed protobuf; the
	// slice is valid only during the call) to the plugin's queue: the input
	// queue for input and output plugins, the analysis queue for analysis
	// plugins. For an input plugin cp is its checkpoint after this message
	// (Kind CheckpointNone when inject_message was given none), and msg is
	// nil for a checkpoint-only update. Inject may block (backpressure);
	// it should return promptly, with an error, once the plugin is being
	// stopped. An error is raised in the plugin as "inject_message()
	// failed: <err>".
	Inject(msg []byte, cp Checkpoint) error
}

// CheckpointKind says which field of a Checkpoint holds its value.
type CheckpointKind uint8

// The kinds of input plugin checkpoint: none, a Lua number, a Lua string.
const (
	CheckpointNone CheckpointKind = iota
	CheckpointNumber
	CheckpointString
)

// MaxCheckpointSize is the longest string checkpoint an input plugin may
// set, as in the reference (8191 bytes).
const MaxCheckpointSize = 8191

// Checkpoint is an input plugin's own resume point, opaque to the host: it
// is handed back to process_message on the next call and after a restart.
// The zero Checkpoint is none (nil in Lua). It has the shape of
// cursor.Checkpoint, so the runner converts field by field.
type Checkpoint struct {
	Kind   CheckpointKind
	Number float64
	String string
}

func (c Checkpoint) lvalue() lua.LValue {
	switch c.Kind {
	case CheckpointNumber:
		return lua.LNumber(c.Number)
	case CheckpointString:
		return lua.LString(c.String)
	}
	return lua.LNil
}

// Options configure a sandbox. Plugin, LuaFile and (for plugins that
// inject) Host are required; the rest have working zero values.
type Options struct {
	// Plugin is the plugin's config with every default applied. Its Table,
	// with the host's reserved keys added (Logger, Hostname, Pid, path,
	// cpath, log_level, output_path, max_message_size, ...), is what
	// read_config returns. The sandbox reads from the Table: Logger (the
	// Logger header, default "<type>.<name>"), Hostname (default
	// os.Hostname), Pid (default os.Getpid), path (where require looks for
	// Lua files) and max_message_size (stream readers, default 64 KiB;
	// read_config shows the default when the key is absent, as the
	// reference does for analysis plugins).
	Plugin *config.Plugin

	// LuaFile is the path of the plugin's Lua source, as it should appear
	// in error messages (e.g. "run/analysis/counter.lua").
	LuaFile string

	// Source, when not nil, is the plugin's Lua source, compiled instead
	// of reading LuaFile (which then only names it). A host that may have
	// to create the plugin again after its file was replaced (a live
	// reload falling back to the version that ran) keeps the source the
	// plugin started from.
	Source []byte

	// Host receives injected messages. Nil makes inject_message raise an
	// error.
	Host Host

	// Logger is the plugin's logger; print writes to it at debug level.
	// Nil discards.
	Logger *slog.Logger

	// StateFile is the preserve_data file (preserve.Path). Empty disables
	// saving and restoring even when Plugin.PreserveData is set.
	StateFile string

	// Context bounds what New does that may take long (restoring a large
	// state file). Nil means context.Background().
	Context context.Context

	// Now is the clock for message timestamps. Nil means time.Now.
	Now func() time.Time

	// Relay, for an input plugin, hands its inject_message(table) and
	// inject_message(nil, checkpoint) to Host on a goroutine of its own
	// (see relay.go): the encoding and the host's work then run beside
	// the plugin's Lua code. Host sees the same injections in the same
	// order, all of them before the call that made them returns; a
	// refusal by Host is raised in the plugin at a later inject_message
	// or ends the call. Host.Inject is then called from that goroutine,
	// never at the same time as another Host method from the plugin.
	Relay bool
}

// Stats are a plugin's counters, as plugins.tsv reports them. Counts are
// since the sandbox was created.
type Stats struct {
	InjectMessageCount     int64 // messages injected
	InjectMessageBytes     int64 // bytes of those messages
	ProcessMessageCount    int64 // process_message calls, retries excluded
	ProcessMessageFailures int64 // -1 returns, plus failures reported by update_checkpoint
	CurrentMemory          int64 // heap estimate after the last check, bytes
	MaxMemory              int64 // largest heap estimate seen, bytes
	MaxOutput              int64 // largest message injected or encoded, bytes
	MaxInstructions        int64 // most VM instructions one call ran
}

// Sandbox is one plugin's Lua state with the API of its type. Calls into
// it (New's caller's goroutine, then the ProcessX, TimerEvent and Close
// methods) must come from one goroutine at a time; Stop, Kill, Abandon and
// Stats may be called from any goroutine.
type Sandbox struct {
	typ       config.PluginType
	plugin    *config.Plugin
	file      string
	src       []byte // Options.Source
	name      string // the Logger header: "<type>.<name>"
	host      Host
	log       *slog.Logger
	now       func() time.Time
	ctx       context.Context
	cancel    context.CancelFunc // ends ctx: plugin stopped or killed
	L         *lua.LState
	b         *budget
	skip      func(string) bool // host globals, not saved by preserve_data
	statefile string            // preserve_data file, "" for none
	luaPath   []string
	maxMsg    int

	mem     memWatch
	loaded  map[string]lua.LValue // require's cache
	pats    patternCache
	enc     *luamsg.Encoder
	msg     message.Message
	buf     []byte
	payload *luamsg.Payload
	relay   *relay // input: inject_message(table) (relay.go)

	// current is the message read_message reads (analysis and output,
	// during process_message).
	current *message.View

	// Analysis: injections left in the running call.
	injectLeft int64

	out outputState

	stopped atomic.Bool // Stop was called: is_running() is false

	// mu guards the fields below. Lock order: mu before budget.mu and
	// before outputState.mu; none of them is held while Lua code runs.
	mu         sync.Mutex
	busy       bool
	closed     bool
	closing    bool // Close was called during a call
	abandoned  bool
	term       *TerminatedError
	stats      Stats
	checkpoint Checkpoint // input: the last one injected
	refused    error      // the host's first refusal of an injection
}

// New creates the sandbox of a plugin: it builds the Lua state with the
// API of the plugin's type, runs the plugin's file under its limits,
// checks that the entry points of its type exist, and restores its
// preserved data. A state file that fails to restore is moved aside with a
// warning and the plugin starts clean. Failures of the plugin's own code
// are a *TerminatedError (Func empty).
func New(opts Options) (*Sandbox, error) {
	if opts.Plugin == nil || opts.LuaFile == "" {
		return nil, fmt.Errorf("%w: Plugin and LuaFile are required", ErrConfig)
	}
	p := opts.Plugin
	switch p.Type {
	case config.Input, config.Analysis, config.Output:
	default:
		return nil, fmt.Errorf("%w: plugin type %v", ErrConfig, p.Type)
	}
	if p.OutputLimit < 0 || p.MemoryLimit < 0 || p.InstructionLimit < 0 {
		return nil, fmt.Errorf("%w: negative limit", ErrConfig)
	}
	s, err := newSandbox(opts, true)
	var re *preserve.RestoreError
	if errors.As(err, &re) {
		s.logger().Warn("preserved data not restored, starting clean", "err", err)
		s, err = newSandbox(opts, false)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func newSandbox(opts Options, restore bool) (*Sandbox, error) {
	p := opts.Plugin
	s := &Sandbox{
		typ:    p.Type,
		plugin: p,
		file:   opts.LuaFile,
		src:    opts.Source,
		host:   opts.Host,
		log:    opts.Logger,
		now:    opts.Now,
		loaded: make(map[string]lua.LValue),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.name = p.Type.String() + "." + p.Name
	hostname, _ := os.Hostname()
	pid := int32(os.Getpid())
	s.maxMsg = luamsg.DefaultMaxMessageSize
	if t := p.Table; t != nil {
		if v, ok := t.Get("Logger"); ok {
			if str, ok := v.(string); ok {
				s.name = str
			}
		}
		if v, ok := t.Get("Hostname"); ok {
			if str, ok := v.(string); ok {
				hostname = str
			}
		}
		if v, ok := t.Get("Pid"); ok {
			if n, ok := v.(float64); ok {
				pid = int32(n)
			}
		}
		if v, ok := t.Get("path"); ok {
			if str, ok := v.(string); ok {
				s.luaPath = splitPath(str)
			}
		}
		if v, ok := t.Get("max_message_size"); ok {
			if n, ok := v.(float64); ok && n > 0 {
				s.maxMsg = int(n)
			}
		}
	}
	s.enc = luamsg.NewEncoder(luamsg.Headers{
		Restricted: p.RestrictedHeaders,
		Logger:     s.name,
		Hostname:   hostname,
		Pid:        pid,
		Now:        func() int64 { return s.now().UnixNano() },
	})
	if s.typ == config.Analysis {
		s.payload = luamsg.NewPayload(int(p.OutputLimit))
	}
	if s.typ == config.Output {
		s.out.init(int(p.AsyncBufferSize))
	}

	s.b = newBudget()
	s.b.sb = s
	s.b.check = s.memCheckSlow
	s.mem.init(p.MemoryLimit)
	if p.Type == config.Input && opts.Relay {
		s.relay = newRelay(s)
	}

	s.L = newState()
	s.buildEnv()
	s.skip = preserve.HostGlobals(s.L)
	s.L.SetContext(s.b)

	if err := s.load(); err != nil {
		s.closeRelay(true)
		s.L.Close()
		s.cancel()
		return nil, err
	}
	if restore && p.PreserveData && opts.StateFile != "" {
		_, err := preserve.Restore(s.L, opts.StateFile, preserve.RestoreOptions{Context: opts.Context})
		if err != nil {
			s.closeRelay(true)
			s.L.Close()
			s.cancel()
			return s, err
		}
	}
	s.statefile = opts.StateFile
	s.memWalk()
	if err := s.b.stopped(); err != nil {
		s.L.Close()
		s.cancel()
		return nil, s.budgetFailure("", err)
	}
	return s, nil
}

// newState makes an empty Lua state with the stack sizes of a plugin.
func newState() *lua.LState {
	return lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       callStackSize,
		RegistrySize:        registrySize,
		RegistryMaxSize:     registryMaxSize,
		RegistryGrowStep:    registrySize,
		IncludeGoStackTrace: true,
	})
}

// Stack sizes of every Lua state (coroutines too): the call depth Lua code
// may reach ("stack overflow" beyond it; gopher-lua allocates it up front,
// 80 bytes a frame, and its growing variant panics instead of raising
// "stack overflow"), and the value stack, which grows in steps of
// registrySize up to registryMaxSize slots.
const (
	callStackSize   = 256
	registrySize    = 1024
	registryMaxSize = 1 << 20
)

// load runs the plugin's file and checks its entry points.
func (s *Sandbox) load() error {
	var proto *lua.FunctionProto
	var err error
	if s.src != nil {
		proto, err = compileSource(s.src, s.file)
	} else {
		proto, err = compileFile(s.file)
	}
	if err != nil {
		return terminated("", ErrSyntax, err.Error(), "")
	}
	L := s.L
	s.b.begin(s.plugin.InstructionLimit)
	L.Push(trampoline)
	L.Push(L.NewFunctionFromProto(proto))
	err = L.PCall(1, 0, nil)
	s.b.end()
	if rerr := s.drainRelay(); err == nil && rerr != nil {
		return terminated("", ErrLua, "inject_message() failed: "+rerr.Error(), "")
	}
	if err != nil {
		return s.failure("", err)
	}
	for _, fn := range s.required() {
		if _, ok := L.GetGlobal(fn).(*lua.LFunction); !ok {
			return terminated(fn, ErrMissingFunction, fn+"() function was not found", "")
		}
	}
	return nil
}

// required lists the entry points the plugin's type must define.
func (s *Sandbox) required() []string {
	if s.typ == config.Input {
		return []string{"process_message"}
	}
	return []string{"process_message", "timer_event"}
}

// Type returns the plugin's type.
func (s *Sandbox) Type() config.PluginType { return s.typ }

// Name returns the plugin's full name, its Logger header
// ("analysis.counter").
func (s *Sandbox) Name() string { return s.name }

// Stop asks the plugin to stop: from now on is_running() returns false.
// A continuous input plugin is expected to notice and return; nothing is
// interrupted.
func (s *Sandbox) Stop() { s.stopped.Store(true) }

// Stopping reports whether Stop (or Kill) was called.
func (s *Sandbox) Stopping() bool { return s.stopped.Load() }

// Kill stops the plugin's Lua code at its next VM instruction: the call in
// progress, if any, fails with ErrShutdown, and so does every later call.
// It is the host's second step after Stop, for a plugin that does not
// return (an input with instruction_limit 0 that ignores is_running). Its
// data can still be saved by Close. Go code the plugin called (a blocking
// read) is not interrupted; Context(L) is cancelled for it.
func (s *Sandbox) Kill() {
	s.stopped.Store(true)
	s.b.stop(ErrShutdown)
	s.cancel()
}

// Abandon is the last step at a shutdown deadline: Kill, and forget the
// plugin. Its state is never saved, and if a call is still running (stuck
// in Go code), Close leaves the Lua state to that call, which closes it
// when it returns.
func (s *Sandbox) Abandon() {
	s.mu.Lock()
	s.abandoned = true
	s.mu.Unlock()
	s.Kill()
}

// Terminated returns why the plugin was terminated, or nil.
func (s *Sandbox) Terminated() *TerminatedError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.term
}

// Stats returns the plugin's counters.
func (s *Sandbox) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.MaxInstructions = s.b.maxInstructions()
	return st
}

// LastCheckpoint returns the checkpoint an input plugin last passed to
// inject_message (none before it did), the one to hand back to its next
// process_message.
func (s *Sandbox) LastCheckpoint() Checkpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkpoint
}

// MeasureMemory walks the plugin's Lua heap now and returns the estimate
// in bytes (it also updates Stats). The walk costs about 50 ns per value
// the plugin holds. It must not be called while a call is in progress;
// memory is otherwise measured as the plugin runs (see memory.go) and
// after each timer_event.
func (s *Sandbox) MeasureMemory() (int64, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	s.memWalk()
	term := (*TerminatedError)(nil)
	if err := s.b.stopped(); err != nil {
		term = s.budgetFailure("", err)
	}
	s.leave(term)
	if term != nil {
		return s.mem.estimate, term
	}
	return s.mem.estimate, nil
}

// Close destroys the sandbox. With preserve, a plugin configured with
// preserve_data that was neither terminated by an error nor abandoned has
// its data saved first (a plugin stopped by Kill is saved). Close is safe
// to call twice; called while a call is in progress (from another
// goroutine, after Abandon), it returns at once and the call closes the
// state when it returns.
func (s *Sandbox) Close(preserveData bool) error {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return nil
	}
	if s.busy {
		s.closing = true
		s.mu.Unlock()
		s.Kill()
		s.closeRelay(false)
		return nil
	}
	s.closed = true
	save := preserveData && s.plugin.PreserveData && s.statefile != "" && !s.abandoned &&
		(s.term == nil || errors.Is(s.term, ErrShutdown))
	s.mu.Unlock()

	s.closeRelay(true)
	var err error
	if save {
		err = preserve.Save(s.L, s.statefile, preserve.SaveOptions{Skip: s.skip})
	}
	s.L.Close()
	s.cancel()
	return err
}

// closeRelay ends the relay's goroutine, if the plugin has one, after it
// handed over what it holds (nothing, unless a call was abandoned);
// with wait, it waits for that.
func (s *Sandbox) closeRelay(wait bool) {
	if s.relay != nil {
		s.relay.close(wait)
	}
}

// enter starts a call into the plugin.
func (s *Sandbox) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed || s.closing:
		return ErrClosed
	case s.term != nil:
		return s.term
	case s.busy:
		return ErrBusy
	}
	s.busy = true
	return nil
}

// leave ends a call; term, if not nil, terminates the plugin.
func (s *Sandbox) leave(term *TerminatedError) {
	s.mu.Lock()
	s.busy = false
	if term != nil && s.term == nil {
		s.term = term
	}
	closeNow := s.closing
	if closeNow {
		s.closed = true
	}
	s.mu.Unlock()
	if closeNow {
		s.L.Close()
		s.cancel()
	}
}

// callFunc calls the global function fn with args under the instruction
// limit and leaves nret results on the stack. A missing function or an
// error is returned as the *TerminatedError the plugin ends with.
func (s *Sandbox) callFunc(fn string, nret int, args ...lua.LValue) *TerminatedError {
	L := s.L
	f, ok := L.GetGlobal(fn).(*lua.LFunction)
	if !ok {
		return terminated(fn, ErrMissingFunction, fn+"() function was not found", "")
	}
	if err := s.b.stopped(); err != nil {
		return s.budgetFailure(fn, err)
	}
	L.Push(trampoline)
	L.Push(f)
	for _, a := range args {
		L.Push(a)
	}
	s.b.begin(s.plugin.InstructionLimit)
	err := L.PCall(len(args)+1, nret, nil)
	s.b.end()
	if err != nil {
		return s.failure(fn, err)
	}
	s.memCheckAfterCall()
	if err := s.b.stopped(); err != nil {
		// The memory check after the call failed.
		L.Pop(nret)
		return s.budgetFailure(fn, err)
	}
	return nil
}

// status reads the (status, message) results of an entry point from the
// stack and pops them.
func (s *Sandbox) status(fn string) (int, string, *TerminatedError) {
	L := s.L
	sv, mv := L.Get(-2), L.Get(-1)
	L.Pop(2)
	n, ok := sv.(lua.LNumber)
	if !ok {
		return 0, "", terminated(fn, ErrBadReturn, fn+"() must return a numeric status code", "")
	}
	status := int(n)
	var msg string
	switch m := mv.(type) {
	case *lua.LNilType:
	case lua.LString:
		msg = string(m)
	default:
		return 0, "", terminated(fn, ErrBadReturn, fn+"() must return a nil or string error message", "")
	}
	if status > 0 {
		// The reference's reason, with the plugin's message when it gave
		// one: operators want to know why it stopped.
		reason := fn + "() received a termination status code"
		if msg != "" {
			reason += ": " + msg
		}
		return status, msg, terminated(fn, ErrBadReturn, reason, "")
	}
	return status, msg, nil
}

// failure turns an error of PCall into the plugin's termination.
func (s *Sandbox) failure(fn string, err error) *TerminatedError {
	if r := s.b.stopped(); r != nil {
		return s.budgetFailure(fn, r)
	}
	prefix := ""
	if fn != "" {
		prefix = fn + "() "
	}
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return terminated(fn, ErrLua, prefix+err.Error(), "")
	}
	normalizePanic(ae)
	switch ae.Type {
	case lua.ApiErrorSyntax, lua.ApiErrorFile:
		return terminated(fn, ErrSyntax, prefix+ae.Object.String(), "")
	case lua.ApiErrorPanic:
		return terminated(fn, ErrGoPanic, prefix+"go panic: "+ae.Object.String(), ae.StackTrace)
	}
	return terminated(fn, ErrLua, prefix+errorText(ae.Object), "")
}

// budgetFailure is the termination of a plugin whose budget closed.
func (s *Sandbox) budgetFailure(fn string, reason error) *TerminatedError {
	sentinel := ErrLua
	for _, e := range []error{ErrInstructionLimit, ErrMemoryLimit, ErrShutdown, ErrGoPanic} {
		if errors.Is(reason, e) {
			sentinel = e
			break
		}
	}
	prefix := ""
	if fn != "" {
		prefix = fn + "() "
	}
	detail := ""
	var pe *panicError
	if errors.As(reason, &pe) {
		detail = pe.stack
	}
	return terminated(fn, sentinel, prefix+reason.Error(), detail)
}

// errorText renders a Lua error value as the reference does: strings and
// numbers as text, anything else as "<nil error message>".
func errorText(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	return "<nil error message>"
}

// logger returns the plugin's logger.
func (s *Sandbox) logger() *slog.Logger { return s.log }
