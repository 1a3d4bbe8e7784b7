package runner

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var errLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\t(.+)\n$`)

// readErr returns the reason in run/<typ>/<name>.err, or "" if absent.
func (e *env) readErr(typ, name string) string {
	e.t.Helper()
	data, err := os.ReadFile(e.path("run", typ, name+".err"))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	m := errLine.FindStringSubmatch(string(data))
	if m == nil {
		e.t.Fatalf("%s.%s.err: bad format %q", typ, name, data)
	}
	return m[1]
}

// TestLoadFailures: plugins that cannot load get a .err naming the
// problem and do not run; the others do; stale .err files are removed.
func TestLoadFailures(t *testing.T) {
	e := newEnv(t)
	e.write(e.path("run", "output", "old.err"), "stale\n")
	e.plugin("input", "gen", "count = 3", counter)
	e.plugin("input", "badtype", "ticker_interval = 'soon'", counter)
	e.plugin("input", "syntax", "", "function process_message( return 0 end")
	e.plugin("analysis", "nomatch", "message_matcher = \"Type ==\"", doubler)
	e.plugin("analysis", "notimer", "message_matcher = 'TRUE'", "function process_message() return 0 end")
	e.write(e.path("run", "output", "nofile.cfg"), "filename = 'missing.lua'\nmessage_matcher = 'TRUE'\n")
	if err := os.MkdirAll(e.path("output", "cursors"), 0o750); err != nil {
		t.Fatal(err)
	}
	e.write(e.path("output", "cursors", "output.badcursor.cp"), "# sightline cursor\nversion 1\nqueue input nonsense\nend\n")
	e.plugin("output", "badcursor", recorderCfg(e.path("x.txt"), "TRUE", "input"), recorder)
	file := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(file, "TRUE", "input"), recorder)

	e.run(Options{}, "the good plugins' messages", countLines(t, file, 3))

	for _, c := range []struct{ typ, name, want string }{
		{"input", "badtype", "badtype.cfg:2: ticker_interval: wrong type"},
		{"input", "syntax", "syntax.lua"},
		{"analysis", "nomatch", "nomatch.cfg:2: message_matcher: "},
		{"analysis", "notimer", "timer_event() function was not found"},
		{"output", "nofile", "nofile.cfg:1: filename: missing.lua not found"},
		{"output", "badcursor", "output.badcursor.cp:3:"},
	} {
		if got := e.readErr(c.typ, c.name); !strings.Contains(got, c.want) {
			t.Errorf("%s.%s.err = %q, want it to contain %q", c.typ, c.name, got, c.want)
		}
	}
	if got := e.readErr("output", "rec"); got != "" {
		t.Errorf("rec.err = %q", got)
	}
	if _, err := os.Stat(e.path("run", "output", "old.err")); !os.IsNotExist(err) {
		t.Errorf("stale .err not removed: %v", err)
	}
}

// TestTerminate: a plugin failing at run time gets its .err and stops,
// its cursor stays; the plugins sharing its group go on.
func TestTerminate(t *testing.T) {
	const n = 50
	e := newEnv(t)
	e.plugin("input", "gen", "count = 50", counter)
	e.plugin("analysis", "bad", "message_matcher = 'TRUE'\nthread = 0", `
function process_message()
    if read_message("Fields[n]") == 3 then error("boom") end
    return 0
end
function timer_event() end
`)
	e.plugin("analysis", "good", "message_matcher = 'TRUE'\nthread = 0\nprocess_message_inject_limit = 1", doubler)
	file := e.path("an.txt")
	e.plugin("output", "rec", recorderCfg(file, "TRUE", "analysis"), recorder)
	e.run(Options{}, "the good plugin's messages", countLines(t, file, n))
	if got := e.readErr("analysis", "bad"); !strings.Contains(got, "process_message()") || !strings.Contains(got, "boom") {
		t.Errorf("bad.err = %q", got)
	}
	st, ok := e.loadCursor("analysis", "bad")
	if !ok {
		t.Fatal("terminated plugin's cursor not saved")
	}
	if pos := st.Queues["input"]; pos.Offset == 0 {
		t.Errorf("terminated plugin's cursor = %v, want after its second message", pos)
	}
}

// TestShutdownOnTerminate: the daemon stops by itself, cleanly.
func TestShutdownOnTerminate(t *testing.T) {
	e := newEnv(t)
	e.plugin("input", "bad", "shutdown_on_terminate = true", `function process_message() error("stop everything") end`)
	r := e.start(Options{})
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		r.cancel()
		<-r.done
		t.Fatal("daemon did not shut down")
	}
	r.cancel()
	if got := e.readErr("input", "bad"); !strings.Contains(got, "stop everything") {
		t.Errorf("bad.err = %q", got)
	}
}

// TestStopInputs: a continuous input that watches is_running stops
// cleanly and keeps its state; one that ignores it is abandoned after
// StopTimeout; a polling input's wait ends at once.
func TestStopInputs(t *testing.T) {
	e := newEnv(t)
	e.plugin("input", "polite", "instruction_limit = 0\npreserve_data = true", `
