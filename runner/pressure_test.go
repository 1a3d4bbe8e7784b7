package runner

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

// logBuf is a logger whose lines a test can search.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) has(s string) bool { return strings.Contains(l.String(), s) }

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// gated is an output that refuses every message with -3 (retry) until the
// file named by its cfg key "gate" exists, then records like recorder.
const gated = `
require "io"
local gate = read_config("gate")
local file = assert(io.open(read_config("record"), "a"))
function process_message()
    local g = io.open(gate, "r")
    if not g then return -3 end
    g:close()
    file:write(tostring(read_message("Fields[n]")), "\n")
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`

func gatedCfg(gate, record, readQueue string) string {
	return fmt.Sprintf("message_matcher = \"TRUE\"\nread_queue = %q\ngate = %q\nrecord = %q\n", readQueue, gate, record)
}

// fastOpts evaluate backpressure every 20 ms.
func fastOpts(log *logBuf) Options {
	return Options{Logger: log.logger(), PruneInterval: 20 * time.Millisecond, RetryDelay: 5 * time.Millisecond, StopTimeout: 5 * time.Second}
}

// topSegment returns the highest segment id of a queue.
func (e *env) topSegment(q string) uint64 {
	ids := e.segments(q)
	if len(ids) == 0 {
		return 0
	}
	return ids[len(ids)-1]
}

func TestGate(t *testing.T) {
	var g gate
	if _, held := g.held(holdLag); held {
		t.Fatal("held at zero")
	}
	g.update(holdPressure, holdLag|holdDisk)
	ch, held := g.held(holdDisk)
	if !held {
		t.Fatal("not held by disk")
	}
	if _, held := g.held(holdFailed); held {
		t.Fatal("held by failed")
	}
	g.update(holdLag, 0) // disk still set: the waiter is woken all the same
	select {
	case <-ch:
	default:
		t.Fatal("waiter not woken by a change")
	}
	if old := g.update(holdPressure, 0); old != holdDisk {
		t.Fatalf("old bits %b", old)
	}
	if _, held := g.held(holdPressure); held {
		t.Fatal("still held")
	}
}

