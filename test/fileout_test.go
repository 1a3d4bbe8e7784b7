package test

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

// fileOutPlugins: an input numbering its messages (Payload = number =
// checkpoint), continuous and paced unless limit is set, and file.lua
// writing the Payloads as lines.
var fileOutPlugins = map[string]string{
	"run/input/gen.lua": `
require "os"
local batch = read_config("batch") or 50
local limit = read_config("limit") or 0
local pace = read_config("pace")
function process_message(cp)
    local seq = cp or 0
    while is_running() and (limit == 0 or seq < limit) do
        for i = 1, batch do
            seq = seq + 1
            inject_message({Type = "seq", Payload = tostring(seq)}, seq)
            if seq == limit then break end
        end
        if pace then os.execute("sleep " .. pace) end
    end
    return 0
end
`,
}

// fileOutTree returns the files of a pipeline: gen.cfg with genKeys,
// file.cfg (file.lua reading the input queue) with fileKeys.
func fileOutTree(mainExtra []string, genKeys, fileKeys string) map[string]string {
	tree := map[string]string{
		"sightline.toml":      mainConfig(mainExtra...),
		"run/input/gen.cfg":   "filename = \"gen.lua\"\ninstruction_limit = 0\n" + genKeys,
		"run/output/file.cfg": "filename = \"file.lua\"\nmessage_matcher = \"Type == 'seq'\"\nread_queue = \"input\"\n" + fileKeys,
		"run/analysis/.keep":  "",
	}
	for k, v := range fileOutPlugins {
		tree[k] = v
	}
	return tree
}

// outLines reads the lines of every file under dir: how often each
// number appears, and the lines that are not numbers.
func outLines(t testing.TB, dir string) (seen map[int]int, bad []string) {
	t.Helper()
	seen = map[int]int{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		for _, l := range readLines(t, p) {
			n, err := strconv.Atoi(l)
			if err != nil || n <= 0 {
				bad = append(bad, l)
				continue
			}
			seen[n]++
		}
		return nil
	})
	return seen, bad
}

