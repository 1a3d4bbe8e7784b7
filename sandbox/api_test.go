package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/message"
)

func TestOutputLimit(t *testing.T) {
	t.Run("catchable", func(t *testing.T) {
		s, h := input(`require "string"
			function process_message()
				local ok, err = pcall(inject_message, {Payload = string.rep("x", 2000)})
				assert(not ok and err:find("inject_message%(%) failed: exceeded output_limit"), err)
				inject_message({Payload = "small"})
				return 0
			end`).with("output_limit", 1024).mustLoad(t)
		if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		if h.count() != 1 {
			t.Fatalf("injected %d", h.count())
		}
	})
	t.Run("flood", func(t *testing.T) {
		s, _ := output(`require "string"
			function process_message()
				local s = "x"
				while true do s = s .. s encode_message({Payload = s}) end
			end
			function timer_event() end`).with("output_limit", 64<<10).mustLoad(t)
		_, err := s.ProcessOutput(testMessage(t, "a", "b"), 1)
		wantTerminated(t, err, ErrLua, "encode_message() failed: exceeded output_limit")
		healthy(t)
	})
	t.Run("payload", func(t *testing.T) {
		s, _ := analysis(`require "string"
			function process_message() return 0 end
			function timer_event()
				while true do add_to_payload(string.rep("x", 100)) end
			end`).with("output_limit", 1000).mustLoad(t)
		err := s.TimerEvent(0, false)
		wantTerminated(t, err, ErrLua, "output_limit exceeded")
	})
}

func TestAddToPayloadWithoutArguments(t *testing.T) {
	s, _ := analysis(`
		function process_message() return 0 end
		function timer_event() add_to_payload() end`).mustLoad(t)
	err := s.TimerEvent(0, false)
	wantTerminated(t, err, ErrLua, "bad argument #0", "(must have at least one argument)")
	healthy(t)
}

func TestInjectErrors(t *testing.T) {
	cases := map[string]struct{ call, want string }{
		"mixed array":     {`inject_message({Fields = {a = {1, "x"}}})`, "array has mixed types"},
		"bad value_type":  {`inject_message({Fields = {a = {value = "x", value_type = 2}}})`, "invalid string value_type: 2"},
		"bad fields":      {`inject_message({Fields = 7})`, "inject_message() failed:"},
		"nil without cp":  {`inject_message(nil)`, "message cannot be nil without a checkpoint update"},
		"bad protobuf":    {`inject_message("not a message")`, "attempted to inject a invalid protobuf string"},
		"bad checkpoint":  {`inject_message({}, {})`, "inject_message() unsupported checkpoint type: table"},
		"array of tables": {`inject_message({Fields = {a = {{1}}}})`, "inject_message() failed: unsupported array type: table"},
		"huge checkpoint": {`inject_message({}, string.rep("x", 8192))`, "inject_message() failed: checkpoint update"},
		"empty reader":    {`inject_message(create_stream_reader("r"))`, "attempted to inject a nil message"},
		"bad type":        {`inject_message(true)`, "unsupported message type: boolean"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := input(`require "string" function process_message() ` + c.call + ` return 0 end`).mustLoad(t)
			_, _, err := s.ProcessInput(Checkpoint{})
			wantTerminated(t, err, ErrLua, "process_message() ", c.want)
			healthy(t)
		})
	}
}

