package runner

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
)

// loadOpts are the live-loading options of the tests: quick to settle.
var loadOpts = Options{LoadSettle: 100 * time.Millisecond, LoadRescan: 500 * time.Millisecond}

// withLoad adds load/{input,analysis,output} to the env and returns the
// sightline.toml line that points at it.
func (e *env) withLoad() string {
	e.t.Helper()
	for _, typ := range []string{"input", "analysis", "output"} {
		if err := os.MkdirAll(e.path("load", typ), 0o750); err != nil {
			e.t.Fatal(err)
		}
	}
	return `sandbox_load_path = "load"`
}

// drop writes load/<typ>/<file> the safe way: a hidden temp file renamed
// in.
func (e *env) drop(typ, file, content string) {
	e.t.Helper()
	e.dropMode(typ, file, content, 0o640)
}

// dropMode is drop with the file's mode.
func (e *env) dropMode(typ, file, content string, mode os.FileMode) {
	e.t.Helper()
	tmp := e.path("load", typ, "."+file+".tmp")
	e.write(tmp, content)
	if err := os.Chmod(tmp, mode); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(tmp, e.path("load", typ, file)); err != nil {
		e.t.Fatal(err)
	}
}

// exists reports whether a path under the env exists.
func (e *env) exists(elem ...string) bool {
	_, err := os.Stat(e.path(elem...))
	return err == nil
}

// logBuffer collects a daemon's log for a test to look at.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// feeder writes numbered lines to a FIFO that the fifoInput reads: the
// test paces the input.
type feeder struct {
	t     testing.TB
	ready chan struct{} // closed once f is open (or failed to)
	f     *os.File
	next  int
}

// fifoInput is an input plugin reading numbers, one a line, from the FIFO
// named by its cfg key "fifo", injecting {Type="seq", Fields={n=n}} with
// checkpoint n for each; it returns when the FIFO is closed.
const fifoInput = `
require "io"
function process_message(cp)
    local f = assert(io.open(read_config("fifo"), "r"))
    for line in f:lines() do
        local n = tonumber(line)
        inject_message({Type = "seq", Payload = line, Fields = {n = {value = n, value_type = 2}}}, n)
    end
    f:close()
    return 0
end
`

// newFeeder makes the FIFO at path and opens it for writing, in the
// background, once the input opens it for reading.
func newFeeder(t testing.TB, path string) *feeder {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	fd := &feeder{t: t, ready: make(chan struct{}), next: 1}
	go func() {
		defer close(fd.ready)
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		fd.f = f
	}()
	t.Cleanup(func() {
		select {
		case <-fd.ready:
		case <-time.After(10 * time.Second):
			t.Error("the input never opened its FIFO")
		}
		fd.close()
	})
	return fd
}

// feed writes the next n numbers.
func (fd *feeder) feed(n int) {
	fd.t.Helper()
	select {
	case <-fd.ready:
	case <-time.After(10 * time.Second):
		fd.t.Fatal("the input did not open its FIFO")
	}
	if fd.f == nil {
		fd.t.Fatal("the FIFO is closed")
	}
	for range n {
		if _, err := fmt.Fprintf(fd.f, "%d\n", fd.next); err != nil {
			fd.t.Fatal(err)
		}
		fd.next++
	}
}

// close closes the FIFO: the input returns.
func (fd *feeder) close() {
	if fd.f != nil {
		_ = fd.f.Close()
		fd.f = nil
	}
}

// tagger is an analysis plugin injecting {Type=<cfg "tag">, Fields={n=n}}
// for every message; with cfg key "spin" it first spins that many
// seconds at load (a slow start).
const tagger = `
require "os"
local spin = read_config("spin")
if spin then local t = os.clock() while os.clock() - t < spin do end end
local tag = read_config("tag")
function process_message()
    inject_message({Type = tag, Fields = {n = {value = read_message("Fields[n]"), value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`