// committedSeqs returns the numbers of the messages of the input queue
// at or before the saved cursor of output.file (the queue's remaining
// segments: older ones were pruned).
func committedSeqs(t testing.TB, dir string) []int {
	t.Helper()
	st, ok, err := cursor.Load(cursor.Path(filepath.Join(dir, "output"), "output", "file"))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nil
	}
	cp := st.Queues["input"]
	r, err := queue.OpenReader(filepath.Join(dir, "output", "input"), queue.Position{}, queue.ReaderOptions{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []int
	for r.TryNext() && !cp.Less(r.Position()) {
		n, err := strconv.Atoi(string(r.Message().Payload()))
		if err != nil {
			t.Fatalf("queue message %q", r.Message().Payload())
		}
		out = append(out, n)
	}
	return out
}

// waitRunning waits until the daemon logged that it runs (log_level
// info), so that a SIGTERM finds its handler installed.
func waitRunning(t testing.TB, p *proc) {
	t.Helper()
	if !waitFor(func() bool { return strings.Contains(p.stderr.String(), "sightline running") }, 30*time.Second) {
		t.Fatalf("the daemon did not start; stderr:\n%s", p.stderr)
	}
}

// TestFileOutputCrash SIGKILLs the daemon while file.lua writes a stream
// rolled by size, and after each kill checks the promise of the output:
// every message at or before its saved cursor is in the files. At the
// end every message is in the files, none invented, none torn.
func TestFileOutputCrash(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, fileOutTree(
		[]string{`output_size = "32KiB"`, `checkpoint_interval = "100ms"`, `log_level = "info"`},
		"pace = 0.004\n",
		"output_dir = \"out\"\nformat = \"payload\"\nroll_size = 4096\nflush_count = 50\nflush_interval = 100\nticker_interval = 1\n"))
	cfg := filepath.Join(dir, "sightline.toml")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	checked := 0
	for round := range 6 {
		p := start(t, dir, cfg)
		time.Sleep(time.Duration(200+rng.IntN(500)) * time.Millisecond)
		p.kill(t)
		if s := p.stderr.String(); strings.Contains(s, "level=ERROR") {
			t.Fatalf("round %d: errors logged:\n%s", round, s)
		}
		seen, _ := outLines(t, filepath.Join(dir, "out"))
		committed := committedSeqs(t, dir)
		for _, n := range committed {
			if seen[n] == 0 {
				t.Fatalf("round %d: message %d is before the saved cursor but in no file", round, n)
			}
		}
		checked += len(committed)
	}
	if checked == 0 {
		t.Fatal("no cursor was ever saved: nothing checked")
	}

	// A clean stop fixes the last number, once the input went past every
	// number a killed run wrote; then the output drains alone.
	seen, _ := outLines(t, filepath.Join(dir, "out"))
	highest := 0
	for n := range seen {
		highest = max(highest, n)
	}
	p := start(t, dir, cfg)
	waitRunning(t, p)
	if !waitFor(func() bool { return inputCheckpoint(t, dir) > float64(highest) }, 30*time.Second) {
		t.Fatalf("the input made no progress; stderr:\n%s", p.stderr)
	}
	p.stop(t)
	st, _, err := cursor.Load(cursor.Path(filepath.Join(dir, "output"), "input", "gen"))
	if err != nil {
		t.Fatal(err)
	}
	total := int(st.Checkpoint.Number)
	if err := os.Rename(filepath.Join(dir, "run/input/gen.cfg"), filepath.Join(dir, "run/input/gen.off")); err != nil {
		t.Fatal(err)
	}
	p = start(t, dir, cfg)
	waitRunning(t, p)
	var bad []string
	drained := waitFor(func() bool {
		seen, bad = outLines(t, filepath.Join(dir, "out"))
		return len(seen) >= total
	}, 60*time.Second)
	p.stop(t)
	seen, bad = outLines(t, filepath.Join(dir, "out"))
	dups := 0
	for n, c := range seen {
		if n > total {
			t.Errorf("number %d in the files, never injected (last %d)", n, total)
		}
		dups += c - 1
	}
	if !drained || len(seen) != total {
		t.Errorf("%d of %d numbers in the files", len(seen), total)
	}
	if len(bad) > 0 {
		t.Errorf("torn or garbage lines: %q", bad[:min(5, len(bad))])
	}
	names, _ := filepath.Glob(filepath.Join(dir, "out", "*"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 4096 || (len(b) > 0 && b[len(b)-1] != '\n') {
			t.Errorf("%s: %d bytes, last %q: over roll_size or torn", n, len(b), b[max(0, len(b)-1):])
		}
	}
	t.Logf("%d messages, %d files, %d duplicates after 6 kills; %d committed messages checked after the kills",
		total, len(names), dups, checked)
}

// TestFileOutputDiskFull writes into a symlink to /dev/full: every write
// fails with ENOSPC, the message is retried and the cursor stays; once the
// link points to a real file every message is written exactly once.
func TestFileOutputDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	const n = 300
	files(t, dir, fileOutTree([]string{`log_level = "info"`}, fmt.Sprintf("limit = %d\n", n),
		"output_dir = \"out\"\noutput_file = \"seq.log\"\nformat = \"payload\"\nflush_count = 20\n"))
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o750); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "out", "seq.log")
	if err := os.Symlink("/dev/full", link); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, filepath.Join(dir, "sightline.toml"))
	if !waitFor(func() bool { return strings.Contains(p.stderr.String(), "no space left on device") }, 30*time.Second) {
		p.stop(t)
		t.Fatalf("no write error logged; stderr:\n%s", p.stderr)
	}
	time.Sleep(1500 * time.Millisecond) // a retry or two
	if got := committedSeqs(t, dir); len(got) != 0 {
		t.Errorf("cursor covers %d messages while nothing could be written", len(got))
	}
	real := filepath.Join(dir, "real.log")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	ok := waitFor(func() bool { return len(readLines(t, real)) >= n }, 30*time.Second)
	p.stop(t)
	if !ok {
		t.Fatalf("%d of %d lines written after the disk got room; stderr:\n%s", len(readLines(t, real)), n, p.stderr)
	}
	lines := readLines(t, real)
	for i, l := range lines {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d is %q: want every message once, in order", i+1, l)
		}
	}
	if len(lines) != n {
		t.Errorf("%d lines, want %d", len(lines), n)
	}
	if s := p.stderr.String(); !strings.Contains(s, "writes work again") {
		t.Errorf("no recovery logged; stderr:\n%s", s)
	}
	if got := committedSeqs(t, dir); len(got) != n {
		t.Errorf("cursor covers %d messages after the clean stop, want %d", len(got), n)
	}
}

