package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The live-loading pipeline: a continuous input numbering its messages
// (the number is its checkpoint), an analysis plugin deriving one message
// from each, outputs appending every number they get to a file, prefixed
// by the cfg key "prefix" (record.lua) or by "v2/" (the record.lua
// dropped later).
var loadPlugins = map[string]string{
	"run/input/gen.cfg": "filename = \"gen.lua\"\ninstruction_limit = 0\n",
	"run/input/gen.lua": `
require "os"
function process_message(cp)
    local seq = cp or 0
    while is_running() do
        for i = 1, 20 do
            seq = seq + 1
            inject_message({Type = "seq", Fields = {seq = {value = seq, value_type = 2}}}, seq)
        end
        os.execute("sleep 0.01")
    end
    return 0
end
`,
	"run/analysis/derive.cfg": "filename = \"derive.lua\"\nmessage_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1\n",
	"run/analysis/derive.lua": `
require "os"
local spin = read_config("spin") -- seconds to spin at load: a slow start
if spin then local t = os.clock() while os.clock() - t < spin do end end
function process_message()
    inject_message({Type = "derived", Fields = {seq = {value = read_message("Fields[seq]"), value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`,
	"run/analysis/other.cfg": "filename = \"other.lua\"\nmessage_matcher = \"TRUE\"\n",
	"run/analysis/other.lua": "function process_message() return 0 end\nfunction timer_event() end\n",
	"run/output/in.cfg":      "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\nrecord = \"in.txt\"\n",
	"run/output/an.cfg":      "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"analysis\"\nrecord = \"an.txt\"\n",
	"run/output/record.lua":  recordLua(""),
	"load/input/.keep":       "",
	"load/analysis/.keep":    "",
	"load/output/.keep":      "",
}

func recordLua(prefix string) string {
	return `
require "io"
local file = assert(io.open(read_config("record"), "a"))
function process_message()
    file:write("` + prefix + `", tostring(read_message("Fields[seq]")), "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`
}