n = 0
function process_message(cp)
    while is_running() do n = n + 1 end
    return 0
end
`)
	e.plugin("input", "stubborn", "instruction_limit = 0\npreserve_data = true", `
n = 0
function process_message(cp)
    while true do n = n + 1 end
end
`)
	e.plugin("input", "poll", "ticker_interval = 3600", `function process_message() return 0 end`)
	r := e.start(Options{StopTimeout: 300 * time.Millisecond, KillTimeout: 5 * time.Second})
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if _, err := os.Stat(e.path("output", "input.polite.data")); err != nil {
		t.Errorf("polite input's state not saved: %v", err)
	}
	if _, err := os.Stat(e.path("output", "input.stubborn.data")); !os.IsNotExist(err) {
		t.Errorf("abandoned input's state saved: %v", err)
	}
	for _, name := range []string{"polite", "stubborn", "poll"} {
		if got := e.readErr("input", name); got != "" {
			t.Errorf("%s.err = %q", name, got)
		}
	}
}

// TestShutdownTimerEvent: analysis and output plugins get
// timer_event(ns, true) at shutdown and their data is preserved.
func TestShutdownTimerEvent(t *testing.T) {
	e := newEnv(t, `checkpoint_interval = "20ms"`)
	src := `
seen = 0
shut = false
function process_message() seen = seen + 1 return 0 end
function timer_event(ns, shutdown) if shutdown then shut = true end end
`
	e.plugin("input", "gen", "count = 5", counter)
	e.plugin("analysis", "a", "message_matcher = 'TRUE'\npreserve_data = true", src)
	e.plugin("output", "o", "message_matcher = 'TRUE'\npreserve_data = true\nread_queue = 'input'", src)
	e.run(Options{}, "both cursors", func() bool {
		a, _ := e.loadCursorNoFail("analysis", "a")
		o, _ := e.loadCursorNoFail("output", "o")
		return a && o
	})
	for _, f := range []string{"analysis.a.data", "output.o.data"} {
		data, err := os.ReadFile(e.path("output", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `_G["shut"] = true`) || !strings.Contains(string(data), `_G["seen"] = 5`) {
			t.Errorf("%s:\n%s", f, data)
		}
	}
}

// loadCursorNoFail reports whether a cursor file exists and is readable.
func (e *env) loadCursorNoFail(typ, name string) (bool, error) {
	_, err := os.Stat(e.path("output", "cursors", typ+"."+name+".cp"))
	return err == nil, err
}

// TestRunStartupError: a run directory missing is an error naming the key.
func TestRunStartupError(t *testing.T) {
	e := newEnv(t)
	m := e.config()
	if err := os.Remove(e.path("run", "output")); err != nil {
		t.Fatal(err)
	}
	err := Run(context.Background(), m, Options{Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "sandbox_run_path") {
		t.Fatalf("Run = %v, want an error about sandbox_run_path", err)
	}
}

// TestRunLocked: a second daemon on the same output_path is refused.
func TestRunLocked(t *testing.T) {
	e := newEnv(t)
	e.plugin("input", "gen", "count = 1", counter)
	r := e.start(Options{})
	defer func() { _ = r.stop(t) }()
	m := e.config()
	ok := waitFor(func() bool {
		_, err := os.Stat(e.path("output", "input", "lock"))
		return err == nil
	}, 5*time.Second)
	if !ok {
		t.Fatal("first daemon did not start")
	}
	time.Sleep(50 * time.Millisecond)
	err := Run(context.Background(), m, Options{Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Run = %v, want a lock error", err)
	}
}