func taggerCfg(tag string, extra ...string) string {
	return fmt.Sprintf("tag = %q\nmessage_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1\ninstruction_limit = 0\n%s\n",
		tag, strings.Join(extra, "\n"))
}

// numbers returns the numbers of a recorder's file by prefix ("" for
// lines without one), after the prefixes listed in strip are removed.
func numbers(t testing.TB, path string, strip ...string) map[string][]int {
	t.Helper()
	out := make(map[string][]int)
	for _, l := range lines(t, path) {
		for _, s := range strip {
			l = strings.TrimPrefix(l, s)
		}
		prefix, num := "", l
		if i := strings.LastIndexByte(l, ':'); i >= 0 {
			prefix, num = l[:i], l[i+1:]
		}
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("%s: bad line %q", path, l)
		}
		out[prefix] = append(out[prefix], n)
	}
	return out
}

// checkRun checks that got is first, first+1, ..., last.
func checkRun(t testing.TB, what string, got []int, first, last int) {
	t.Helper()
	if len(got) != last-first+1 {
		t.Errorf("%s: %d numbers, want %d..%d (%d)", what, len(got), first, last, last-first+1)
	}
	for i, n := range got {
		if n != first+i {
			t.Errorf("%s: number %d is %d, want %d (from %v)", what, i+1, n, first+i, got[max(0, i-3):min(len(got), i+4)])
			return
		}
	}
}

