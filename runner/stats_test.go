package runner

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

func TestRunningStats(t *testing.T) {
	var r runningStats
	if r.sd() != 0 || r.mean != 0 {
		t.Fatalf("empty: mean %v sd %v", r.mean, r.sd())
	}
	for _, v := range []float64{2, 4, 4, 4, 5, 5, 7, 9} {
		r.add(v)
	}
	if r.n != 8 || r.mean != 5 || r.sum != 40 {
		t.Errorf("n %d mean %v sum %v, want 8 5 40", r.n, r.mean, r.sum)
	}
	if want := math.Sqrt(32.0 / 7); math.Abs(r.sd()-want) > 1e-12 {
		t.Errorf("sd %v, want %v (sample standard deviation)", r.sd(), want)
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		name string
		n, d float64
		want int
	}{
		{"zero denominator", 5, 0, 0},
		{"zero", 0, 7, 0},
		{"whole", 1, 1, 100},
		{"a third", 1, 3, 33},
		{"two thirds", 2, 3, 67},
		{"half to even, down", 125, 1000, 12},
		{"half to even, up", 135, 1000, 14},
		{"decimals after the first dropped", 1259, 10000, 12},
		{"over 100", 5, 4, 125},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := percent(c.n, c.d); got != c.want {
				t.Errorf("percent(%v, %v) = %d, want %d", c.n, c.d, got, c.want)
			}
		})
	}
}

// fakeSnapshot returns the snapshot of a plugin that exists only for the
// statistics.
func fakeSnapshot(typ config.PluginType, name string, thread int, reads ...string) pluginSnapshot {
	p := &plugin{cfg: &config.Plugin{Type: typ, Name: name}, key: cursor.Key{Type: typ.String(), Name: name}}
	return pluginSnapshot{w: &observed{p: p, name: p.key.String(), thread: thread, reads: reads}}
}

func stats(values ...float64) runningStats {
	var r runningStats
	for _, v := range values {
		r.add(v)
	}
	return r
}