func TestInjectVariants(t *testing.T) {
	var m message.Message
	m.Uuid = message.NewUUID()
	m.Timestamp = 5
	m.SetType("raw")
	raw := m.Encode()
	frame := message.AppendFrame(nil, raw)
	file := filepath.Join(t.TempDir(), "queue.log")
	if err := os.WriteFile(file, append(append([]byte("garbage"), frame...), frame...), 0o644); err != nil {
		t.Fatal(err)
	}
	p := input(`require "io" require "string"
		function process_message(cp)
			inject_message(read_config("raw"), "str")      -- a protobuf string
			inject_message(nil, 42)                         -- checkpoint only
			local hsr = create_stream_reader("test")
			local fh = assert(io.open(read_config("file"), "rb"))
			local offset = 0
			repeat
				local found, consumed, read = hsr:find_message(fh)
				offset = offset + consumed
				if found then inject_message(hsr, offset) end
			until not found and read == 0
			fh:close()
			return 0
		end`).with("raw", string(raw)).with("file", file)
	s, h := p.mustLoad(t)
	if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	if len(h.msgs) != 3 || len(h.cps) != 4 {
		t.Fatalf("%d messages, %d checkpoints", len(h.msgs), len(h.cps))
	}
	for i, m := range h.msgs {
		if m.Type != "raw" || m.Timestamp != 5 {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	if h.cps[0].String != "str" || h.cps[1].Number != 42 || h.cps[3].Number != float64(7+2*len(frame)) {
		t.Fatalf("checkpoints %+v", h.cps)
	}
}

func TestAnalysisInjectLimits(t *testing.T) {
	src := `
		function process_message() inject_message({Type = "pm"}) return 0 end
		function timer_event() for i = 1, 11 do inject_message({Type = "te"}) end end`
	// Default process_message_inject_limit is 0.
	s, _ := analysis(src).mustLoad(t)
	_, _, err := s.ProcessMessage(testMessage(t, "a", "b"))
	wantTerminated(t, err, ErrLua, "inject_message() failed: injection limit exceeded")

	s, h := analysis(src).with("process_message_inject_limit", 1).mustLoad(t)
	if _, _, err := s.ProcessMessage(testMessage(t, "a", "b")); err != nil {
		t.Fatal(err)
	}
	// Default timer_event_inject_limit is 10: the 11th fails.
	err = s.TimerEvent(0, false)
	wantTerminated(t, err, ErrLua, "timer_event() ", "injection limit exceeded")
	if h.count() != 11 {
		t.Fatalf("injected %d", h.count())
	}
	// Restricted headers: the host's values win.
	if m := h.msgs[0]; m.Logger != "analysis.test" || m.Hostname != "testhost" {
		t.Fatalf("%+v", m)
	}
}

func TestCatastrophicPattern(t *testing.T) {
	s, _ := input(`require "string"
		function process_message()
			local s = string.rep("a", 40)
			local ok, err = pcall(string.find, s, "a-a-a-a-a-a-a-a-a-a-a-a-a-a-b")
			assert(not ok and err:find("pattern too complex"), err)
			return 0
		end`).with("instruction_limit", 0).mustLoad(t)
	err := within(t, time.Second, func() error {
		_, _, err := s.ProcessInput(Checkpoint{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Uncaught, it terminates the plugin.
	s, _ = input(`require "string"
		function process_message()
			for i = 1, 1e9 do string.match(string.rep("a", 40), "a-a-a-a-a-a-a-a-a-a-a-a-a-a-b") end
		end`).with("instruction_limit", 0).mustLoad(t)
	_, _, err = s.ProcessInput(Checkpoint{})
	wantTerminated(t, err, ErrLua, "string.match: pattern too complex")
	healthy(t)
}

func TestStringLibrary(t *testing.T) {
	s, _ := input(`require "string" require "table"
		assert(("hello world"):find("o w") == 5)
		assert(("hello"):find("l", 1, true) == 3)
		assert(select("#", ("x"):find("y")) == 1)
		assert(("key=val"):match("(%w+)=(%w+)") == "key")
		assert(("abc"):match("()b()") == 2)
		local t = {}
		for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do t[#t+1] = k .. v end
		assert(table.concat(t, ",") == "a1,b2")
		assert(("hello"):gsub("l", "L") == "heLLo")
		assert(select(2, ("hello"):gsub("l", "L")) == 2)
		assert(("abc"):gsub("%w", {a = "1", b = false}) == "1bc")
		assert(not pcall(string.gsub, "abc", "%w", {a = true}))
		assert(("abc"):gsub("%w", function(c) if c == "c" then return 3 end end) == "ab3")
		assert(("x"):rep(3) == "xxx" and ("x"):rep(0) == "" and ("x"):rep(-1) == "")
		assert(string.format("%q", 'a"b\n') == '"a\\"b\\\n"')
		assert(string.format("%-5s|%5s|%.2s", "ab", "cd", "xyz") == "ab   |   cd|xy")
		assert(string.format("%05d|%+d|%x|%X|%o|%c", 42, 5, 255, 255, 8, 65) == "00042|+5|ff|FF|10|A")
		assert(string.format("%e|%g|%g|%.3f", 12345.678, 1e20, 0.1, 2/3) == "1.234568e+04|1e+20|0.1|0.667")
		assert(string.format("%f|%g", 1/0, -1/0) == "inf|-inf")
		assert(not pcall(string.format, "%123d", 1))
		assert(not pcall(string.format, "%y", 1))
		assert(table.concat({1, 2.5, "x"}, "-") == "1-2.5-x")
		assert(not pcall(table.concat, {1, {}, 3}))
		local ok, err = pcall(string.find, "x", "[a")
		assert(not ok and err:find("malformed pattern"), err)
		function process_message() return 0 end`).mustLoad(t)
	_ = s
}

func TestIOLibrary(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	s, _ := input(`require "io" require "string"
		local name = read_config("file")
		local f = assert(io.open(name, "w"))
		assert(io.type(f) == "file")
		f:write("line1\n", 2, "\n", "12.5 rest\n")
		f:close()
		assert(io.type(f) == "closed file")
		f = assert(io.open(name))
		assert(f:read() == "line1")
		assert(f:read("*n") == 2)
		assert(f:read("*n") == 12.5)
		assert(f:read("*l") == " rest")
		assert(f:read() == nil)
		f:seek("set", 0)
		assert(f:read(3) == "lin")
		-- where am I, with and without arguments: reading goes on from there
		assert(f:seek() == 3 and f:seek("cur") == 3 and f:seek("cur", 0) == 3)
		assert(f:read(2) == "e1" and f:seek() == 5)
		assert(f:seek("cur", -2) == 3 and f:read(2) == "e1")
		assert(f:seek("set", 3) == 3)
		assert(f:read("*a") == "e1\n2\n12.5 rest\n")
		assert(f:seek() == 18 and f:seek("end") == 18)
		f:close()
		f = assert(io.open(name))
		local off = 0
		for line in f:lines() do
			off = off + #line + 1
			assert(f:seek() == off, "seek after a line")
		end
		f:close()
		local n = 0
		for line in io.lines(name) do n = n + 1 end
		assert(n == 3)
		local ok, err = io.open(name .. ".missing")
		assert(ok == nil and err:find("no such file"), err)
		-- reads are capped by the memory limit
		f = assert(io.open(name))
		ok, err = pcall(f.read, f, 4e8)
		assert(not ok and err:find("not enough memory"), err)
		f:close()
		function process_message() return 0 end`).with("file", file).mustLoad(t)
	_ = s
	if data, err := os.ReadFile(file); err != nil || !strings.HasPrefix(string(data), "line1\n2\n") {
		t.Fatalf("%q %v", data, err)
	}
}

func TestHostErrorIsAnInjectFailure(t *testing.T) {
	h := &fakeHost{err: errors.New("queue closed")}
	p := input(`function process_message()
		local ok, err = pcall(inject_message, {Type = "x"})
		assert(not ok and err:find("inject_message%(%) failed: queue closed"), err)
		inject_message({Type = "x"})
	end`)
	p.host = h
	p.src = `require "string" ` + p.src
	s, _ := p.mustLoad(t)
	_, _, err := s.ProcessInput(Checkpoint{})
	wantTerminated(t, err, ErrLua, "inject_message() failed: queue closed")
}

func TestLastCheckpoint(t *testing.T) {
	s, _ := input(`function process_message() inject_message(nil, "a:1") inject_message({}, 7) return 0 end`).mustLoad(t)
	if cp := s.LastCheckpoint(); cp.Kind != CheckpointNone {
		t.Fatal(cp)
	}
	if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	if cp := s.LastCheckpoint(); cp.Kind != CheckpointNumber || cp.Number != 7 {
		t.Fatal(cp)
	}
}
