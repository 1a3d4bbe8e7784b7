package runner

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is a daemon's directory for a test: sightline.toml, run/ and
// output/.
type env struct {
	t    testing.TB
	dir  string
	main []string // extra lines of sightline.toml
}

func newEnv(t testing.TB, mainLines ...string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), main: mainLines}
	for _, typ := range []string{"input", "analysis", "output"} {
		if err := os.MkdirAll(filepath.Join(e.dir, "run", typ), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// plugin writes run/<typ>/<name>.cfg (filename added) and <name>.lua.
func (e *env) plugin(typ, name, cfg, lua string) {
	e.t.Helper()
	dir := filepath.Join(e.dir, "run", typ)
	cfg = fmt.Sprintf("filename = %q\n%s\n", name+".lua", cfg)
	e.write(filepath.Join(dir, name+".cfg"), cfg)
	e.write(filepath.Join(dir, name+".lua"), lua)
}

func (e *env) write(path, data string) {
	e.t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
		e.t.Fatal(err)
	}
}

// path returns a path under the env's directory.
func (e *env) path(elem ...string) string {
	return filepath.Join(append([]string{e.dir}, elem...)...)
}

// config writes sightline.toml and loads it.
func (e *env) config() *config.Main {
	e.t.Helper()
	text := "output_path = \"output\"\nsandbox_run_path = \"run\"\nsandbox_install_path = \"\"\n" +
		strings.Join(e.main, "\n") + "\n"
	file := e.path("sightline.toml")
	e.write(file, text)
	m, err := config.LoadMain(file)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// running is a Run in the background.
type running struct {
	cancel  context.CancelFunc
	done    chan error
	stopped bool
	err     error
}

// start runs the daemon until stop.
func (e *env) start(opts Options) *running {
	e.t.Helper()
	m := e.config()
	if opts.Logger == nil {
		opts.Logger = testLogger(e.t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- Run(ctx, m, opts) }()
	return r
}

// stop cancels the daemon and returns Run's error. It may be called
// twice.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	if r.stopped {
		return r.err
	}
	r.cancel()
	select {
	case err := <-r.done:
		r.stopped, r.err = true, err
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// run runs the daemon for a test: until cond holds (polled), then stops
// it and fails the test on a Run error.
func (e *env) run(opts Options, what string, cond func() bool) {
	e.t.Helper()
	r := e.start(opts)
	ok := waitFor(cond, 20*time.Second)
	if err := r.stop(e.t); err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	if !ok {
		e.t.Fatalf("timed out waiting for %s", what)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if tt, ok := t.(*testing.T); ok && testing.Verbose() {
		return slog.New(slog.NewTextHandler(tt.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lines returns the lines of a file (none if it does not exist).
func lines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// countLines returns a condition: path has at least n lines.
func countLines(t testing.TB, path string, n int) func() bool {
	return func() bool { return len(lines(t, path)) >= n }
}

// loadCursor reads a saved cursor file of the env.
func (e *env) loadCursor(typ, name string) (cursor.State, bool) {
	e.t.Helper()
	st, found, err := cursor.Load(cursor.Path(e.path("output"), typ, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return st, found
}

// segments lists the segment ids of a queue.
func (e *env) segments(q string) []uint64 {
	e.t.Helper()
	segs, err := queue.Segments(e.path("output", q))
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []uint64
	for _, s := range segs {
		ids = append(ids, s.ID)
	}
	return ids
}

// recorder is the Lua source of an output plugin that appends one line
// per message to the file named by its cfg key "record": the value of
// Fields[n] (or the Payload when absent), prefixed by the cfg key
// "prefix".
const recorder = `
require "io"
local file = assert(io.open(read_config("record"), "a"))
local prefix = read_config("prefix") or ""
function process_message()
    local n = read_message("Fields[n]")
    file:write(prefix, tostring(n or read_message("Payload")), "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`

// recorderCfg is the cfg of a recorder output.
func recorderCfg(file, matcher, readQueue string) string {
	return fmt.Sprintf("message_matcher = %q\nread_queue = %q\nrecord = %q\n", matcher, readQueue, file)
}

// counter is the Lua source of an input plugin that, run once, injects
// messages {Type="seq", Fields={n=i}} for i after its checkpoint up to
// the cfg key "count", each with checkpoint i.
const counter = `
function process_message(cp)
    local n = read_config("count")
    for i = (cp or 0) + 1, n do
        inject_message({Type = "seq", Payload = tostring(i), Fields = {n = {value = i, value_type = 2}}}, i)
    end
    return 0
end
`