// TestFileOutputRollByTime: roll_interval = 1 s on the wall clock, names
// from strftime: a stream of about 2.5 s spreads over several files, each
// named for its second, and every message is in one of them.
func TestFileOutputRollByTime(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, fileOutTree([]string{`log_level = "info"`}, "batch = 10\npace = 0.01\n",
		"output_dir = \"out\"\noutput_file = \"%H%M%S.log\"\nformat = \"payload\"\nroll_interval = 1\nflush_count = 100\nflush_interval = 200\nticker_interval = 1\n"))
	cfg := filepath.Join(dir, "sightline.toml")
	p := start(t, dir, cfg)
	waitRunning(t, p)
	time.Sleep(2500 * time.Millisecond)
	p.stop(t)
	st, _, err := cursor.Load(cursor.Path(filepath.Join(dir, "output"), "input", "gen"))
	if err != nil {
		t.Fatal(err)
	}
	total := int(st.Checkpoint.Number)
	names, _ := filepath.Glob(filepath.Join(dir, "out", "*.log"))
	sort.Strings(names)
	if len(names) < 2 {
		t.Fatalf("files %v: want one per second", names)
	}
	for _, n := range names {
		if _, err := time.Parse("150405", strings.TrimSuffix(filepath.Base(n), ".log")); err != nil {
			t.Errorf("file %s is not named for a second", n)
		}
	}
	seen, bad := outLines(t, filepath.Join(dir, "out"))
	if len(seen) != total || len(bad) > 0 {
		t.Errorf("%d of %d numbers in %d files, bad lines %q", len(seen), total, len(names), bad)
	}
}

// BenchmarkE2EFileOutput runs `sightline run -once` with an input
// injecting -e2e-messages messages and file.lua writing them (heka
// format, default batches), against the same pipeline with an output
// that does nothing; the difference is the cost of writing the file.
func BenchmarkE2EFileOutput(b *testing.B) {
	skipUnderRace(b)
	n := *e2eMessages
	for _, c := range []struct{ name, output string }{
		{"null", "filename = \"null.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\n"},
		{"file-heka", "filename = \"file.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\noutput_dir = \"out\"\n"},
		{"file-json", "filename = \"file.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\noutput_dir = \"out\"\nformat = \"json\"\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				b.StopTimer()
				dir := b.TempDir()
				files(b, dir, map[string]string{
					"sightline.toml":      mainConfig(`output_size = "1GiB"`, `log_level = "warning"`),
					"run/input/gen.cfg":   fmt.Sprintf("filename = \"gen.lua\"\ninstruction_limit = 0\nbatch = 1000\nlimit = %d\n", n),
					"run/input/gen.lua":   fileOutPlugins["run/input/gen.lua"],
					"run/output/out.cfg":  c.output,
					"run/output/null.lua": "function process_message() return 0 end\nfunction timer_event() end\n",
					"run/analysis/.keep":  "",
				})
				b.StartTimer()
				t0 := time.Now()
				p := startCmd(b, dir, "run", "-once", "-config", "sightline.toml")
				if code := p.wait(b, 10*time.Minute); code != 0 {
					b.Fatalf("exit %d: %s", code, p.stderr)
				}
				total += time.Since(t0)
			}
			b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "msgs/s")
		})
	}
}