// TestPressureFlows: the inputs' gate counts every running reader; a
// flow's own gate leaves out itself and the flows waiting in Inject, so
// two flows injecting into each other's queue, or an output injecting
// into the queue it reads, are never held for good.
func TestPressureFlows(t *testing.T) {
	e := newEnv(t, `output_size = 100`, `backpressure = 2`, `backpressure_disk_free = 0`)
	d, err := open(e.config(), Options{Logger: testLogger(t), PruneInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.closeQueues()
	msg := bytes.Repeat([]byte("m"), 120) // one record a segment
	for range 5 {
		if _, err := d.inW.Append(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := d.anW.Append(msg); err != nil {
			t.Fatal(err)
		}
	}
	wIn, wAn := d.inW.Position().Segment, d.anW.Position().Segment
	if wIn != 5 || wAn != 5 {
		t.Fatalf("writers at %d, %d", wIn, wAn)
	}

	// G: an analysis group (input → analysis); O: an output reading both
	// and injecting into the input queue.
	g := &flow{name: "G", into: qAn}
	o := &flow{name: "O", into: qIn}
	g.open(qIn, queue.Position{})
	o.open(qIn, queue.Position{Segment: 4})
	o.open(qAn, queue.Position{})
	d.addFlow(g)
	d.addFlow(o)
	held := func(f *flow) bool { _, h := f.lag.held(holdLag); return h }
	inputsHeld := func() bool { _, h := d.inQ.gate.held(inputHolds); return h }

	d.pressure(false)
	if !inputsHeld() {
		t.Fatal("inputs not held with G 5 segments behind")
	}
	if !held(g) || !held(o) {
		t.Fatalf("G held %v (O lags on analysis), O held %v (G lags on input): want both", held(g), held(o))
	}
	// Both wait in Inject: each leaves the other out, both go on.
	g.waiting.Store(true)
	o.waiting.Store(true)
	d.pressure(false)
	if held(g) || held(o) {
		t.Fatalf("G held %v, O held %v with both waiting: a deadlock", held(g), held(o))
	}
	if !inputsHeld() {
		t.Fatal("inputs released while the readers wait")
	}
	g.waiting.Store(false)
	o.waiting.Store(false)

	// G catches up on the input queue: O may inject, the inputs still
	// wait for... nobody: O reads the input queue at 4.
	g.at(qIn, queue.Position{Segment: 5})
	d.pressure(false)
	if held(o) {
		t.Fatal("O held with every other input reader level")
	}
	if inputsHeld() {
		t.Fatal("inputs held with the slowest reader 1 segment behind")
	}
	if !held(g) {
		t.Fatal("G not held while O lags 5 segments on the analysis queue")
	}

	// An output alone, injecting into the queue it lags on: it does not
	// hold itself; the inputs wait for it.
	d.dropFlow(g)
	o.at(qIn, queue.Position{Segment: 0})
	d.pressure(false)
	if held(o) {
		t.Fatal("O holds itself")
	}
	if !inputsHeld() {
		t.Fatal("inputs not held by O's lag")
	}
	// A flow that stopped reading counts no more.
	o.close(qIn)
	d.pressure(false)
	if inputsHeld() {
		t.Fatal("inputs held by a reader that stopped")
	}
}

// TestBackpressureLag: with an output refusing every message, the input
// is held a few segments ahead of it ("applying backpressure (lag)"), and
// goes on when the output does: every message arrives once.
func TestBackpressureLag(t *testing.T) {
	const n = 3000
	e := newEnv(t, `output_size = 1024`, `backpressure = 2`, `backpressure_disk_free = 0`)
	gate, rec := e.path("gate"), e.path("rec.txt")
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	e.plugin("output", "rec", gatedCfg(gate, rec, "input"), gated)
	var log logBuf
	r := e.start(fastOpts(&log))
	defer r.stop(t)
	if !waitFor(func() bool { return log.has("applying backpressure (lag)") }, 10*time.Second) {
		t.Fatalf("no backpressure; log:\n%s", log.String())
	}
	time.Sleep(100 * time.Millisecond) // an append in flight when the gate closed
	top := e.topSegment(queueInput)
	time.Sleep(300 * time.Millisecond)
	if now := e.topSegment(queueInput); now != top {
		t.Fatalf("input queue grew from segment %d to %d under backpressure", top, now)
	}
	if top > 40 { // n messages fill about 150
		t.Fatalf("input held only at segment %d", top)
	}
	if st, _ := e.loadCursor("input", "gen"); st.Checkpoint.Number >= n {
		t.Fatalf("input finished under backpressure")
	}
	e.write(gate, "")
	if !waitFor(countLines(t, rec, n), 20*time.Second) {
		t.Fatalf("%d of %d messages; log:\n%s", len(lines(t, rec)), n, log.String())
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	checkSeq(t, lines(t, rec), 1, n, 1)
	if !log.has("releasing backpressure") {
		t.Error("no release logged")
	}
}

// reflector is an output that, for every message whose Fields[n] is set,
// injects {Type = <cfg type>, Fields = {n}} into the input queue.
const reflector = `
local typ = read_config("type")
function process_message()
    local n = read_message("Fields[n]")
    inject_message({Type = typ, Fields = {n = {value = n, value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`

// TestBackpressureNoDeadlock: an analysis plugin injecting into the
// analysis queue, an output reading it and injecting into the input
// queue, and an output injecting into the input queue it reads, all under
// a tight backpressure: every message gets through.
func TestBackpressureNoDeadlock(t *testing.T) {
	const n = 600
	e := newEnv(t, `output_size = 1024`, `backpressure = 1`, `backpressure_disk_free = 0`)
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	e.plugin("analysis", "double", "message_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1", doubler)
	e.plugin("output", "back", "message_matcher = \"Type == 'double'\"\nread_queue = \"analysis\"\ntype = \"back\"", reflector)
	e.plugin("output", "self", "message_matcher = \"Type == 'seq'\"\nread_queue = \"input\"\ntype = \"self\"", reflector)
	backs, selfs := e.path("back.txt"), e.path("self.txt")
	e.plugin("output", "recb", recorderCfg(backs, "Type == 'back'", "input"), recorder)
	e.plugin("output", "recs", recorderCfg(selfs, "Type == 'self'", "input"), recorder)
	var log logBuf
	r := e.start(fastOpts(&log))
	ok := waitFor(func() bool {
		return len(lines(t, backs)) >= n && len(lines(t, selfs)) >= n
	}, 30*time.Second)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("%d and %d of %d messages through the loops; log:\n%s", len(lines(t, backs)), len(lines(t, selfs)), n, log.String())
	}
	checkSeq(t, lines(t, backs), 1, n, 2)
	checkSeq(t, lines(t, selfs), 1, n, 1)
	if !log.has("applying backpressure") {
		t.Error("backpressure never applied: the test proves nothing")
	}
}

// paddedDoubler is doubler with a 256-byte Payload.
const paddedDoubler = `
require "string"
function process_message()
    local n = read_message("Fields[n]")
    inject_message({Type = "double", Payload = string.rep("x", 256), Fields = {n = {value = 2 * n, value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`

// TestShutdownWhileHeld: an input and an analysis plugin waiting in
// inject_message (readers stuck) do not hold the shutdown up; they stop,
// not terminate (no .err), and a restart delivers everything once.
func TestShutdownWhileHeld(t *testing.T) {
	const n = 2000
	e := newEnv(t, `output_size = 1024`, `backpressure = 1`, `backpressure_disk_free = 0`)
	gate := e.path("gate")
	recIn, recAn := e.path("in.txt"), e.path("an.txt")
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	// Its messages are bigger than the input's: its queue reaches the lag
	// first, so it is held with input records left to process (with the
	// doubler's smaller ones, both queues were held at once, and it had
	// often processed every record: nothing to wait in).
	e.plugin("analysis", "double", "message_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1", paddedDoubler)
	e.plugin("output", "in", gatedCfg(gate, recIn, "input"), gated)
	e.plugin("output", "an", gatedCfg(gate, recAn, "analysis"), gated)
	var log logBuf
	opts := fastOpts(&log)
	r := e.start(opts)
	if !waitFor(func() bool {
		return log.has("applying backpressure (lag)") && log.has(`"injection waits" plugin=analysis.double`)
	}, 10*time.Second) {
		r.stop(t)
		t.Fatalf("not held; log:\n%s", log.String())
	}
	start := time.Now()
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v with held injections", d)
	}
	for _, f := range []string{"input/gen.err", "analysis/double.err"} {
		if _, err := os.Stat(e.path("run", f)); err == nil {
			t.Errorf("%s written: the plugin terminated instead of stopping", f)
		}
	}
	if log.has("abandoning") {
		t.Errorf("a plugin was abandoned; log:\n%s", log.String())
	}

	e.write(gate, "")
	e.run(Options{Logger: testLogger(t)}, "every message after a restart", func() bool {
		return len(lines(t, recIn)) >= n && len(lines(t, recAn)) >= n
	})
	checkSeq(t, dedup(lines(t, recIn)), 1, n, 1)
	checkSeq(t, dedup(lines(t, recAn)), 1, n, 2)
}

// TestLagPastEmptySegments: readers that have read every record wait at
// the writer's segment, with segments without a record behind them (each
// start of a writer that wrote nothing, a writer that rolled and then
// closed). Lag backpressure counts them where they read, not at their
// last record: the input is not held for good.
func TestLagPastEmptySegments(t *testing.T) {
	const n = 100
	e := newEnv(t, `output_size = 1024`, `backpressure = 1`, `backpressure_disk_free = 0`)
	// Segments 0 and 1 empty: the daemon writes segment 2, the readers
	// start at segment 0.
	for range 2 {
		w, err := queue.OpenWriter(e.path("output", queueInput), queue.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fifo, recIn, recAn := e.path("fifo"), e.path("in.txt"), e.path("an.txt")
	fd := newFeeder(t, fifo)
	e.plugin("input", "feed", fmt.Sprintf("fifo = %q", fifo), fifoInput)
	e.plugin("analysis", "tag", taggerCfg("tagged"), tagger)
	e.plugin("output", "in", recorderCfg(recIn, "Type == 'seq'", "input"), recorder)
	e.plugin("output", "an", recorderCfg(recAn, "Type == 'tagged'", "analysis"), recorder)
	var log logBuf
	var ticks atomic.Int32
	opts := fastOpts(&log)
	opts.Heartbeat = func() { ticks.Add(1) }
	r := e.start(opts)
	defer r.stop(t)
	// Backpressure is evaluated before the first record: no reader has
	// read one yet.
	if !waitFor(func() bool { return ticks.Load() >= 2 }, 10*time.Second) {
		t.Fatal("no maintenance tick")
	}
	fd.feed(n)
	ok := waitFor(func() bool {
		return len(lines(t, recIn)) >= n && len(lines(t, recAn)) >= n
	}, 10*time.Second)
	fd.close()
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("%d and %d of %d messages through; log:\n%s", len(lines(t, recIn)), len(lines(t, recAn)), n, log.String())
	}
	checkSeq(t, lines(t, recIn), 1, n, 1)
	checkSeq(t, lines(t, recAn), 1, n, 1)
}

// dedup drops repeated lines, keeping the first of each.
func dedup(ls []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range ls {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// TestQueueFullDropOldest: with an output refusing everything, the input
// queue stays under max_queue_size by losing its oldest segments, logged
// with the plugin that loses them; once it goes on the output reads on
// from the oldest segment left.
func TestQueueFullDropOldest(t *testing.T) {
	const n = 3000
	e := newEnv(t, `output_size = 1024`, `max_queue_size = 4096`, `queue_full = "drop_oldest"`, `backpressure_disk_free = 0`)
	gate, rec := e.path("gate"), e.path("rec.txt")
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	e.plugin("output", "rec", gatedCfg(gate, rec, "input"), gated)
	var log logBuf
	r := e.start(fastOpts(&log))
	defer r.stop(t)
	if !waitFor(func() bool {
		st, _ := e.loadCursor("input", "gen")
		return st.Checkpoint.Number >= n
	}, 20*time.Second) {
		t.Fatalf("the input did not finish; log:\n%s", log.String())
	}
	time.Sleep(100 * time.Millisecond) // a tick after the last roll
	var size int64
	segs, _ := queue.Segments(e.path("output", queueInput))
	for _, s := range segs {
		size += s.Size
	}
	if size > 4096+1024 {
		t.Fatalf("input queue holds %d bytes, max_queue_size 4096", size)
	}
	if !log.has("deleted its oldest segments") || !log.has("plugins_losing_data=[output.rec]") {
		t.Fatalf("drop not logged with its loser; log:\n%s", log.String())
	}
	e.write(gate, "")
	if !waitFor(func() bool {
		l := lines(t, rec)
		return len(l) > 0 && l[len(l)-1] == fmt.Sprint(n)
	}, 10*time.Second) {
		t.Fatalf("the output did not reach the last message: %d lines", len(lines(t, rec)))
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	got := lines(t, rec)
	if len(got) >= n || len(got) < 20 {
		t.Fatalf("%d messages delivered of %d, most dropped", len(got), n)
	}
	if !log.has("segment missing") {
		t.Error("the reader's loss is not logged")
	}
}

// TestQueueFullBlock: queue_full = block holds the input at
// max_queue_size until the output reads.
func TestQueueFullBlock(t *testing.T) {
	const n = 2000
	// The queue shrinks when pruned below the saved cursors: save often.
	e := newEnv(t, `output_size = 1024`, `max_queue_size = 8192`, `backpressure_disk_free = 0`, `checkpoint_interval = "20ms"`)
	gate, rec := e.path("gate"), e.path("rec.txt")
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	e.plugin("output", "rec", gatedCfg(gate, rec, "input"), gated)
	var log logBuf
	r := e.start(fastOpts(&log))
	defer r.stop(t)
	if !waitFor(func() bool { return log.has("applying backpressure (max_queue_size)") }, 10*time.Second) {
		t.Fatalf("not held; log:\n%s", log.String())
	}
	if st, _ := e.loadCursor("input", "gen"); st.Checkpoint.Number >= n {
		t.Fatal("input finished over max_queue_size")
	}
	e.write(gate, "")
	if !waitFor(countLines(t, rec, n), 20*time.Second) {
		t.Fatalf("%d of %d", len(lines(t, rec)), n)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	checkSeq(t, lines(t, rec), 1, n, 1)
}

// TestPruneStoppedUnderDiskFloor: a stopped plugin's cursor keeps its
// data, until free disk is under the backpressure_disk_free floor; then
// its segments go, logged, and the running reader is not held up.
func TestPruneStoppedUnderDiskFloor(t *testing.T) {
	const n = 500
	e := newEnv(t, `output_size = 1024`, `backpressure_disk_free = 0`)
	rec := e.path("rec.txt")
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), counter)
	e.plugin("output", "rec", recorderCfg(rec, "TRUE", "input"), recorder)
	e.run(Options{Logger: testLogger(t), PruneInterval: 20 * time.Millisecond}, "every message", countLines(t, rec, n))

	// output.old stopped long ago at the start of the queue.
	first := e.segments(queueInput)
	if err := cursor.Save(cursor.Path(e.path("output"), "output", "old"), cursor.State{Queues: map[string]queue.Position{queueInput: {Segment: first[0]}}}); err != nil {
		t.Fatal(err)
	}
	e.plugin("input", "gen", fmt.Sprintf("count = %d", 2*n), counter)
	e.run(Options{Logger: testLogger(t), PruneInterval: 20 * time.Millisecond}, "the new messages", countLines(t, rec, 2*n))
	if segs := e.segments(queueInput); segs[0] != first[0] {
		t.Fatalf("the stopped plugin's data was pruned with the disk above the floor: %v", segs)
	}

	// The same with free disk under the floor (a floor over any disk).
	e.main = []string{`output_size = 1024`, `backpressure_disk_free = 1000000000000`}
	var log logBuf
	r := e.start(Options{Logger: log.logger(), PruneInterval: 20 * time.Millisecond})
	ok := waitFor(func() bool { return e.segments(queueInput)[0] != first[0] }, 5*time.Second)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("stopped plugin's segments kept under the disk floor; log:\n%s", log.String())
	}
	if !log.has("only stopped or terminated plugins had not read") || !log.has("plugins_losing_data=[output.old]") {
		t.Fatalf("loss not logged; log:\n%s", log.String())
	}
	if !log.has("applying backpressure (disk)") {
		t.Error("no disk backpressure under the floor")
	}
}

// BenchmarkAppendHeld is an injection's path to the queue with nothing
// holding it, against the writer's Append alone.
func BenchmarkAppendHeld(b *testing.B) {
	e := newEnv(b, `backpressure = 4`)
	d, err := open(e.config(), Options{Logger: testLogger(b), PruneInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer d.closeQueues()
	msg := bytes.Repeat([]byte("m"), 100)
	b.Run("Append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.inW.Append(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendHeld", func(b *testing.B) {
		h := holdSpec{mask: inputHolds, p: &plugin{key: cursor.Key{Type: "input", Name: "bench"}}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.appendHeld(d.inQ, msg, &h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// catcher is counter written as a plugin that catches inject errors (as a
// Lua decoder called under pcall does) and then tries a checkpoint far
// ahead: once a message was refused, the checkpoint must be refused too,
// or the messages after the refused one would never be read again.
const catcher = `
function process_message(cp)
    local n = read_config("count")
    for i = (cp or 0) + 1, n do
        local ok = pcall(inject_message, {Type = "seq", Payload = tostring(i), Fields = {n = {value = i, value_type = 2}}}, i)
        if not ok then
            pcall(inject_message, nil, n)
            return 0
        end
    end
    return 0
end
`

func TestNoCheckpointAfterARefusedMessage(t *testing.T) {
	const n = 2000
	e := newEnv(t, `output_size = 1024`, `backpressure = 1`, `backpressure_disk_free = 0`)
	gate := e.path("gate")
	rec := e.path("in.txt")
	e.plugin("input", "gen", fmt.Sprintf("count = %d", n), catcher)
	e.plugin("output", "in", gatedCfg(gate, rec, "input"), gated)
	var log logBuf
	r := e.start(fastOpts(&log))
	if !waitFor(func() bool { return log.has("applying backpressure (lag)") }, 10*time.Second) {
		r.stop(t)
		t.Fatalf("not held; log:\n%s", log.String())
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	st, _ := e.loadCursor("input", "gen")
	if st.Checkpoint.Number >= n {
		t.Fatalf("checkpoint %v saved after a refused message", st.Checkpoint.Number)
	}
	e.write(gate, "")
	e.run(Options{Logger: testLogger(t)}, "every message after a restart", countLines(t, rec, n))
	checkSeq(t, dedup(lines(t, rec)), 1, n, 1)
}
