//go:build unix

package procexec

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

// host collects what a plugin injects.
type host struct {
	mu   sync.Mutex
	msgs []*message.Message
}

func (h *host) Inject(msg []byte, _ sandbox.Checkpoint) error {
	if msg == nil {
		return nil
	}
	var m message.Message
	if err := message.Decode(append([]byte(nil), msg...), &m); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, &m)
	return nil
}

// newSandbox creates a plugin of type typ running src.
func newSandbox(t *testing.T, typ config.PluginType, src string) (*sandbox.Sandbox, *host, error) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "p.lua")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := config.NewTable(filepath.Join(dir, "p.cfg"))
	tab.Set("filename", "p.lua")
	if typ != config.Input {
		tab.Set("message_matcher", "TRUE")
	}
	cfg, err := config.NewPlugin(typ, tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &host{}
	s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: file, Host: h})
	if err == nil {
		t.Cleanup(func() { _ = s.Close(false) })
	}
	return s, h, err
}

// TestModuleRun: procexec.run from Lua, its result table, and the errors
// of bad arguments.
func TestModuleRun(t *testing.T) {
	s, _, err := newSandbox(t, config.Input, `
require "string"
local procexec = require "procexec"
local function check(cond, ...) if not cond then error(string.format(...), 2) end end

function process_message()
    local r, err = procexec.run({"/bin/sh", "-c", "printf out; printf err >&2; exit 4"}, {max_stderr = 2, env = {A = "1"}})
    check(r, "run: %s", tostring(err))
    check(r.stdout == "out" and r.stderr == "er" and r.stderr_bytes == 3 and r.stdout_bytes == 3, "output %q %q", r.stdout, r.stderr)
    check(r.exit_status == 4 and r.signal == nil and r.timed_out == false and r.stopped == false, "status %s", tostring(r.exit_status))
    check(type(r.duration) == "number" and r.duration > 0, "duration %s", tostring(r.duration))

    r = procexec.run({"/bin/sh", "-c", "echo $A$B"}, {env = {"A=x", "B=y"}, inherit_env = false})
    check(r.stdout == "xy\n", "env %q", r.stdout)

    r = procexec.run({"sleep", 10}, {timeout = 0.1})
    check(r.timed_out and r.exit_status == -1 and r.signal == "killed", "timeout %s %s", tostring(r.timed_out), tostring(r.signal))

    local r, err = procexec.run({"sightline-no-such-program"})
    check(r == nil and string.find(err, "not found"), "not found: %s", tostring(err))

    for _, bad in ipairs({
        {function() procexec.run({}) end, "argv is empty"},
        {function() procexec.run({"echo", true}) end, "argv%[2%] is a boolean"},
        {function() procexec.run({"echo"}, {timeout = -1}) end, "timeout must be"},
        {function() procexec.run({"echo"}, {tmeout = 1}) end, "unknown option \"tmeout\""},
        {function() procexec.run({"echo"}, {env = {"NOEQUALS"}}) end, "not NAME=value"},
        {function() procexec.run({"echo"}, {env = {A = {}}}) end, "env value for A"},
        {function() procexec.stdin{delimiter = ""} end, "delimiter must be"},
        {function() procexec.stdin{max_record = 0} end, "max_record must be"},
    }) do
        local ok, err = pcall(bad[1])
        check(not ok and string.find(err, bad[2]), "want %q, got %s", bad[2], tostring(err))
    end
    return 0
end`)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ProcessInput(sandbox.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
}

// TestModuleStop: a run in progress ends when the plugin is stopped
// (is_running() false), a read of stdin too.
func TestModuleStop(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	old := stdinFD
	stdinFD = int(pr.Fd())
	defer func() { stdinFD = old }()

	s, _, err := newSandbox(t, config.Input, `
local procexec = require "procexec"
local stdin = procexec.stdin()
function process_message()
    local r = procexec.run({"sleep", "30"})
    assert(r.stopped and r.exit_status == -1, "not stopped")
    assert(stdin:read_record() == nil)
    return 0
end`)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, s.Stop)
	start := time.Now()
	if _, _, err := s.ProcessInput(sandbox.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestModuleStdinStreamReader: the stdin reader is a file for
// hsr:find_message, and read_record gives records.
func TestModuleStdinStreamReader(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	old := stdinFD
	stdinFD = int(pr.Fd())
	defer func() { stdinFD = old }()

	var m message.Message
	m.Uuid = message.NewUUID()
	m.Timestamp = 7
	m.SetPayload("framed")
	data := message.AppendFrame([]byte("rec1\nrec2\n"), m.Encode())
	data = append(data, "garbage"...)
	go func() {
		pw.Write(data)
		pw.Close()
	}()

	s, h, err := newSandbox(t, config.Input, `
local procexec = require "procexec"
local stdin = procexec.stdin{max_record = 10}
function process_message()
    assert(stdin:read_record() == "rec1")
    local rec, err = stdin:read_record()
    assert(rec == "rec2", tostring(rec))
    local hsr = create_stream_reader("x")
    local found, consumed, read
    repeat
        found, consumed, read = hsr:find_message(stdin)
        if found then inject_message(hsr) end
    until read == 0
    return 0
end`)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ProcessInput(sandbox.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	if len(h.msgs) != 1 || h.msgs[0].Payload != "framed" || h.msgs[0].Timestamp != 7 {
		t.Fatalf("injected %+v", h.msgs)
	}
}

// TestModuleAnalysis: the module is for input and output plugins only.
func TestModuleAnalysis(t *testing.T) {
	_, _, err := newSandbox(t, config.Analysis, `
local procexec = require "procexec"
function process_message() return 0 end
function timer_event() end`)
	if err == nil || !strings.Contains(err.Error(), "module 'procexec' disabled") {
		t.Fatalf("err = %v", err)
	}
}
