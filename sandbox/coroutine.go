package sandbox

import (
	lua "github.com/yuin/gopher-lua"
)

// Coroutines run on the goroutine of the plugin, each in its own
// gopher-lua thread. gopher-lua gives a new thread a child context of its
// parent's (context.WithCancel): that context counts nothing, so a loop in
// a coroutine would escape the instruction budget, and it costs a context
// per coroutine. The sandbox's coroutine.create and coroutine.wrap create
// the thread while the parent has no context (no child is derived) and
// then give it the plugin's budget itself, so every instruction of every
// coroutine counts against the same budget and stops when it closes.
//
// A Go panic inside a coroutine is turned by gopher-lua into an error
// returned by coroutine.resume (it does not reach the sandbox's pcall);
// the plugin sees the error and the process is unaffected.

// openCoroutine is require "coroutine".
func (s *Sandbox) openCoroutine(L *lua.LState) lua.LValue {
	mod := openLib(L, lua.OpenCoroutine, lua.CoroutineLibName)
	create := mod.RawGetString("create").(*lua.LFunction).GFunction
	resume := mod.RawGetString("resume").(*lua.LFunction).GFunction
	newThread := func(L *lua.LState) *lua.LState {
		prev := L.RemoveContext()
		defer func() {
			if prev != nil {
				L.SetContext(prev)
			}
		}()
		create(L)
		th := L.Get(-1).(*lua.LState)
		th.SetContext(s.b)
		return th
	}
	mod.RawSetString("create", L.NewFunction(func(L *lua.LState) int {
		newThread(L)
		return 1
	}))
	mod.RawSetString("resume", L.NewFunction(func(L *lua.LState) int {
		s.b.charge(callbackCost)
		return resume(L)
	}))
	mod.RawSetString("wrap", L.NewFunction(func(L *lua.LState) int {
		th := newThread(L)
		L.Push(L.NewFunction(func(L *lua.LState) int {
			s.b.charge(callbackCost)
			L.Insert(th, 1)
			n := resume(L)
			if ok := L.Get(-n); ok == lua.LFalse {
				errv := lua.LNil
				if n > 1 {
					errv = L.Get(-n + 1)
				}
				if _, isStr := errv.(lua.LString); isStr {
					L.Error(errv, 1)
				}
				L.Error(errv, 0)
			}
			L.Remove(-n)
			return n - 1
		}))
		return 1
	}))
	return mod
}
