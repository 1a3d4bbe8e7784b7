package test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

var pipelinePlugins = map[string]string{
	"run/input/gen.lua": `
function process_message(cp)
    for i = (cp or 0) + 1, read_config("count") do
        inject_message({Type = "seq", Fields = {seq = {value = i, value_type = 2}}}, i)
    end
    return 0
end
`,
	"run/analysis/double.cfg": `filename = "double.lua"
message_matcher = "Type == 'seq'"
process_message_inject_limit = 1
`,
	"run/analysis/double.lua": `
function process_message()
    inject_message({Type = "double", Fields = {seq = {value = 2 * read_message("Fields[seq]"), value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`,
	"run/output/in.cfg": "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\nrecord = \"in.txt\"\n",
	"run/output/an.cfg": "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"analysis\"\nrecord = \"an.txt\"\n",
	"run/output/record.lua": `
require "io"
local file = assert(io.open(read_config("record"), "a"))
function process_message()
    file:write(tostring(read_message("Fields[seq]")), "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`,
}

// TestPipelineRestart runs input → analysis → two outputs with the real
// binary: every message arrives once; after a SIGKILL that comes later
// than a checkpoint interval nothing is replayed, and new input flows
// after the restart.
func TestPipelineRestart(t *testing.T) {
	const n = 5000
	dir := t.TempDir()
	tree := map[string]string{
		"sightline.toml":    mainConfig(`output_size = "64KiB"`, `checkpoint_interval = "200ms"`),
		"run/input/gen.cfg": fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\n", n),
	}
	for k, v := range pipelinePlugins {
		tree[k] = v
	}
	files(t, dir, tree)
	cfg := filepath.Join(dir, "sightline.toml")
	in, an := filepath.Join(dir, "in.txt"), filepath.Join(dir, "an.txt")
	all := func(k int) func() bool {
		return func() bool { return len(readLines(t, in)) >= k && len(readLines(t, an)) >= k }
	}

	p := start(t, dir, cfg)
	ok := waitFor(all(n), 60*time.Second)
	time.Sleep(600 * time.Millisecond) // three checkpoint intervals
	p.kill(t)
	if !ok {
		t.Fatalf("first run: in %d, an %d lines, want %d; stderr:\n%s", len(readLines(t, in)), len(readLines(t, an)), n, p.stderr)
	}

	files(t, dir, map[string]string{"run/input/gen.cfg": fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\n", n+100)})
	p = start(t, dir, cfg)
	ok = waitFor(all(n+100), 60*time.Second)
	time.Sleep(300 * time.Millisecond)
	p.stop(t)
	if !ok {
		t.Fatalf("second run: in %d, an %d lines, want %d", len(readLines(t, in)), len(readLines(t, an)), n+100)
	}
	checkNumbers(t, "input", readLines(t, in), n+100, 1)
	checkNumbers(t, "analysis", readLines(t, an), n+100, 2)
}

// checkNumbers checks lines are exactly mul*1 .. mul*n in order.
func checkNumbers(t *testing.T, what string, lines []string, n, mul int) {
	t.Helper()
	if len(lines) != n {
		t.Errorf("%s output: %d lines, want %d", what, len(lines), n)
	}
	for i, l := range lines {
		if want := strconv.Itoa(mul * (i + 1)); l != want {
			t.Fatalf("%s output line %d = %q, want %q", what, i+1, l, want)
		}
	}
}

// TestSignals: SIGTERM shuts down cleanly (exit 0); a second signal during
// a slow shutdown exits at once with 1; a bad config exits 1 naming the
// file and line.
func TestSignals(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, map[string]string{
		"sightline.toml":     mainConfig(),
		"run/input/spin.cfg": "filename = \"spin.lua\"\ninstruction_limit = 0\n",
		"run/input/spin.lua": "function process_message() while true do end end\n",
		"run/analysis/.keep": "",
		"run/output/.keep":   "",
		"bad.toml":           "output_path = \"output\"\nsandbox_run_path = \"run\"\noutput_szie = 5\n",
	})
	p := start(t, dir, filepath.Join(dir, "sightline.toml"))
	if !waitFor(func() bool { return containsLine(p.stderr.String(), "sightline running") }, 30*time.Second) {
		t.Fatalf("did not start; stderr:\n%s", p.stderr)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond) // the input ignores is_running: shutdown waits
	t0 := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t, 5*time.Second); code != 1 {
		t.Errorf("second signal: exit %d, want 1", code)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("second signal took %v", d)
	}

	bad := startCmd(t, dir, "run", "-config", "bad.toml")
	if code := bad.wait(t, 30*time.Second); code != 1 {
		t.Errorf("bad config: exit %d, want 1", code)
	}
	if s := bad.stderr.String(); !containsLine(s, "bad.toml:3: output_szie") {
		t.Errorf("bad config: stderr %q, want bad.toml:3: output_szie", s)
	}
}
