package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// removedBase are the base library functions no plugin gets (spec §4.1),
// plus gopher-lua's extras and what this file replaces.
var removedBase = []string{
	"dofile", "load", "loadfile", "loadstring", "newproxy",
	"module", "require", "_printregs", "_GOPHER_LUA_VERSION",
}

// buildEnv sets up the plugin's global environment: the base library
// without the disabled functions, require, and the API of its type.
// Libraries other than the base one come through require.
func (s *Sandbox) buildEnv() {
	L := s.L
	L.Push(L.NewFunction(lua.OpenBase))
	L.Push(lua.LString(lua.BaseLibName))
	L.Call(1, 0)
	g := L.G.Global
	for _, name := range removedBase {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	s.setFunc("print", s.luaPrint)
	s.setFunc("pcall", s.luaPCall)
	s.setFunc("xpcall", s.luaXPCall)
	s.setFunc("require", s.luaRequire)
	s.setFunc("tostring", luaToString)
	if s.typ == config.Analysis {
		g.RawSetString("collectgarbage", lua.LNil)
	} else {
		s.setFunc("collectgarbage", s.luaCollectGarbage)
	}
	s.setFunc("read_config", s.luaReadConfig)
	L.SetGlobal("decode_message", L.NewFunction(luamsg.NewDecodeMessageFunc()))

	switch s.typ {
	case config.Input:
		s.setFunc("inject_message", s.luaInjectInput)
		s.setFunc("is_running", s.luaIsRunning)
		L.SetGlobal("create_stream_reader", L.NewFunction(luamsg.NewCreateStreamReaderFunc(s.maxMsg)))
	case config.Analysis:
		L.SetGlobal("read_message", L.NewFunction(luamsg.NewReadMessageFunc(s.currentMessage)))
		s.setFunc("inject_message", s.luaInjectAnalysis)
		L.SetGlobal("add_to_payload", L.NewFunction(luamsg.NewAddToPayloadFunc(s.payload)))
		s.setFunc("inject_payload", s.luaInjectPayload)
	case config.Output:
		L.SetGlobal("read_message", L.NewFunction(luamsg.NewReadMessageFunc(s.currentMessage)))
		s.setFunc("inject_message", s.luaInjectOutput)
		s.setFunc("encode_message", s.luaEncodeMessage)
		s.setFunc("create_message_matcher", s.luaCreateMatcher)
		s.setFunc("update_checkpoint", s.luaUpdateCheckpoint)
	}
}

// setFunc sets the global name to the Go function fn.
func (s *Sandbox) setFunc(name string, fn lua.LGFunction) {
	s.L.SetGlobal(name, s.L.NewFunction(fn))
}

// currentMessage is what read_message reads.
func (s *Sandbox) currentMessage() *message.View { return s.current }

// luaPrint is print(...): the arguments as tostring formats them, tab
// separated, every non-printable byte of an argument (a tab included) as a
// space, logged at debug level. It always empties the payload buffer first,
// as the reference, which formats print's output in that buffer, does; then
// it does nothing more without arguments or unless the logger takes debug
// records (the reference prints only at log_level 7).
func (s *Sandbox) luaPrint(L *lua.LState) int {
	if s.payload != nil {
		s.payload.Reset()
	}
	top := L.GetTop()
	if top == 0 || !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return 0
	}
	var b strings.Builder
	for i := 1; i <= top; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		str := tostring(L, L.Get(i))
		for j := 0; j < len(str); j++ {
			c := str[j]
			if c < 0x20 || c == 0x7f {
				c = ' '
			}
			b.WriteByte(c)
		}
	}
	s.log.Debug(b.String())
	return 0
}

// luaIsRunning is is_running(): false once the host asked the plugin to
// stop.
func (s *Sandbox) luaIsRunning(L *lua.LState) int {
	L.Push(lua.LBool(!s.stopped.Load()))
	return 1
}

// panicError is the budget's reason after a Go panic caught by a pcall in
// the plugin: the panic terminates the plugin all the same.
type panicError struct {
	msg   string
	stack string
}

func (e *panicError) Error() string { return ErrGoPanic.Error() + ": " + e.msg }
func (e *panicError) Unwrap() error { return ErrGoPanic }

// protect runs the function on top of the stack with nargs arguments like
// pcall. Errors that must end the plugin are raised again instead of being
// returned: a closed budget (limits, kill) and Go panics, which may have
// left Go state inconsistent.
func (s *Sandbox) protect(L *lua.LState, nargs int) (*lua.ApiError, bool) {
	s.b.charge(callbackCost)
	L.Insert(trampoline, L.GetTop()-nargs)
	err := L.PCall(nargs+1, lua.MultRet, nil)
	if err == nil {
		return nil, true
	}
	ae, ok := err.(*lua.ApiError)
	if !ok {
		ae = &lua.ApiError{Type: lua.ApiErrorRun, Object: lua.LString(err.Error())}
	}
	normalizePanic(ae)
	if ae.Type == lua.ApiErrorPanic {
		stack := ae.StackTrace
		if stack == "" {
			stack = string(debug.Stack())
		}
		s.b.stop(&panicError{msg: ae.Object.String(), stack: stack})
	}
	if r := s.b.stopped(); r != nil {
		L.Error(lua.LString(r.Error()), 0)
	}
	return ae, false
}