// TestLiveLoad drives a running daemon through the load directory: a new
// output starts at the writer's position; an analysis plugin reloaded
// while its thread goes on catches up on its own reader and misses
// nothing; an output restarted for a new config goes on where it was; a
// new Lua file restarts the plugins loaded from it; a broken config is
// refused and the running version goes on; .off stops an output and
// deletes its cursor.
func TestLiveLoad(t *testing.T) {
	e := newEnv(t, "analysis_threads = 2", `checkpoint_interval = "20ms"`, `output_size = "16KiB"`)
	load := e.withLoad()
	e.main = append(e.main, load)
	fifo := e.path("feed")
	e.plugin("input", "feed", fmt.Sprintf("fifo = %q\ninstruction_limit = 0", fifo), fifoInput)
	e.plugin("analysis", "a1", taggerCfg("a1", "thread = 0"), tagger)
	e.plugin("analysis", "a2", taggerCfg("a2", "thread = 0"), tagger)
	inFile, anFile, lateFile := e.path("in.txt"), e.path("an.txt"), e.path("late.txt")
	e.write(e.path("run", "output", "record.lua"), recorder)
	e.write(e.path("run", "output", "in.cfg"), "filename = 'record.lua'\n"+recorderCfg(inFile, "TRUE", "input"))
	anCfg := "filename = 'record.lua'\n" + recorderCfg(anFile, "TRUE", "analysis") + "with_type = true\n"
	e.write(e.path("run", "output", "an.cfg"), anCfg)
	recorderTyped := strings.Replace(recorder, `file:write(prefix, tostring(n or read_message("Payload")), "\n")`,
		`if read_config("with_type") then file:write(prefix, read_message("Type"), ":", tostring(n), "\n") else file:write(prefix, tostring(n or read_message("Payload")), "\n") end`, 1)
	e.write(e.path("run", "output", "record.lua"), recorderTyped)

	var log logBuffer
	fd := newFeeder(t, fifo)
	opts := loadOpts
	opts.Logger = log.logger()
	r := e.start(opts)
	defer func() { _ = r.stop(t) }()
	wait := func(what string, cond func() bool) {
		t.Helper()
		if !waitFor(cond, 20*time.Second) {
			t.Fatalf("timed out waiting for %s; log:\n%s", what, log.String())
		}
	}

	// A new output starts at the writer's position.
	fd.feed(100)
	wait("the first 100", countLines(t, inFile, 100))
	e.drop("output", "late.cfg", "filename = 'record.lua'\n"+recorderCfg(lateFile, "Type == 'seq'", "input"))
	wait("late to start", func() bool { return e.exists("output", "output.late.rtc") })
	fd.feed(100)
	wait("late's 100", countLines(t, lateFile, 100))

	// a1 reloaded, slow to start, while a2 keeps thread 0 going.
	e.drop("analysis", "a1.cfg", "filename = 'a1.lua'\n"+taggerCfg("a1", "thread = 0", "spin = 0.2"))
	// feedUntil feeds the input, paced, until cond holds.
	feedUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; log:\n%s", what, log.String())
			}
			fd.feed(10)
			time.Sleep(5 * time.Millisecond)
		}
	}
	feedUntil("a1 to catch up", func() bool { return strings.Contains(log.String(), "caught up, joined its analysis thread") })

	// An output restarted for a new config.
	e.write(e.path("load", "output", ".in.tmp"), "filename = 'record.lua'\n"+recorderCfg(inFile, "TRUE", "input")+"unused = 1\n")
	if err := os.Rename(e.path("load", "output", ".in.tmp"), e.path("load", "output", "in.cfg")); err != nil {
		t.Fatal(err)
	}
	feedUntil("in to restart", func() bool { return strings.Contains(log.String(), "msg=restarted plugin=output.in") })

	// A new record.lua restarts in, an and late: their lines get "v2/".
	e.drop("output", "record.lua", strings.Replace(recorderTyped, `local prefix = read_config("prefix") or ""`, `local prefix = "v2/"`, 1))
	feedUntil("the new code", func() bool {
		for _, f := range []string{inFile, anFile, lateFile} {
			l := lines(t, f)
			if len(l) == 0 || !strings.HasPrefix(l[len(l)-1], "v2/") {
				return false
			}
		}
		return true
	})

	// A broken config is refused; an goes on.
	e.drop("output", "an.cfg", "filename = 'record.lua'\nmessage_matcher = 'Type =='\n")
	wait("an.err", func() bool { return e.readErr("output", "an") != "" })
	if got := e.readErr("output", "an"); !strings.Contains(got, "message_matcher") || !strings.Contains(got, "running version keeps running") {
		t.Errorf("an.err = %q", got)
	}
	if e.exists("load", "output", "an.cfg") {
		t.Error("the refused config is still in load/")
	}
	if data, _ := os.ReadFile(e.path("run", "output", "an.cfg")); string(data) != anCfg {
		t.Errorf("run/output/an.cfg changed: %q", data)
	}

	// .off stops late and deletes its cursor.
	e.drop("output", "late.off", "")
	wait("late to stop", func() bool {
		return e.exists("run", "output", "late.off") && !e.exists("output", "cursors", "output.late.cp")
	})
	if e.exists("run", "output", "late.cfg") || e.exists("load", "output", "late.off") {
		t.Error("late.cfg still in run/, or late.off still in load/")
	}
	lateLines := len(lines(t, lateFile))

	fd.feed(100)
	total := fd.next - 1
	wait("everything", func() bool {
		an := numbers(t, anFile, "v2/")
		return len(lines(t, inFile)) >= total && len(an["a1"]) >= total && len(an["a2"]) >= total
	})
	fd.close()
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	checkRun(t, "in", numbers(t, inFile, "v2/")[""], 1, total)
	an := numbers(t, anFile, "v2/")
	checkRun(t, "a1", an["a1"], 1, total)
	checkRun(t, "a2", an["a2"], 1, total)
	late := numbers(t, lateFile, "v2/")[""]
	if len(lines(t, lateFile)) != lateLines {
		t.Errorf("late went on after its .off")
	}
	if len(late) > 0 {
		checkRun(t, "late", late, 101, 100+len(late))
	}
	if !strings.Contains(log.String(), "catching up on its own reader") {
		t.Errorf("a1 did not catch up on its own reader; log:\n%s", log.String())
	}
}

