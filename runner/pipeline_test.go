package runner

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
)

// doubler is an analysis plugin injecting {Type="double", Fields={n=2n}}
// for each message.
const doubler = `
function process_message()
    local n = read_message("Fields[n]")
    inject_message({Type = "double", Fields = {n = {value = 2 * n, value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`

// TestPipeline runs input → analysis → outputs on both queues, checks
// every message arrives once, then restarts and checks nothing is
// replayed after a clean shutdown and new input still flows.
func TestPipeline(t *testing.T) {
	const n = 2000
	e := newEnv(t, `output_size = "16KiB"`)
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	e.plugin("analysis", "double", "message_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1", doubler)
	inFile, anFile := e.path("in.txt"), e.path("an.txt")
	e.plugin("output", "in", recorderCfg(inFile, "TRUE", "input"), recorder)
	e.plugin("output", "an", recorderCfg(anFile, "TRUE", "analysis"), recorder)

	e.run(Options{}, "every message", func() bool {
		return len(lines(t, inFile)) >= n && len(lines(t, anFile)) >= n
	})
	checkSeq(t, lines(t, inFile), 1, n, 1)
	checkSeq(t, lines(t, anFile), 1, n, 2)

	st, ok := e.loadCursor("input", "gen")
	if !ok || st.Checkpoint.Number != n {
		t.Fatalf("input checkpoint = %+v (found %v), want %d", st.Checkpoint, ok, n)
	}
	for _, name := range []string{"double", "in", "an"} {
		typ := "output"
		if name == "double" {
			typ = "analysis"
		}
		if _, ok := e.loadCursor(typ, name); !ok {
			t.Errorf("no cursor saved for %s.%s", typ, name)
		}
	}

	// Restart with more to count: only the new messages flow.
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n+10), counter)
	e.run(Options{}, "the new messages", func() bool {
		return len(lines(t, inFile)) >= n+10 && len(lines(t, anFile)) >= n+10
	})
	time.Sleep(100 * time.Millisecond)
	checkSeq(t, lines(t, inFile), 1, n+10, 1)
	checkSeq(t, lines(t, anFile), 1, n+10, 2)
}

// checkSeq checks that got is exactly mul*first .. mul*last, in order.
func checkSeq(t *testing.T, got []string, first, last, mul int) {
	t.Helper()
	if len(got) != last-first+1 {
		t.Errorf("got %d lines, want %d", len(got), last-first+1)
	}
	for i, s := range got {
		want := strconv.Itoa(mul * (first + i))
		if s != want {
			t.Fatalf("line %d = %q, want %q", i+1, s, want)
		}
	}
}

// TestAnalysisGroups puts three analysis plugins on two threads; one of
// them is added after a first run, so its cursor is behind the others':
// it catches up on the group's reader while the others skip what they
// already handled.
func TestAnalysisGroups(t *testing.T) {
	const n = 300
	tag := func(name string) string {
		return fmt.Sprintf(`
function process_message()
    inject_message({Type = %q, Fields = {n = {value = read_message("Fields[n]"), value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`, name)
	}
	e := newEnv(t, "analysis_threads = 2")
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	e.plugin("analysis", "a", "message_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1\nthread = 0", tag("a"))
	e.plugin("analysis", "b", "message_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1\nthread = 1", tag("b"))
	out := func(name string) string { return e.path(name + ".txt") }
	for _, name := range []string{"a", "b", "c"} {
		e.plugin("output", name, recorderCfg(out(name), "Type == '"+name+"'", "analysis"), recorder)
	}
	e.run(Options{}, "a and b", func() bool {
		return len(lines(t, out("a"))) >= n && len(lines(t, out("b"))) >= n
	})

	e.plugin("analysis", "c", "message_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1\nthread = 2", tag("c"))
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n+5), counter)
	e.run(Options{}, "c", func() bool {
		return len(lines(t, out("c"))) >= n+5 && len(lines(t, out("a"))) >= n+5 && len(lines(t, out("b"))) >= n+5
	})
	time.Sleep(100 * time.Millisecond)
	for _, name := range []string{"a", "b", "c"} {
		checkSeq(t, lines(t, out(name)), 1, n+5, 1)
	}
}

// TestReservedKeys checks what read_config shows an io plugin.
func TestReservedKeys(t *testing.T) {
	e := newEnv(t, `hostname = "edge-7"`, "log_level = 7", `output_size = "1MiB"`)
	e.plugin("input", "cfg", "my_key = 'mine'\nLogger = 'overridden'", `
require "table"
require "string"
function process_message()
    local keys = {"Logger", "Hostname", "path", "cpath", "log_level", "output_size", "max_message_size", "sandbox_install_path", "my_key"}
    local vals = {}
    for i, k in ipairs(keys) do vals[i] = k .. "=" .. tostring(read_config(k)) end
    vals[#vals + 1] = "pid=" .. tostring(read_config("Pid") > 0)
    vals[#vals + 1] = "output_path=" .. tostring(read_config("output_path") == read_config("sandbox_run_path"):gsub("run$", "output"))
    inject_message({Type = "cfg", Payload = table.concat(vals, " ")})
    return 0
end
`)
	file := e.path("cfg.txt")
	e.plugin("output", "rec", recorderCfg(file, "TRUE", "input"), recorder)
	e.run(Options{}, "the config line", countLines(t, file, 1))
	want := "Logger=input.cfg Hostname=edge-7 path= cpath= log_level=7 output_size=1048576 max_message_size=65536 sandbox_install_path= my_key=mine pid=true output_path=true"
	if got := lines(t, file); !slices.Equal(got, []string{want}) {
		t.Errorf("read_config:\n got %q\nwant %q", got, want)
	}
}
