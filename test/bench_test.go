package test

// End-to-end benchmarks: the real binary on a pipeline of trivial Lua
// plugins, figures reported with b.ReportMetric.
//
//	go test ./test -run '^$' -bench E2E -benchtime 1x
//	go test ./test -run '^$' -bench E2ELatency -e2e-latency-seconds 30
//	go test ./test -run '^$' -bench E2EThroughput -e2e-messages 200000
//
// Both pipelines are input → analysis (matcher TRUE, injects nothing) plus
// an output reading the input queue. The analysis plugin reads the same
// input queue as the output, so it competes for the CPU as it would in a
// deployment, but nothing it does is on the measured path.
//
// # Clocks
//
// Latencies are measured inside the daemon, with one clock: os.clock() of
// gopher-lua is time.Now().Sub(startedAt) with a single package-level
// startedAt, so every plugin of the process reads the same monotonic clock
// at nanosecond resolution (a float64 of seconds: rounding is far below a
// nanosecond for a daemon younger than days). The input stamps each
// message with Fields[sent] = os.clock() just before inject_message; the
// output computes os.clock() - sent first thing in process_message. The
// latency thus covers encoding, the append, the flush (flushLinger), the
// reader's wake-up, the read, the decode, the matcher and the call into
// the output's sandbox. The error of the measurement is two clock reads
// and a Lua field lookup, well under a microsecond.
//
// # Pacing
//
// Lua has no sleep finer than os.execute("sleep 0.001"), a fork and exec
// of about a millisecond or more that would cost as much CPU as the
// pipeline itself on two cores, and a busy wait on os.clock() would take a
// whole core. So the benchmark paces the input from Go: it makes a FIFO,
// and writes one line to it at every millisecond of a fixed schedule
// (time.Sleep to each deadline; a late tick is caught up at once, so the
// average rate stays 1,000/s). The input blocks on file:read("*l") and
// injects one message per line. The time a tick spends in the FIFO is not
// part of the latency (the message is stamped after the read); the Go
// side reports how far behind its schedule it wrote the ticks.
//
// Reading the latency figures: a continuous input never returns to the
// runner, so its messages become visible when the queue's flusher runs.
// The flusher (runner/flush.go) flushes at once on a kick unless four
// flushes already began within the last flushLinger (1 ms), so at low and
// moderate rates a message is visible within tens of microseconds; only
// under sustained load do flushes batch, at most four per millisecond.
// (With a plain 1 ms linger the distribution had a second mode at about
// 1.1 ms, set by Go's millisecond timer granularity when idle.)
//
// # Throughput
//
// A run-once input with instruction_limit 0 injects N messages as fast as
// it can in one process_message; the first carries Fields[t0] = os.clock()
// taken just before its inject_message. The output counts, and at the
// N-th message writes os.clock() - t0 to a marker file: messages/s is N
// over that, from the first inject to the last message handed to the
// output. output_size is 1 GiB so that the input queue is one segment
// that pruning never deletes, and its size over N is the queue bytes per
// message (frame header included).

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

var (
	e2eLatencySeconds = flag.Int("e2e-latency-seconds", 10, "measured seconds of BenchmarkE2ELatency, at 1,000 messages/s")
	e2eMessages       = flag.Int("e2e-messages", 1_000_000, "messages injected by BenchmarkE2EThroughput")
)

const (
	latencyRate   = 1000 // messages per second
	latencyWarmup = 1000 // first messages not counted (one second)
)

// benchAnalysis is the analysis plugin of both pipelines: it matches
// every message and injects nothing.
var benchAnalysis = map[string]string{
	"run/analysis/sink.cfg": "filename = \"sink.lua\"\nmessage_matcher = \"TRUE\"\n",
	"run/analysis/sink.lua": `
function process_message() return 0 end
function timer_event(ns, shutdown) end
`,
}

