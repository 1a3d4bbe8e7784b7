package test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// logstreamerPlugins: one logstreamer input over three streams rotated in
// three ways, and an output writing every Payload to a file (flushed per
// message, so a SIGKILL loses nothing it processed).
var logstreamerPlugins = map[string]string{
	"run/input/logs.cfg": `filename = "logstreamer.lua"
instruction_limit = 0
log_directory = "logs"
file_match = [[(?P<Dir>[a-z]+)/app(-(?P<Date>\d+))?\.log\.?(?P<Seq>\d*)(\.gz)?]]
differentiator = { "Dir" }
priority = { "Date", "^Seq" }
check_data_interval = "20ms"
rescan_interval = "30s"
`,
	"run/output/payloads.cfg": `filename = "payloads.lua"
message_matcher = "Type == 'logfile'"
`,
	"run/output/payloads.lua": `
require "io"
local f = assert(io.open("payloads.txt", "a"))
function process_message()
    f:write(read_message("Logger"), " ", read_message("Payload"), "\n")
    f:flush()
    return 0
end
function timer_event(ns, shutdown) end
`,
}

// logWriter appends numbered lines to three streams and rotates them:
// rename (older copies gzipped, the oldest deleted), new dated files (the
// oldest deleted), copytruncate (copies gzipped).
type logWriter struct {
	t     *testing.T
	dir   string
	n     map[string]int // lines written per stream
	date  int
	mu    sync.Mutex
	stop  chan struct{}
	done  chan struct{}
	rotns int
}

// The writer's pace. Every tick (5 ms) each stream gets linesPerTick
// lines; every rotateTicks ticks (125 ms) every stream rotates. The pace
// is half what a -race daemon on a loaded 2-core machine reads (about
// 10,000 lines a second in all), so the backlog left by each kill is
// caught up; keepRotated rotated files (5 s of writing) cover the lag of
// a restart, so no line is deleted before it is read.
const (
	tickEvery    = 5 * time.Millisecond
	linesPerTick = 10
	rotateTicks  = 25
	keepRotated  = 40
)

func (w *logWriter) path(parts ...string) string {
	return filepath.Join(append([]string{w.dir}, parts...)...)
}

func (w *logWriter) appendLines(path, stream string, k int) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		w.t.Error(err)
		return
	}
	var b bytes.Buffer
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, "%d\n", w.n[stream])
		w.n[stream]++
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		w.t.Error(err)
	}
	f.Close()
}

func gzipTo(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		t.Error(err)
		return
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	tmp := to + ".tmp" // not matched by file_match until complete
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		t.Error(err)
	}
	os.Rename(tmp, to)
	os.Remove(from)
}

func (w *logWriter) datedName(d int) string { return fmt.Sprintf("app-%06d.log", d) }

func (w *logWriter) rotate() {
	w.rotns++
	// rename: app.log.N(.gz) -> N+1, app.log -> app.log.1, gzip .2
	r := w.path("rename")
	os.Remove(filepath.Join(r, fmt.Sprintf("app.log.%d.gz", keepRotated)))
	for i := keepRotated - 1; i >= 2; i-- {
		os.Rename(filepath.Join(r, fmt.Sprintf("app.log.%d.gz", i)), filepath.Join(r, fmt.Sprintf("app.log.%d.gz", i+1)))
	}
	os.Rename(filepath.Join(r, "app.log.1"), filepath.Join(r, "app.log.2"))
	os.Rename(filepath.Join(r, "app.log"), filepath.Join(r, "app.log.1"))
	w.appendLines(filepath.Join(r, "app.log.1"), "rename", 3) // late writes to the renamed file
	if _, err := os.Stat(filepath.Join(r, "app.log.2")); err == nil {
		gzipTo(w.t, filepath.Join(r, "app.log.2"), filepath.Join(r, "app.log.2.gz"))
	}
	// dated: a new file, the oldest deleted
	w.date++
	os.Remove(w.path("dated", w.datedName(w.date-keepRotated)))
	// copytruncate: copy to .1 (older copies shifted, gzipped), truncate.
	// Nothing is written between the copy and the truncation (w.mu is
	// held and this goroutine is the only writer): the lines copytruncate
	// loses by design are none here, so every line must be delivered.
	c := w.path("copytrunc")
	os.Remove(filepath.Join(c, fmt.Sprintf("app.log.%d.gz", keepRotated)))
	for i := keepRotated - 1; i >= 2; i-- {
		os.Rename(filepath.Join(c, fmt.Sprintf("app.log.%d.gz", i)), filepath.Join(c, fmt.Sprintf("app.log.%d.gz", i+1)))
	}
	if _, err := os.Stat(filepath.Join(c, "app.log.1")); err == nil {
		gzipTo(w.t, filepath.Join(c, "app.log.1"), filepath.Join(c, "app.log.2.gz"))
	}
	data, _ := os.ReadFile(filepath.Join(c, "app.log"))
	os.WriteFile(filepath.Join(c, "app.log.1"), data, 0o644)
	os.Truncate(filepath.Join(c, "app.log"), 0)
}