func TestWritePluginsTSV(t *testing.T) {
	in := fakeSnapshot(config.Input, "gen", -1)
	in.sb = sandbox.Stats{InjectMessageCount: 10, InjectMessageBytes: 1000, ProcessMessageCount: 1,
		CurrentMemory: 2048, MaxMemory: 4096, MaxOutput: 120, MaxInstructions: 77}
	in.mm = stats(5) // an input has no matcher: not reported
	in.pm = stats(1000, 2000)
	an := fakeSnapshot(config.Analysis, "count", 0, queueInput)
	an.sb = sandbox.Stats{ProcessMessageCount: 9, ProcessMessageFailures: 2}
	an.mm, an.pm, an.te = stats(100.4), stats(1000.5), stats(10, 20, 30)
	var b strings.Builder
	if err := writePluginsTSV(&b, []pluginSnapshot{in, an}); err != nil {
		t.Fatal(err)
	}
	want := "Plugin\tInject Message Count\tInject Message Bytes\tProcess Message Count\tProcess Message Failures\t" +
		"Current Memory\tMax Memory\tMax Output\tMax Instructions\t" +
		"Message Matcher Avg (ns)\tMessage Matcher SD (ns)\tProcess Message Avg (ns)\tProcess Message SD (ns)\t" +
		"Timer Event Avg (ns)\tTimer Event SD (ns)\n" +
		"input.gen\t10\t1000\t1\t0\t2048\t4096\t120\t77\t0\t0\t1500\t707\t0\t0\n" +
		"analysis.count\t0\t0\t9\t2\t0\t0\t0\t0\t100\t0\t1000\t0\t20\t10\n"
	if b.String() != want {
		t.Errorf("plugins.tsv:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestUtilizationRows(t *testing.T) {
	in := fakeSnapshot(config.Input, "gen", -1)
	a := fakeSnapshot(config.Analysis, "a", 0, queueInput)
	b := fakeSnapshot(config.Analysis, "b", 0, queueInput)
	out := fakeSnapshot(config.Output, "out", -1, queueInput)
	a.mm, a.pm = stats(100), stats(1000)
	b.mm = stats(100)
	out.mm, out.pm = stats(50), stats(9e6) // 9 ms a message

	start := time.Unix(1000, 0)
	u := utilization{last: start}
	window := func(injected, aPM, evals, outPM int64) []utilRow {
		in.sb.InjectMessageCount += injected
		a.sb.ProcessMessageCount += aPM
		a.matched += evals
		b.unmatched += evals
		out.matched += evals
		out.sb.ProcessMessageCount += outPM
		start = start.Add(6 * time.Second)
		return u.rows([]pluginSnapshot{in, a, b, out}, start)
	}

	got := window(600, 300, 600, 600)
	want := []utilRow{
		{"input.gen", 600, -1, -1, -1, -1},
		// Matcher 2 × 600 × 100 ns, process_message 300 × 1000 ns.
		{"analysis0", 600, 0, 28, 71, 0},
		{"analysis.a", 300, 86, 17, 83, 0},
		{"analysis.b", 0, 14, 100, 0, 0},
		// 600 × 9 ms in 6 s: 90 % busy.
		{"output.out", 600, 90, 0, 100, 0},
	}
	checkRows(t, "first window", got, want)

	// The output gets twice as slow: its highest rate stays, so half the
	// messages make 45 %.
	out.pm = stats(18e6)
	got = window(300, 0, 300, 300)
	checkRows(t, "second window", got[4:], []utilRow{{"output.out", 300, 45, 0, 100, 0}})
	if got[2] != (utilRow{"analysis.a", 0, 50, 100, 0, 0}) {
		t.Errorf("second window: %+v, want analysis.a with matcher time only", got[2])
	}

	// A window with nothing read: zeros.
	got = window(0, 0, 0, 0)
	checkRows(t, "idle window", got, []utilRow{
		{"input.gen", 0, -1, -1, -1, -1},
		{"analysis0", 0, 0, 0, 0, 0},
		{"analysis.a", 0, 0, 0, 0, 0},
		{"analysis.b", 0, 0, 0, 0, 0},
		{"output.out", 0, 0, 0, 0, 0},
	})

	var sb strings.Builder
	if err := writeUtilizationTSV(&sb, want[:2]); err != nil {
		t.Fatal(err)
	}
	wantText := "Plugin\tMessages Processed\t% Utilization\t% Message Matcher\t% Process Message\t% Timer Event\n" +
		"input.gen\t600\t-1\t-1\t-1\t-1\n" +
		"analysis0\t600\t0\t28\t71\t0\n"
	if sb.String() != wantText {
		t.Errorf("utilization.tsv:\n%s\nwant:\n%s", sb.String(), wantText)
	}
}

func checkRows(t *testing.T, what string, got, want []utilRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows %+v, want %d", what, len(got), got, len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: row %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func TestObserver(t *testing.T) {
	var o observer
	mk := func(typ config.PluginType, name string) *plugin {
		return &plugin{cfg: &config.Plugin{Type: typ, Name: name, ReadQueue: "both"}, key: cursor.Key{Type: typ.String(), Name: name}}
	}
	out, an := mk(config.Output, "out"), mk(config.Analysis, "an")
	out.sb = newTestSandbox(t, config.Output, "")
	an.sb = newTestSandbox(t, config.Analysis, "function process_message() return 0 end\nfunction timer_event() error('boom') end")
	o.add(out, -1, map[string]queue.Position{queueAnalysis: {}})
	o.add(an, 2, map[string]queue.Position{queueInput: {}})
	o.fail("input.broken", "syntax error")
	o.fail("output.out", "a reload failed, the running version goes on") // not reported: out runs
	if err := an.sb.TimerEvent(0, false); err == nil {
		t.Fatal("timer_event did not fail")
	}
	o.prunedSegments(queueInput, 2, 100)
	o.prunedSegments(queueInput, 0, 0)
	o.prunedSegments(queueInput, 1, 50)

	plugins, notLoaded := o.snapshot()
	if len(plugins) != 2 || plugins[0].w.name != "analysis.an" || plugins[1].w.name != "output.out" {
		t.Fatalf("snapshot order: %+v", plugins)
	}
	if !strings.Contains(plugins[0].failed, "boom") || plugins[1].failed != "" {
		t.Errorf("failures: %q %q", plugins[0].failed, plugins[1].failed)
	}
	if got := plugins[1].w.reads; len(got) != 1 || got[0] != queueAnalysis {
		t.Errorf("output reads %v, want [analysis]", got)
	}
	if len(notLoaded) != 1 || notLoaded[0] != [2]string{"input.broken", "syntax error"} {
		t.Errorf("not loaded: %v", notLoaded)
	}
	if c := o.prunedIn(queueInput); c != (pruneCount{segments: 3, bytes: 150}) {
		t.Errorf("pruned %+v", c)
	}

	// Loaded again: a new sandbox. Removed: gone, and its failure too.
	an2 := mk(config.Analysis, "an")
	an2.sb = newTestSandbox(t, config.Analysis, "")
	o.add(an2, 2, map[string]queue.Position{queueInput: {}})
	o.remove(out.key)
	o.remove(cursor.Key{Type: "input", Name: "broken"})
	plugins, notLoaded = o.snapshot()
	if len(plugins) != 1 || plugins[0].w.p != an2 || plugins[0].failed != "" || len(notLoaded) != 0 {
		t.Errorf("after reload and remove: %+v, %v", plugins, notLoaded)
	}
}

// newTestSandbox returns a sandbox of a plugin of typ running src (a
// trivial plugin when empty).
func newTestSandbox(t testing.TB, typ config.PluginType, src string) *sandbox.Sandbox {
	t.Helper()
	e := newEnv(t)
	if src == "" {
		src = "function process_message() return 0 end\nfunction timer_event() end\n"
	}
	file := e.path("p.lua")
	e.write(file, src)
	tab := config.NewTable(e.path("p.cfg"))
	tab.Set("filename", "p.lua")
	if typ != config.Input {
		tab.Set("message_matcher", "TRUE")
	}
	cfg, err := config.NewPlugin(typ, tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: file, Host: nopHost{}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close(false) })
	return sb
}

type nopHost struct{}

func (nopHost) Inject([]byte, sandbox.Checkpoint) error { return nil }
