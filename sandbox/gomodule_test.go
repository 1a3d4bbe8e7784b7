package sandbox

import (
	"context"
	"errors"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
)

// A Go module injecting for its plugin, as the logstreamer and the TCP
// input do: one message built in Go, one raw, a checkpoint longer than
// Lua may set, and Durable with a host that cannot tell.
func init() {
	RegisterModule(Module{Name: "test_gomodule", Open: func(L *lua.LState) int {
		t := L.NewTable()
		t.RawSetString("inject", L.NewFunction(func(L *lua.LState) int {
			var m message.Message
			m.SetType("go")
			m.SetPayload(L.CheckString(1))
			InjectMessage(L, &m, Checkpoint{Kind: CheckpointString, String: strings.Repeat("c", MaxCheckpointSize+1)})
			return 0
		}))
		t.RawSetString("raw", L.NewFunction(func(L *lua.LState) int {
			Inject(L, []byte(L.CheckString(1)), Checkpoint{})
			return 0
		}))
		t.RawSetString("refused", L.NewFunction(func(L *lua.LState) int {
			if err := Refused(L); err != nil {
				L.Push(lua.LString(err.Error()))
				return 1
			}
			return 0
		}))
		t.RawSetString("durable", L.NewFunction(func(L *lua.LState) int {
			err := Durable(L)(context.Background())
			L.Push(lua.LBool(errors.Is(err, ErrNotDurable)))
			return 1
		}))
		L.Push(t)
		return 1
	}})
}

func TestGoModuleInject(t *testing.T) {
	s, h := input(`
require "string"
local m = require "test_gomodule"
function process_message()
  m.inject("hello")
  assert(m.durable(), "fake host is not durable")
  local ok, err = pcall(m.raw, "not a message \255")
  assert(not ok and err:find("invalid protobuf"), err)
  return 0
end`).mustLoad(t)
	defer s.Close(false)
	if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	if len(h.msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(h.msgs))
	}
	m := h.msgs[0]
	if m.Type != "go" || m.Payload != "hello" || m.Logger == "" || m.Timestamp == 0 || m.Uuid == ([16]byte{}) {
		t.Errorf("message %+v: want Type, Payload and the default headers", m)
	}
	if cp := s.LastCheckpoint(); cp.Kind != CheckpointString || len(cp.String) != MaxCheckpointSize+1 {
		t.Errorf("checkpoint kind %v, %d bytes", cp.Kind, len(cp.String))
	}
}

func TestGoModuleInjectAnalysisRefused(t *testing.T) {
	s, _ := analysis(`
require "string"
local m = require "test_gomodule"
function process_message()
  local ok, err = pcall(m.inject, "x")
  assert(not ok and err:find("input and output plugins"), err)
  return 0
end
function timer_event() end`).mustLoad(t)
	defer s.Close(false)
	if _, _, err := s.ProcessMessage(testMessage(t, "t", "p")); err != nil {
		t.Fatal(err)
	}
}

// fitsResult receives what test_gomodule_fits's InjectMessageIfFits said.
var fitsResult = func(bool) {}

func init() {
	RegisterModule(Module{Name: "test_gomodule_fits", Open: func(L *lua.LState) int {
		L.Push(L.NewFunction(func(L *lua.LState) int {
			var m message.Message
			m.SetPayload(L.CheckString(1))
			_, ok := InjectMessageIfFits(L, &m, Checkpoint{})
			fitsResult(ok)
			return 0
		}))
		return 1
	}})
}

func TestGoModuleInjectIfFits(t *testing.T) {
	var got []bool
	fitsResult = func(ok bool) { got = append(got, ok) }
	s, h := input(`require "string"
local inject = require "test_gomodule_fits"
function process_message()
  inject("small")
  inject(string.rep("x", 70000)) -- over the default max_message_size: skipped, no error
  return 0
end`).mustLoad(t)
	defer s.Close(false)
	if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	if len(h.msgs) != 1 || h.msgs[0].Payload != "small" || len(got) != 2 || !got[0] || got[1] {
		t.Fatalf("%d messages injected, fits %v; want the small one only", len(h.msgs), got)
	}
}

// TestRefused: a module calling Lua code under pcall tells a refused
// injection from the code's own error, relayed or not.
func TestRefused(t *testing.T) {
	for _, relay := range []bool{false, true} {
		h := &stickyHost{limit: 3}
		p := plugin{typ: config.Input, src: `
local m = require "test_gomodule"
function process_message()
  assert(not pcall(error, "a decoder's own error"))
  assert(m.refused() == nil, "refused before any refusal")
  for i = 1, 5 do
    if not pcall(inject_message, {Type = "t"}, i) then break end
  end
  if not m.refused() then inject_message(nil, 6) end -- the relay's refusal comes here at the latest
  return 0
end`}.withHost(h)
		if relay {
			p = p.relayed()
		}
		s, _ := p.mustLoad(t)
		_, _, err := s.ProcessInput(Checkpoint{})
		if err != nil && !strings.Contains(err.Error(), "refused") {
			t.Fatalf("relay %v: ProcessInput: %v", relay, err)
		}
		if got := Refused(s.L); got == nil || got.Error() != "refused" {
			t.Fatalf("relay %v: Refused = %v after the host refused", relay, got)
		}
		if seqs, _ := h.taken(); len(seqs) != 2 {
			t.Fatalf("relay %v: host took %d, want 2", relay, len(seqs))
		}
	}
}
