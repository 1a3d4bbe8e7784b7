package test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/queue"
)

// queueBytes returns the bytes of a queue's segment files.
func queueBytes(t *testing.T, dir string) int64 {
	t.Helper()
	segs, err := queue.Segments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range segs {
		n += s.Size
	}
	return n
}

// TestQueueFullDropOldest: an output that reads nothing, max_queue_size
// with queue_full = "drop_oldest": the input is not held, the input queue
// stays under the limit by losing its oldest segments (logged with the
// plugin that loses them, counted in sightline_queue_dropped_bytes_total),
// and the output, once it reads, goes on at the oldest segment left.
func TestQueueFullDropOldest(t *testing.T) {
	const n = 4000 // about 1 MiB
	dir := t.TempDir()
	addr := freeMetricsAddr(t)
	files(t, dir, gatedTree(dir, n, addr, `output_size = "16KiB"`, `max_queue_size = "64KiB"`, `queue_full = "drop_oldest"`))
	p := start(t, dir, filepath.Join(dir, "sightline.toml"))
	defer func() {
		if t.Failed() {
			t.Logf("stderr:\n%s", p.stderr)
		}
	}()
	if !waitFor(func() bool { return inputCheckpoint(t, dir) >= n }, 20*time.Second) {
		p.stop(t)
		t.Fatalf("the input did not finish: checkpoint %v", inputCheckpoint(t, dir))
	}
	time.Sleep(1200 * time.Millisecond) // a tick after the last roll
	if size := queueBytes(t, filepath.Join(dir, "output", "input")); size > (64+16)<<10 {
		t.Errorf("input queue holds %d bytes, max_queue_size 64 KiB", size)
	}
	if v, _ := scrapeMetric(addr, `sightline_queue_dropped_bytes_total{queue="input"}`); v < 512<<10 {
		t.Errorf("sightline_queue_dropped_bytes_total{queue=\"input\"} = %v, want most of 1 MiB", v)
	}
	if code, body := httpGet("http://" + addr + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if err := os.WriteFile(filepath.Join(dir, "gate"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "rec.txt")
	last := strconv.Itoa(n)
	if !waitFor(func() bool {
		l := readLines(t, rec)
		return len(l) > 0 && l[len(l)-1] == last
	}, 15*time.Second) {
		p.stop(t)
		t.Fatalf("the output never reached message %d: %d lines", n, len(readLines(t, rec)))
	}
	p.stop(t)
	got := readLines(t, rec)
	if len(got) >= n/2 {
		t.Errorf("%d of %d messages delivered through a 64 KiB queue", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		a, _ := strconv.Atoi(got[i-1])
		b, _ := strconv.Atoi(got[i])
		if b <= a {
			t.Fatalf("line %d: %d after %d", i+1, b, a)
		}
	}
	stderr := p.stderr.String()
	for _, want := range []string{"deleted its oldest segments", "plugins_losing_data=[output.rec]", "segment missing"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

// TestQueueFullBlock: max_queue_size with queue_full = "block" (the
// default) holds the input like backpressure until the output reads;
// every message arrives once.
func TestQueueFullBlock(t *testing.T) {
	const n = 4000
	dir := t.TempDir()
	addr := freeMetricsAddr(t)
	files(t, dir, gatedTree(dir, n, addr, `output_size = "32KiB"`, `max_queue_size = "256KiB"`))
	p := start(t, dir, filepath.Join(dir, "sightline.toml"))
	defer func() {
		if t.Failed() {
			t.Logf("stderr:\n%s", p.stderr)
		}
	}()
	if !waitFor(func() bool {
		v, _ := scrapeMetric(addr, `sightline_queue_backpressure{queue="input"}`)
		return v == 1
	}, 15*time.Second) {
		p.stop(t)
		t.Fatal("never held")
	}
	if c := inputCheckpoint(t, dir); c >= n {
		t.Errorf("input finished (checkpoint %v) over max_queue_size", c)
	}
	if size := queueBytes(t, filepath.Join(dir, "output", "input")); size > (256+4*32)<<10 {
		t.Errorf("input queue holds %d bytes with max_queue_size 256 KiB", size)
	}
	if err := os.WriteFile(filepath.Join(dir, "gate"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "rec.txt")
	if !waitFor(func() bool { return len(readLines(t, rec)) >= n }, 25*time.Second) {
		p.stop(t)
		t.Fatalf("%d of %d messages", len(readLines(t, rec)), n)
	}
	p.stop(t)
	got := readLines(t, rec)
	for i, l := range got {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d = %q", i+1, l)
		}
	}
	if len(got) != n {
		t.Errorf("%d lines, want %d", len(got), n)
	}
	if s := p.stderr.String(); !strings.Contains(s, "applying backpressure (max_queue_size)") || !strings.Contains(s, "releasing backpressure") {
		t.Error("hold and release not logged")
	}
}
