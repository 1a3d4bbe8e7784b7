package sandbox

import (
	"errors"
	"testing"

	"github.com/sightline/sightline/config"
)

func TestInputInjectsAndCheckpoints(t *testing.T) {
	s, h := input(`
require "string"
local n = read_config("count")
function process_message(cp)
    local start = cp or 0
    for i = start + 1, start + n do
        inject_message({Type = "t" .. i, Payload = string.rep("x", i), Fields = {n = i}}, i)
    end
    return 0
end`).with("count", 3).mustLoad(t)
	status, msg, err := s.ProcessInput(Checkpoint{})
	if err != nil || status != 0 || msg != "" {
		t.Fatalf("ProcessInput = %d, %q, %v", status, msg, err)
	}
	if h.count() != 3 {
		t.Fatalf("injected %d messages, want 3", h.count())
	}
	m := h.msgs[2]
	if m.Type != "t3" || m.Payload != "xxx" || m.Logger != "input.test" || m.Hostname != "testhost" || m.Pid != 4242 {
		t.Fatalf("message = %+v", m)
	}
	if cp := h.cps[2]; cp.Kind != CheckpointNumber || cp.Number != 3 {
		t.Fatalf("checkpoint = %+v", cp)
	}
	// The checkpoint is handed back.
	if _, _, err := s.ProcessInput(Checkpoint{Kind: CheckpointNumber, Number: 3}); err != nil {
		t.Fatal(err)
	}
	if got := h.msgs[5].Type; got != "t6" {
		t.Fatalf("after checkpoint 3, last type = %q, want t6", got)
	}
}

func TestAnalysisReadAndPayload(t *testing.T) {
	s, h := analysis(`
local count = 0
function process_message()
    count = count + 1
    add_to_payload(read_message("Type"), " ", read_message("Fields[n]"), "\n")
    return 0
end
function timer_event(ns, shutdown)
    inject_payload("txt", "counts", "count=", count)
end`).mustLoad(t)
	v := testMessage(t, "web", "p")
	for i := 0; i < 2; i++ {
		if status, _, err := s.ProcessMessage(v); err != nil || status != 0 {
			t.Fatalf("ProcessMessage = %d, %v", status, err)
		}
	}
	if err := s.TimerEvent(1e9, false); err != nil {
		t.Fatal(err)
	}
	if h.count() != 1 {
		t.Fatalf("injected %d, want 1", h.count())
	}
	m := h.msgs[0]
	if m.Type != "inject_payload" || m.Payload != "web 42\nweb 42\ncount=2" || m.Logger != "analysis.test" {
		t.Fatalf("message = %+v", m)
	}
}

func TestVersionAndLibraries(t *testing.T) {
	s, _ := input(`
assert(_VERSION == "Lua 5.1", _VERSION)
assert(string == nil and table == nil and math == nil and os == nil)
local s = require "string"
assert(string == s and getmetatable(s) ~= nil)
require "math"
assert(math.huge == 1/0)
assert(math.abs(math.erf(0.5) - 0.52049987781305) < 1e-12)
assert(math.abs(math.erfc(0.5) - 0.47950012218695) < 1e-12)
require "os"
assert(os.date("%Y-%m-%d %H:%M:%S", 0) == "1970-01-01 00:00:00")
assert(os.time({year=1970, month=1, day=2, hour=0}) == 86400)
assert(tostring(1/3) == "0.33333333333333", tostring(1/3))
assert(tostring(1e15) == "1e+15", tostring(1e15))
assert(("x" .. 1/3) == "x0.33333333333333")
local f = string.format("%5.2f|%d|%s|%x|%g", 3.14159, 42.9, 1e100, 255, 0.0001) assert(f == " 3.14|42|1e+100|ff|0.0001", f)
function process_message() return 0 end`).mustLoad(t)
	if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
		t.Fatal(err)
	}
}

func TestWrongType(t *testing.T) {
	s, _ := input(`function process_message() return 0 end`).mustLoad(t)
	if _, _, err := s.ProcessMessage(nil); !errors.Is(err, ErrWrongType) {
		t.Fatalf("err = %v", err)
	}
	if s.Type() != config.Input {
		t.Fatal(s.Type())
	}
}