// latencyPlugins: an input injecting one message per line of the FIFO
// tick_path, stamped with os.clock(); an output writing "seq latency_ns"
// per message, and a marker file once it has seen total messages.
var latencyPlugins = map[string]string{
	"run/input/paced.lua": `
require "io"
require "os"
function process_message()
    local ticks = assert(io.open(read_config("tick_path"), "r"))
    local ready = assert(io.open(read_config("ready_path"), "w"))
    ready:close()
    local seq = 0
    while ticks:read("*l") do
        seq = seq + 1
        inject_message({Type = "lat", Fields = {seq = seq, sent = os.clock()}})
    end
    ticks:close()
    return 0
end
`,
	"run/output/latency.lua": `
require "io"
require "os"
require "string"
local out = assert(io.open(read_config("record"), "w"))
local total, done = read_config("total"), read_config("done")
local seen = 0
function process_message()
    local now = os.clock()
    local sent, seq = read_message("Fields[sent]"), read_message("Fields[seq]")
    out:write(string.format("%d %.0f\n", seq, (now - sent) * 1e9))
    seen = seen + 1
    if seen == total then
        out:flush()
        assert(io.open(done, "w")):close()
    end
    return 0
end
function timer_event(ns, shutdown) out:flush() end
`,
}

// BenchmarkE2ELatency runs the real binary with an input injecting 1,000
// messages/s and reports the latency from inject_message in the input to
// process_message in an output reading the input queue: p50, p99 and max
// in ms, after one second of warm-up. See the file comment for the clock
// and the pacing.
func BenchmarkE2ELatency(b *testing.B) {
	skipUnderRace(b)
	total := latencyWarmup + *e2eLatencySeconds*latencyRate
	var lat []time.Duration
	var behind time.Duration // worst lateness of a tick against the schedule
	for range b.N {
		l, late := runLatency(b, total)
		lat = append(lat, l...)
		behind = max(behind, late)
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(benchPercentile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(benchPercentile(lat, 0.90)), "p90-ms")
	b.ReportMetric(ms(benchPercentile(lat, 0.99)), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(ms(benchMean(lat)), "mean-ms")
	b.ReportMetric(float64(len(lat)), "msgs")
	b.Logf("%d messages at %d/s; ticks written at most %v behind schedule", len(lat), latencyRate, behind.Round(time.Microsecond))
}

// runLatency runs the latency pipeline once for total messages and
// returns the latencies after the warm-up, and how late the latest tick
// was written.
func runLatency(b *testing.B, total int) ([]time.Duration, time.Duration) {
	b.StopTimer()
	dir := b.TempDir()
	tick := filepath.Join(dir, "tick")
	if err := syscall.Mkfifo(tick, 0o600); err != nil {
		b.Fatal(err)
	}
	// O_RDWR: opening does not wait for the reader, and the input's read
	// sees EOF once this is closed.
	fifo, err := os.OpenFile(tick, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	ready, done, record := filepath.Join(dir, "ready"), filepath.Join(dir, "done"), filepath.Join(dir, "latency.txt")
	tree := map[string]string{
		"sightline.toml": mainConfig(`log_level = "warning"`),
		"run/input/paced.cfg": fmt.Sprintf("filename = \"paced.lua\"\ninstruction_limit = 0\ntick_path = %q\nready_path = %q\n",
			tick, ready),
		"run/output/latency.cfg": fmt.Sprintf("filename = \"latency.lua\"\nmessage_matcher = \"Type == 'lat'\"\nread_queue = \"input\"\nrecord = %q\ndone = %q\ntotal = %d\n",
			record, done, total),
	}
	for _, m := range []map[string]string{benchAnalysis, latencyPlugins} {
		for k, v := range m {
			tree[k] = v
		}
	}
	files(b, dir, tree)

	p := start(b, dir, filepath.Join(dir, "sightline.toml"))
	defer benchStop(b, dir, p)
	defer fifo.Close() // first: the input's read ends before the stop (a second Close is harmless)
	if !waitFor(func() bool { return fileExists(ready) }, 30*time.Second) {
		b.Fatalf("the input did not open the FIFO; stderr:\n%s", p.stderr)
	}

	b.StartTimer()
	var late time.Duration
	t0 := time.Now()
	for i := range total {
		at := t0.Add(time.Duration(i) * time.Second / latencyRate)
		time.Sleep(time.Until(at))
		late = max(late, time.Since(at))
		if _, err := fifo.Write([]byte{'\n'}); err != nil {
			b.Fatal(err)
		}
	}
	if err := fifo.Close(); err != nil {
		b.Fatal(err)
	}
	ok := waitFor(func() bool { return fileExists(done) }, 30*time.Second)
	b.StopTimer()
	if !ok {
		b.Fatalf("the output did not see %d messages (%d lines); stderr:\n%s", total, len(readLines(b, record)), p.stderr)
	}

	lines := readLines(b, record)
	if len(lines) != total {
		b.Fatalf("%d latency records, want %d", len(lines), total)
	}
	lat := make([]time.Duration, 0, total-latencyWarmup)
	for i, l := range lines {
		seq, ns, ok := strings.Cut(l, " ")
		if !ok || seq != strconv.Itoa(i+1) {
			b.Fatalf("latency record %d = %q, want sequence %d first", i+1, l, i+1)
		}
		v, err := strconv.ParseInt(ns, 10, 64)
		if err != nil || v < 0 {
			b.Fatalf("latency record %d = %q: bad latency", i+1, l)
		}
		if i >= latencyWarmup {
			lat = append(lat, time.Duration(v))
		}
	}
	return lat, late
}

// throughputPlugins: a run-once input injecting count messages, the first
// carrying t0; an output writing "count elapsed_seconds" to the file done
// once it has seen count messages.
var throughputPlugins = map[string]string{
	"run/input/burst.lua": `
require "os"
function process_message()
    local n = read_config("count")
    inject_message({Type = "tp", Payload = "x", Fields = {t0 = os.clock()}})
    local msg = {Type = "tp", Payload = "x"}
    for i = 2, n do
        inject_message(msg)
    end
    return 0
end
`,
	"run/output/count.lua": `
require "io"
require "os"
local n, done = read_config("count"), read_config("done")
local seen, t0 = 0, nil
function process_message()
    seen = seen + 1
    if seen == 1 then t0 = read_message("Fields[t0]") end
    if seen == n then
        local elapsed = os.clock() - t0
        local f = assert(io.open(done .. ".tmp", "w"))
        f:write(tostring(seen), " ", tostring(elapsed), "\n")
        f:close()
        assert(os.rename(done .. ".tmp", done))
    end
    return 0
end
function timer_event(ns, shutdown) end
`,
}

// BenchmarkE2EThroughput runs the real binary with an input injecting
// -e2e-messages small messages as fast as it can, and reports the
// messages/s from the first inject to the last message handed to an output
// reading the input queue, and the input queue's bytes per message.
func BenchmarkE2EThroughput(b *testing.B) {
	skipUnderRace(b)
	n := *e2eMessages
	var elapsed, wall time.Duration
	var bytes int64
	for range b.N {
		e, w, sz := runThroughput(b, n)
		elapsed += e
		wall += w
		bytes += sz
	}
	msgs := float64(n) * float64(b.N)
	b.ReportMetric(msgs/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(bytes)/msgs, "queue-B/msg")
	b.ReportMetric(msgs/wall.Seconds(), "wall-msgs/s")
	b.Logf("%d messages: %v from the first inject to the output's last message; %v from starting the process (startup included)",
		n, elapsed.Round(time.Millisecond), wall.Round(time.Millisecond))
}

// runThroughput runs the throughput pipeline once and returns the time
// from the first inject to the output's n-th message (daemon clock), the
// time from starting the process to seeing the marker (benchmark clock),
// and the size of the input queue.
func runThroughput(b *testing.B, n int) (elapsed, wall time.Duration, queueBytes int64) {
	b.StopTimer()
	dir := b.TempDir()
	done := filepath.Join(dir, "done")
	tree := map[string]string{
		"sightline.toml":      mainConfig(`output_size = "1GiB"`, `log_level = "warning"`),
		"run/input/burst.cfg": fmt.Sprintf("filename = \"burst.lua\"\ninstruction_limit = 0\ncount = %d\n", n),
		"run/output/count.cfg": fmt.Sprintf("filename = \"count.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\ncount = %d\ndone = %q\n",
			n, done),
	}
	for _, m := range []map[string]string{benchAnalysis, throughputPlugins} {
		for k, v := range m {
			tree[k] = v
		}
	}
	files(b, dir, tree)

	b.StartTimer()
	t0 := time.Now()
	p := start(b, dir, filepath.Join(dir, "sightline.toml"))
	defer benchStop(b, dir, p)
	ok := waitFor(func() bool { return fileExists(done) }, 10*time.Minute)
	wall = time.Since(t0)
	b.StopTimer()
	if !ok {
		b.Fatalf("the output did not see %d messages; stderr:\n%s", n, p.stderr)
	}

	lines := readLines(b, done)
	var seen int
	var secs float64
	if len(lines) != 1 {
		b.Fatalf("marker file: %q", lines)
	}
	if _, err := fmt.Sscanf(lines[0], "%d %g", &seen, &secs); err != nil || seen != n {
		b.Fatalf("marker file: %q (%v), want %d messages", lines[0], err, n)
	}
	segs, err := filepath.Glob(filepath.Join(dir, "output", "input", "*.log"))
	if err != nil {
		b.Fatal(err)
	}
	if len(segs) != 1 {
		b.Fatalf("input queue: %d segments, want 1 (pruned or rolled?)", len(segs))
	}
	fi, err := os.Stat(segs[0])
	if err != nil {
		b.Fatal(err)
	}

	// The analysis plugin is off the measured path; check that it read
	// every message all the same (its cursor is saved every
	// checkpoint_interval, so this is coarse).
	var at queue.Position
	caughtUp := waitFor(func() bool {
		st, _, err := cursor.Load(cursor.Path(filepath.Join(dir, "output"), "analysis", "sink"))
		if err != nil {
			b.Fatal(err)
		}
		at = st.Queues["input"]
		return at.Offset == fi.Size()
	}, 60*time.Second)
	if !caughtUp {
		b.Fatalf("the analysis plugin is at %v, the input queue ends at %s:%d", at, filepath.Base(segs[0]), fi.Size())
	}
	b.Logf("the analysis plugin's saved cursor reached the end of the input queue %v after the process started",
		time.Since(t0).Round(100*time.Millisecond))
	return time.Duration(secs * float64(time.Second)), wall, fi.Size()
}

// benchStop stops the daemon in dir cleanly and fails on errors it
// logged or plugins it terminated.
func benchStop(b *testing.B, dir string, p *proc) {
	b.Helper()
	p.stop(b)
	if s := p.stderr.String(); strings.Contains(s, "level=ERROR") {
		b.Fatalf("errors logged:\n%s", s)
	}
	errs, err := filepath.Glob(filepath.Join(dir, "run", "*", "*.err"))
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range errs {
		data, _ := os.ReadFile(e)
		b.Errorf("plugin terminated: %s: %s", e, data)
	}
}

// skipUnderRace skips a benchmark whose daemon would run with the race
// detector: its figures would say nothing about sightline.
func skipUnderRace(b *testing.B) {
	if raceEnabled {
		b.Skip("figures under -race are meaningless")
	}
}

// benchPercentile is the nearest-rank p-quantile of sorted durations.
func benchPercentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func benchMean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