// TestLiveLoad drops files into the load directory of the running binary
// under a continuous input: a new output (started at the writer's
// position) and a config written in two halves (taken whole); changed
// analysis and output configs (restarted: no number lost, none twice,
// the analysis plugin catching up with its thread on its own reader); a
// new Lua file (its users restart); a broken config (refused, the running
// version goes on); an .off (the output stops).
func TestLiveLoad(t *testing.T) {
	dir := t.TempDir()
	tree := map[string]string{
		"sightline.toml": mainConfig(`sandbox_load_path = "load"`, `output_size = "64KiB"`, `checkpoint_interval = "200ms"`),
	}
	for k, v := range loadPlugins {
		tree[k] = v
	}
	files(t, dir, tree)
	p := start(t, dir, filepath.Join(dir, "sightline.toml"))
	defer func() {
		select {
		case <-p.done:
		default:
			p.kill(t)
		}
	}()
	path := func(name string) string { return filepath.Join(dir, name) }
	drop := func(name, content string) {
		t.Helper()
		tmp := filepath.Join(filepath.Dir(path(name)), "."+filepath.Base(name)+".tmp")
		if err := os.WriteFile(tmp, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path(name)); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		if !waitFor(cond, 30*time.Second) {
			t.Fatalf("timed out waiting for %s; stderr:\n%s", what, p.stderr)
		}
	}
	grows := func(file string, by int) func() bool {
		n := len(readLines(t, path(file)))
		return func() bool { return len(readLines(t, path(file))) >= n+by }
	}

	wait("the first messages", func() bool { return len(readLines(t, path("in.txt"))) >= 300 })

	// A new output, and one written in two halves a while apart.
	before := len(readLines(t, path("in.txt")))
	drop("load/output/late.cfg", "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\nrecord = \"late.txt\"\n")
	half := "filename = \"record.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"analysis\"\nrecord = \"half.txt\"\n"
	f, err := os.Create(path("load/output/half.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(half[:len(half)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // under the daemon's 1 s settle time
	if _, err := f.WriteString(half[len(half)/2:]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	wait("late and half", func() bool {
		return len(readLines(t, path("late.txt"))) >= 100 && len(readLines(t, path("half.txt"))) >= 100
	})
	if first, _ := strconv.Atoi(readLines(t, path("late.txt"))[0]); first <= before {
		t.Errorf("the new output started at %d, before the writer's position (%d or more)", first, before+1)
	}
	if _, err := os.Stat(path("run/output/half.err")); err == nil {
		t.Error("half.cfg was taken half written")
	}

	// Changed analysis and output configs. derive, slow to start, is
	// behind its thread (which other keeps going) when it joins it again.
	drop("load/analysis/derive.cfg", loadPlugins["run/analysis/derive.cfg"]+"spin = 0.3\ninstruction_limit = 0\n")
	drop("load/output/an.cfg", loadPlugins["run/output/an.cfg"]+"version = 2\n")
	wait("derive and an to restart", func() bool {
		s := p.stderr.String()
		return strings.Contains(s, "msg=restarted plugin=analysis.derive") && strings.Contains(s, "msg=restarted plugin=output.an") &&
			strings.Contains(s, "caught up, joined its analysis thread")
	})

	// A new record.lua: in, an, late and half restart with it.
	drop("load/output/record.lua", recordLua("v2/"))
	wait("the new record.lua", func() bool {
		for _, file := range []string{"in.txt", "an.txt", "late.txt", "half.txt"} {
			l := readLines(t, path(file))
			if len(l) == 0 || !strings.HasPrefix(l[len(l)-1], "v2/") {
				return false
			}
		}
		return true
	})

	// A broken config: refused, in goes on.
	drop("load/output/in.cfg", "filename = \"record.lua\"\nmessage_matcher = \"Type ==\"\n")
	wait("in.err", func() bool {
		data, _ := os.ReadFile(path("run/output/in.err"))
		return strings.Contains(string(data), "message_matcher")
	})
	wait("in to go on", grows("in.txt", 200))

	// .off: late stops.
	drop("load/output/late.off", "")
	wait("late to stop", func() bool {
		_, errOff := os.Stat(path("run/output/late.off"))
		_, errCp := os.Stat(path("output/cursors/output.late.cp"))
		return errOff == nil && os.IsNotExist(errCp)
	})
	lateLines := len(readLines(t, path("late.txt")))
	wait("more messages", grows("in.txt", 200))
	p.stop(t)
	if testing.Verbose() {
		t.Logf("stderr:\n%s", p.stderr)
	}

	if s := p.stderr.String(); strings.Count(s, "level=ERROR") != strings.Count(s, "config rejected") {
		t.Errorf("unexpected errors logged:\n%s", s)
	}
	if n := len(readLines(t, path("late.txt"))); n != lateLines {
		t.Errorf("late wrote %d lines after its .off", n-lateLines)
	}
	checkSequence(t, "in", readLines(t, path("in.txt")), 1)
	checkSequence(t, "an", readLines(t, path("an.txt")), 1)
	checkSequence(t, "late", readLines(t, path("late.txt")), 0)
	checkSequence(t, "half", readLines(t, path("half.txt")), 0)
}

// checkSequence checks that lines are consecutive numbers (prefix "v2/"
// allowed) from first (0: from wherever they start), none missing, none
// twice.
func checkSequence(t *testing.T, what string, lines []string, first int) {
	t.Helper()
	if len(lines) == 0 {
		t.Errorf("%s: no lines", what)
		return
	}
	for i, l := range lines {
		n, err := strconv.Atoi(strings.TrimPrefix(l, "v2/"))
		if err != nil {
			t.Errorf("%s: line %d is %q", what, i+1, l)
			return
		}
		if i == 0 && first == 0 {
			first = n
		}
		if n != first+i {
			t.Errorf("%s: line %d is %d, want %d (%d lines)", what, i+1, n, first+i, len(lines))
			return
		}
	}
}