// TestLoadSettle: a file is taken once it has stopped changing, not while
// it is being written; files found in load/ at startup are taken too.
func TestLoadSettle(t *testing.T) {
	e := newEnv(t)
	e.main = append(e.main, e.withLoad())
	e.plugin("input", "gen", "count = 5", counter)
	out := e.path("out.txt")
	e.write(e.path("run", "output", "record.lua"), recorder)
	e.write(e.path("load", "output", "early.cfg"), "filename = 'record.lua'\n"+recorderCfg(e.path("early.txt"), "TRUE", "input"))
	opts := Options{LoadSettle: 800 * time.Millisecond, LoadRescan: time.Hour}
	r := e.start(opts)
	defer func() { _ = r.stop(t) }()

	if !waitFor(func() bool { return e.exists("run", "output", "early.cfg") }, 10*time.Second) {
		t.Fatal("the config in load/ at startup was not taken")
	}
	full := "filename = 'record.lua'\n" + recorderCfg(out, "TRUE", "input")
	path := e.path("load", "output", "half.cfg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	part := len(full)/4 + 1
	for i := 0; i < len(full); i += part {
		if _, err := f.WriteString(full[i:min(i+part, len(full))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if !e.exists("load", "output", "half.cfg") || e.readErr("output", "half") != "" {
			t.Fatalf("taken while being written (after %d bytes)", i+part)
		}
	}
	if !waitFor(func() bool { return e.exists("run", "output", "half.cfg") }, 10*time.Second) {
		t.Fatal("the config was never taken")
	}
	if got := e.readErr("output", "half"); got != "" {
		t.Errorf("half.err = %q", got)
	}
}

// TestLoadRefused: what fails its checks leaves the running version
// running and says why in the .err: a Lua error when an analysis plugin's
// new file runs (its trial), a Lua file that does not compile, a file
// writable by others; and an output whose new version fails when it runs
// gets its previous version back.
func TestLoadRefused(t *testing.T) {
	e := newEnv(t, `checkpoint_interval = "20ms"`)
	e.main = append(e.main, e.withLoad())
	fifo := e.path("feed")
	e.plugin("input", "feed", fmt.Sprintf("fifo = %q\ninstruction_limit = 0", fifo), fifoInput)
	e.plugin("analysis", "tag", taggerCfg("tag"), tagger)
	out, tagged := e.path("out.txt"), e.path("tagged.txt")
	e.plugin("output", "rec", recorderCfg(out, "TRUE", "input"), recorder)
	e.write(e.path("run", "output", "tagrec.cfg"), "filename = 'rec.lua'\n"+recorderCfg(tagged, "TRUE", "analysis"))
	fd := newFeeder(t, fifo)
	var log logBuffer
	opts := loadOpts
	opts.Logger = log.logger()
	r := e.start(opts)
	defer func() { _ = r.stop(t) }()
	n := 0
	step := func(what string) {
		t.Helper()
		fd.feed(20)
		n += 20
		if !waitFor(func() bool { return len(lines(t, out)) >= n && len(lines(t, tagged)) >= n }, 20*time.Second) {
			t.Fatalf("%s: out %d, tagged %d lines, want %d; log:\n%s", what, len(lines(t, out)), len(lines(t, tagged)), n, log.String())
		}
	}
	waitErr := func(typ, name, want string) {
		t.Helper()
		if !waitFor(func() bool { return strings.Contains(e.readErr(typ, name), want) }, 10*time.Second) {
			t.Fatalf("%s.%s.err = %q, want it to contain %q", typ, name, e.readErr(typ, name), want)
		}
	}
	step("start")

	e.write(e.path("run", "analysis", "bad.lua"), "error('no good')\n")
	e.drop("analysis", "tag.cfg", "filename = 'bad.lua'\nmessage_matcher = 'TRUE'\n")
	waitErr("analysis", "tag", "no good")
	step("after the analysis trial")

	e.drop("output", "rec.lua", "function process_message( return 0 end")
	waitErr("output", "rec", "rec.lua")
	step("after the Lua syntax error")

	e.dropMode("output", "rec.cfg", "filename = 'rec.lua'\n"+recorderCfg(out, "TRUE", "input"), 0o664)
	waitErr("output", "rec", "writable by group or others")
	step("after the writable config")

	e.write(e.path("run", "output", "boom.lua"), "error('boom at load')\n")
	e.drop("output", "rec.cfg", "filename = 'boom.lua'\nmessage_matcher = 'TRUE'\n")
	waitErr("output", "rec", "boom at load; the previous version keeps running")
	step("after the failed restart")

	fd.close()
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	checkRun(t, "out", numbers(t, out)[""], 1, n)
	checkRun(t, "tagged", numbers(t, tagged)[""], 1, n)
}

// TestReloadInput: an input restarted for a new config resumes from its
// checkpoint.
func TestReloadInput(t *testing.T) {
	e := newEnv(t)
	e.main = append(e.main, e.withLoad())
	e.plugin("input", "gen", "count = 30", counter)
	out := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(out, "TRUE", "input"), recorder)
	r := e.start(loadOpts)
	defer func() { _ = r.stop(t) }()
	if !waitFor(countLines(t, out, 30), 10*time.Second) {
		t.Fatal("no first 30")
	}
	e.drop("input", "gen.cfg", "filename = 'gen.lua'\ncount = 50\n")
	if !waitFor(countLines(t, out, 50), 10*time.Second) {
		t.Fatalf("got %d lines, want 50", len(lines(t, out)))
	}
	time.Sleep(100 * time.Millisecond)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	checkRun(t, "out", numbers(t, out)[""], 1, 50)
}

// TestRTC checks the .rtc files: the original config (a TOML one in Lua
// syntax), then the host's values, the whole giving read_config's table
// when run; an analysis plugin without thread goes back to the thread of
// its previous .rtc.
func TestRTC(t *testing.T) {
	e := newEnv(t, "analysis_threads = 3", `hostname = "edge-1"`)
	e.plugin("input", "gen", "count = 1\nmy_key = 'x'", counter)
	e.write(e.path("run", "analysis", "t.lua"), "function process_message() return 0 end\nfunction timer_event() end\n")
	e.write(e.path("run", "analysis", "t.toml"), "filename = \"t.lua\"\nmessage_matcher = \"TRUE\"\nmemory_limit = \"1MiB\"\n\"odd key\" = [1, \"two\"]\n[nested]\nyes = true\n")
	if err := os.MkdirAll(e.path("output"), 0o750); err != nil {
		t.Fatal(err)
	}
	e.write(e.path("output", "analysis.t.rtc"), "thread = 2\n")
	e.run(Options{}, "the .rtc files", func() bool { return e.exists("output", "analysis.t.rtc") && e.exists("output", "input.gen.rtc") })

	gen, err := os.ReadFile(e.path("output", "input.gen.rtc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"-- original configuration\nfilename = \"gen.lua\"\ncount = 1\nmy_key = 'x'\n\n-- Hindsight defaults and overrides\nHostname = [[edge-1]]\nPid = ",
		"\noutput_size = 67108864\n",
		"\n-- Sandbox defaults and overrides\nLogger = [[input.gen]]\noutput_limit = 65536\nmemory_limit = 8388608\ninstruction_limit = 1000000\nticker_interval = 0\npreserve_data = false\nrestricted_headers = false\nshutdown_on_terminate = false\n-- end Hindsight configuration\n",
	} {
		if !strings.Contains(string(gen), want) {
			t.Errorf("input.gen.rtc:\n%s\nwant it to contain:\n%s", gen, want)
		}
	}
	an, err := os.ReadFile(e.path("output", "analysis.t.rtc"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(an), "-- original configuration\nfilename = \"t.lua\"\nmemory_limit = \"1MiB\"\nmessage_matcher = \"TRUE\"\nnested = {yes = true}\n-- [\"odd key\"] = {[1] = 1, [2] = \"two\"} (not a Lua name: read_config only)\n\n") {
		t.Errorf("analysis.t.rtc:\n%s", an)
	}
	tab, err := config.ParseLua("analysis.t.rtc", an, config.DefaultBudget)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]config.Value{"thread": 2.0, "memory_limit": 1048576.0, "Logger": "analysis.t", "restricted_headers": true, "timer_event_inject_limit": 10.0} {
		if got, _ := tab.Get(key); !config.Equal(got, want) {
			t.Errorf("analysis.t.rtc: %s = %v, want %v", key, got, want)
		}
	}
}

// TestPermissions: the daemon refuses to start when a run or load
// directory, or a plugin file in one, is writable by group or others.
func TestPermissions(t *testing.T) {
	for _, c := range []struct {
		name, path string
		mode       os.FileMode
	}{
		{"run dir", "run", 0o770},
		{"type dir", "run/analysis", 0o757},
		{"plugin file", "run/input/gen.lua", 0o662},
		{"load dir", "load/output", 0o775},
		{"dropped file", "load/input/x.cfg", 0o666},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.main = append(e.main, e.withLoad())
			e.plugin("input", "gen", "count = 1", counter)
			e.write(e.path("load", "input", "x.cfg"), "")
			m := e.config()
			if err := os.Chmod(e.path(c.path), c.mode); err != nil {
				t.Fatal(err)
			}
			err := Run(t.Context(), m, Options{Logger: testLogger(t)})
			if !errors.Is(err, ErrWritable) || !strings.Contains(err.Error(), filepath.FromSlash(c.path)) {
				t.Fatalf("Run = %v, want ErrWritable naming %s", err, c.path)
			}
		})
	}
}

// TestLoadAnalysisPlacement: a new analysis plugin without thread goes to
// the thread with the fewest plugins, which its .rtc and read_config
// show; its .off stops it and deletes its cursor, so it holds back no
// pruning.
func TestLoadAnalysisPlacement(t *testing.T) {
	e := newEnv(t, "analysis_threads = 2")
	e.main = append(e.main, e.withLoad())
	e.plugin("input", "gen", "count = 3", counter)
	e.plugin("analysis", "a", taggerCfg("a", "thread = 0"), tagger)
	e.write(e.path("run", "analysis", "x.lua"), `
function process_message()
    inject_message({Type = "x", Payload = tostring(read_config("thread"))})
    return 0
end
function timer_event() end
`)
	out := e.path("x.txt")
	e.plugin("output", "rec", recorderCfg(out, "Type == 'x'", "analysis"), recorder)
	r := e.start(loadOpts)
	defer func() { _ = r.stop(t) }()
	if !waitFor(func() bool { return e.exists("output", "cursors", "analysis.a.cp") }, 10*time.Second) {
		t.Fatal("a did not run")
	}
	e.drop("analysis", "x.cfg", "filename = 'x.lua'\nmessage_matcher = 'Type == \"seq\"'\nprocess_message_inject_limit = 1\n")
	if !waitFor(func() bool { return e.exists("output", "analysis.x.rtc") }, 10*time.Second) {
		t.Fatal("x did not start")
	}
	if rtc, _ := os.ReadFile(e.path("output", "analysis.x.rtc")); !strings.Contains(string(rtc), "\nthread = 1\n") {
		t.Errorf("x's .rtc does not name thread 1:\n%s", rtc)
	}
	// x started at the writer's position: the three messages are older.
	e.drop("input", "gen.cfg", "filename = 'gen.lua'\ncount = 5\n")
	if !waitFor(countLines(t, out, 2), 10*time.Second) {
		t.Fatalf("x.txt: %q, want two lines", lines(t, out))
	}
	if got := lines(t, out); len(got) != 2 || got[0] != "1" || got[1] != "1" {
		t.Errorf("x.txt = %q, want the two new messages, seen on thread 1", got)
	}
	e.drop("analysis", "x.off", "")
	if !waitFor(func() bool {
		return e.exists("run", "analysis", "x.off") && !e.exists("output", "cursors", "analysis.x.cp")
	}, 10*time.Second) {
		t.Fatal("x not turned off, or its cursor kept")
	}
}
