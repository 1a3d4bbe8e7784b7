package test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// onceTree is a batch-mode pipeline: an input injecting count messages,
// an analysis plugin injecting a summary in its final timer_event, an
// output recording both queues.
func onceTree(count int, analysis string) map[string]string {
	return map[string]string{
		"sightline.toml":    mainConfig(),
		"run/input/gen.cfg": fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\n", count),
		"run/input/gen.lua": `
function process_message(cp)
    for i = (cp or 0) + 1, read_config("count") do
        inject_message({Type = "seq", Payload = tostring(i)}, i)
    end
    return 0
end
`,
		"run/analysis/sum.cfg": "filename = \"sum.lua\"\nmessage_matcher = \"Type == 'seq'\"\n",
		"run/analysis/sum.lua": analysis,
		"run/output/rec.cfg":   "filename = \"rec.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"both\"\n",
		"run/output/rec.lua": `
require "io"
local file = assert(io.open("out.txt", "a"))
function process_message()
    file:write(read_message("Payload"), "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`,
	}
}

// TestRunOnce: `sightline run -once` runs the cascade and exits 0 with
// every message and the analysis summary written; a terminating analysis
// plugin makes it exit 4.
func TestRunOnce(t *testing.T) {
	const n = 500
	dir := t.TempDir()
	files(t, dir, onceTree(n, `
local count = 0
function process_message() count = count + 1; return 0 end
function timer_event(ns, shutdown)
    if shutdown then inject_message({Type = "summary", Payload = "summary " .. count}) end
end
`))
	p := startCmd(t, dir, "run", "-once", "-config", "sightline.toml")
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, p.stderr)
	}
	var want []string
	for i := 1; i <= n; i++ {
		want = append(want, strconv.Itoa(i))
	}
	want = append(want, fmt.Sprintf("summary %d", n))
	if got := readLines(t, filepath.Join(dir, "out.txt")); !slices.Equal(got, want) {
		t.Fatalf("out.txt has %d lines, want %d (the last %q)", len(got), len(want), want[len(want)-1])
	}

	bad := t.TempDir()
	files(t, bad, onceTree(3, `
function process_message() error("boom") end
function timer_event(ns, shutdown) end
`))
	p = startCmd(t, bad, "run", "-once", "-config", "sightline.toml")
	if code := p.wait(t, 60*time.Second); code != 4 {
		t.Fatalf("exit code %d, want 4; stderr:\n%s", code, p.stderr)
	}
	if got := readLines(t, filepath.Join(bad, "out.txt")); len(got) != 3 {
		t.Errorf("out.txt = %q, want the 3 input messages", got)
	}
}