// Every protected call of the sandbox (entry points, pcall, xpcall,
// require) goes through trampoline, which makes Lua errors raised inside
// panic with an *lua.ApiError that already carries a (placeholder)
// traceback. gopher-lua's PCall otherwise builds a traceback for every
// error it catches, walking the whole call stack once per frame: at a
// depth of a few hundred frames that is milliseconds per error, outside
// the instruction count, and a loop of failing deep calls would run for
// minutes under its instruction limit. Go panics are not affected (PCall
// reports them as ApiErrorPanic, with the Go stack).
var trampoline = &lua.LFunction{IsG: true, GFunction: trampolineCall, Env: &lua.LTable{}}

// noTraceback is the placeholder traceback of Lua errors.
const noTraceback = "(traceback not collected)"

// trampolineCall calls its first argument with the others and returns all
// its results.
func trampolineCall(L *lua.LState) int {
	L.Panic = panicNoTraceback
	L.Call(L.GetTop()-1, lua.MultRet)
	return L.GetTop()
}

func panicNoTraceback(L *lua.LState) {
	panic(&lua.ApiError{Type: lua.ApiErrorRun, Object: L.Get(-1), StackTrace: noTraceback})
}

// callstackOverflow is what gopher-lua panics with (a Go panic, not a
// Lua error) when Lua calls nest deeper than the call stack allows.
const callstackOverflow = "lua callstack overflow"

// normalizePanic turns gopher-lua's call stack overflow panic into the
// Lua error it is in Lua 5.1 ("stack overflow"): the state is intact (the
// frame push failed before changing anything) and pcall may catch it.
func normalizePanic(ae *lua.ApiError) {
	if ae.Type == lua.ApiErrorPanic && ae.Object.String() == callstackOverflow {
		ae.Type = lua.ApiErrorRun
		ae.Object = lua.LString("stack overflow")
	}
}

// luaPCall is pcall(f, ...), which cannot catch the plugin's termination.
func (s *Sandbox) luaPCall(L *lua.LState) int {
	L.CheckAny(1)
	v := L.Get(1)
	if v.Type() != lua.LTFunction && L.GetMetaField(v, "__call").Type() != lua.LTFunction {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + v.Type().String() + " value"))
		return 2
	}
	ae, ok := s.protect(L, L.GetTop()-1)
	if !ok {
		L.Push(lua.LFalse)
		L.Push(ae.Object)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaXPCall is xpcall(f, handler): as Lua 5.1, f gets no arguments and the
// handler is called with the error object; its result is returned after
// false. The handler runs after the stack has unwound (no debug library
// can tell the difference).
func (s *Sandbox) luaXPCall(L *lua.LState) int {
	fn := L.CheckAny(1)
	handler := L.CheckFunction(2)
	L.SetTop(0)
	L.Push(fn)
	ae, ok := s.protect(L, 0)
	if ok {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	L.SetTop(0)
	L.Push(handler)
	L.Push(ae.Object)
	if _, ok := s.protect(L, 1); !ok {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(lua.LString("error in error handling"))
		return 2
	}
	res := L.Get(1)
	L.SetTop(0)
	L.Push(lua.LFalse)
	L.Push(res)
	return 2
}

// luaCollectGarbage is collectgarbage(opt): Go collects the heap, so
// "collect" and "step" only refresh the heap estimate and "count" returns
// it (in KB, as Lua does); the tuning options are accepted and ignored. A
// real collection would stop every plugin of the process.
func (s *Sandbox) luaCollectGarbage(L *lua.LState) int {
	switch opt := L.OptString(1, "collect"); opt {
	case "collect":
		s.memWalk()
		L.Push(lua.LNumber(0))
	case "count":
		s.memWalk()
		L.Push(lua.LNumber(float64(s.mem.estimate) / 1024))
	case "step":
		s.memWalk()
		L.Push(lua.LTrue)
	case "stop", "restart", "setpause", "setstepmul":
		L.Push(lua.LNumber(0))
	default:
		L.ArgError(1, fmt.Sprintf("invalid option '%s'", opt))
	}
	return 1
}

// luaReadConfig is read_config(key): the value of a top-level key of the
// plugin's config, a copy for tables, or nil. An absent max_message_size
// reads as the default in force (the reference adds it to the config, so
// analysis plugins, which the host gives none, see 65536).
func (s *Sandbox) luaReadConfig(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("read_config() must have a single argument")
	}
	key := L.CheckString(1)
	var v config.Value
	ok := false
	if s.plugin.Table != nil {
		v, ok = s.plugin.Table.Get(key)
	}
	switch {
	case ok:
		L.Push(configValue(L, v))
	case key == "max_message_size":
		L.Push(lua.LNumber(s.maxMsg))
	default:
		L.Push(lua.LNil)
	}
	return 1
}

// configValue converts a config value to Lua.
func configValue(L *lua.LState, v config.Value) lua.LValue {
	switch v := v.(type) {
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	case *config.Table:
		t := L.CreateTable(0, v.Len())
		for k, val := range v.All() {
			if i, ok := k.Index(); ok {
				t.RawSetInt(int(i), configValue(L, val))
			} else {
				t.RawSetString(k.Name(), configValue(L, val))
			}
		}
		return t
	}
	return lua.LNil
}