func (w *logWriter) run() {
	defer close(w.done)
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	for i := 1; ; i++ {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		w.mu.Lock()
		w.appendLines(w.path("rename", "app.log"), "rename", linesPerTick)
		w.appendLines(w.path("dated", w.datedName(w.date)), "dated", linesPerTick)
		w.appendLines(w.path("copytrunc", "app.log"), "copytrunc", linesPerTick)
		if i%rotateTicks == 0 {
			w.rotate()
		}
		w.mu.Unlock()
	}
}

// TestLogstreamerCrash runs the logstreamer while a writer appends and
// rotates (rename, dated names, copytruncate, gzip, deletion), SIGKILLs
// and restarts the daemon several times, and counts: every line of every
// stream delivered, duplicates only from the replay after each kill.
func TestLogstreamerCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	dir := t.TempDir()
	files(t, dir, logstreamerPlugins)
	files(t, dir, map[string]string{"sightline.toml": mainConfig(`checkpoint_interval = "200ms"`)})
	for _, d := range []string{"logs/rename", "logs/dated", "logs/copytrunc", "run/analysis"} {
		os.MkdirAll(filepath.Join(dir, d), 0o750)
	}
	w := &logWriter{t: t, dir: filepath.Join(dir, "logs"), n: map[string]int{}, date: 1, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	defer func() {
		select {
		case <-w.stop:
		default:
			close(w.stop)
		}
		<-w.done
	}()

	kills := 4
	for i := 0; i < kills; i++ {
		p := start(t, dir, "sightline.toml")
		time.Sleep(time.Duration(800+rand.IntN(1200)) * time.Millisecond)
		select {
		case <-p.done:
			t.Fatalf("sightline exited early; stderr:\n%s", p.stderr)
		default:
		}
		p.kill(t)
		checkWarnings(t, p.stderr.String())
		if strings.Contains(p.stderr.String(), "terminated") {
			t.Fatalf("plugin terminated:\n%s", p.stderr)
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // rotations while down
	}
	p := start(t, dir, "sightline.toml")
	time.Sleep(time.Second)
	close(w.stop)
	<-w.done
	w.mu.Lock()
	total := 0
	for _, n := range w.n {
		total += n
	}
	w.mu.Unlock()

	count := func() (map[string][]int, int) {
		got := map[string][]int{}
		n := 0
		for _, l := range readLines(t, filepath.Join(dir, "payloads.txt")) {
			stream, num, ok := strings.Cut(l, " ")
			v, err := strconv.Atoi(num)
			if !ok || err != nil {
				t.Fatalf("bad line %q", l)
			}
			got[stream] = append(got[stream], v)
			n++
		}
		return got, n
	}
	complete := func() bool {
		got, _ := count()
		for s, n := range w.n {
			seen := make([]bool, n)
			for _, v := range got[s] {
				if v < n {
					seen[v] = true
				}
			}
			for _, ok := range seen {
				if !ok {
					return false
				}
			}
		}
		return true
	}
	if !waitFor(complete, 20*time.Second) {
		got, _ := count()
		for s, n := range w.n {
			seen := make([]bool, n)
			for _, v := range got[s] {
				if v < n {
					seen[v] = true
				}
			}
			var missing []int
			nmiss := 0
			for i, ok := range seen {
				if !ok {
					nmiss++
					if len(missing) < 5 {
						missing = append(missing, i)
					}
				}
			}
			t.Errorf("stream %s: %d lines written, %d missing, first %v", s, n, nmiss, missing)
		}
		p.stop(t)
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			if strings.Contains(l, "logstreamer") {
				t.Log(l)
			}
		}
		t.Fatalf("lines missing")
	}
	time.Sleep(300 * time.Millisecond) // nothing more should come
	p.stop(t)
	checkWarnings(t, p.stderr.String())
	got, n := count()
	dups := n - total
	// Each kill may replay what was read since the last saved
	// checkpoint (input and output cursors, 200 ms each, plus the time
	// to notice), read at the pace of a reader catching up: at most a
	// second of writing, 6,000 lines.
	perKill := 3 * linesPerTick * int(time.Second/tickEvery)
	t.Logf("%d lines written in %d rotations, %d delivered, %d duplicates after %d kills", total, w.rotns, n, dups, kills)
	if dups > kills*perKill {
		t.Errorf("%d duplicates, over %d (%d kills)", dups, kills*perKill, kills)
	}
	for s, vs := range got {
		t.Logf("stream %s: %d written, %d delivered", s, w.n[s], len(vs))
		if w.n[s] == 0 {
			t.Errorf("unknown stream %q", s)
		}
		for _, v := range vs {
			if v >= w.n[s] {
				t.Errorf("stream %s: line %d never written", s, v)
				break
			}
		}
	}
}

// checkWarnings logs the logstreamer's warnings of one run and fails on
// those saying lines may be lost: with nothing deleted before it is read
// and copytruncate losing nothing here, the reader must never conclude
// that, even where a replay would hide it from the count.
func checkWarnings(t *testing.T, stderr string) {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.Contains(l, "logstreamer") || !strings.Contains(l, "level=WARN") {
			continue
		}
		if strings.Contains(l, "lost") || strings.Contains(l, "found nowhere") || strings.Contains(l, "not found in any file") {
			t.Errorf("the reader reports a loss: %s", l)
		} else {
			t.Log(l)
		}
	}
}
