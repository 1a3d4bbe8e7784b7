package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/queue"
)

// gatedTree is a pipeline of one input injecting count messages (about
// 260 bytes each, at most ~5000/s) and one output reading the input queue
// that refuses everything until the file "gate" exists, with the main
// config's extra lines.
func gatedTree(dir string, count int, addr string, extra ...string) map[string]string {
	return map[string]string{
		"sightline.toml":     mainConfig(append([]string{fmt.Sprintf("metrics_listen = %q", addr), `checkpoint_interval = "20ms"`}, extra...)...),
		"run/input/gen.cfg":  fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\npayload = 200\npause_every = 250\ninstruction_limit = 0\n", count),
		"run/input/gen.lua":  badGenLua,
		"run/output/rec.cfg": fmt.Sprintf("filename = \"rec.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"input\"\ngate = %q\nrecord = %q\n", filepath.Join(dir, "gate"), filepath.Join(dir, "rec.txt")),
		"run/output/rec.lua": gatedRecordLua,
		"run/analysis/.keep": "",
	}
}

// scrapeMetric returns one sample of the daemon's /metrics.
func scrapeMetric(addr, series string) (float64, bool) {
	_, body := httpGet("http://" + addr + "/metrics")
	return metricSample(body, series)
}

// TestBackpressureEndToEnd: an output that reads nothing holds the input
// back ("applying backpressure (lag)", sightline_queue_backpressure 1,
// the input's checkpoint still) while /healthz stays 200; once the output
// reads, the input goes on ("releasing backpressure") and every message
// arrives once. The daemon runs with -log-level debug over the config's
// log_level = "warning".
func TestBackpressureEndToEnd(t *testing.T) {
	const n = 20000
	dir := t.TempDir()
	addr := freeMetricsAddr(t)
	files(t, dir, gatedTree(dir, n, addr, `output_size = "16KiB"`, `backpressure = 4`, `log_level = "warning"`))
	p := startCmd(t, dir, "run", "-config", filepath.Join(dir, "sightline.toml"), "-log-level", "debug")
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
		t.Fatal("sightline_queue_backpressure{queue=\"input\"} never 1")
	}
	if code, body := httpGet("http://" + addr + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz under backpressure: %d %q, want 200", code, body)
	}
	time.Sleep(200 * time.Millisecond) // an append in flight when the gate closed, its checkpoint saved
	// Evaluated at every roll: the input stops a few segments past the
	// backpressure of 4 segments behind the output, at segment 0.
	if segs, _ := queue.Segments(filepath.Join(dir, "output", "input")); len(segs) > 16 {
		t.Errorf("input queue of %d segments under backpressure = 4", len(segs))
	}
	held := inputCheckpoint(t, dir)
	time.Sleep(1500 * time.Millisecond)
	if now := inputCheckpoint(t, dir); now != held || now >= n {
		t.Errorf("input checkpoint %v, then %v under backpressure: want it held below %d", held, now, n)
	}
	if age, ok := scrapeMetric(addr, `sightline_plugin_oldest_uncommitted_age_seconds{plugin="output.rec"}`); !ok || age < 1 {
		t.Errorf("oldest uncommitted age of the output retrying a message: %v (%v), want >= 1 s", age, ok)
	}

	if err := os.WriteFile(filepath.Join(dir, "gate"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "rec.txt")
	if !waitFor(func() bool { return len(readLines(t, rec)) >= n }, 25*time.Second) {
		p.stop(t)
		t.Fatalf("%d of %d messages after the output went on", len(readLines(t, rec)), n)
	}
	v, _ := scrapeMetric(addr, `sightline_queue_backpressure{queue="input"}`)
	p.stop(t)
	if v != 0 {
		t.Errorf("sightline_queue_backpressure{queue=\"input\"} = %v once every message got through", v)
	}
	got := readLines(t, rec)
	if len(got) != n {
		t.Errorf("%d lines, want %d", len(got), n)
	}
	for i, l := range got {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d = %q, want %d", i+1, l, i+1)
		}
	}
	stderr := p.stderr.String()
	for _, want := range []string{
		`level=WARN msg="applying backpressure (lag)" queue=input`,
		`level=INFO msg="releasing backpressure" queue=input`,
		`level=DEBUG`, // -log-level debug over log_level = "warning"
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

// TestLogLevelFlag: -log-level overrides log_level; a bad one is a usage
// error.
func TestLogLevelFlag(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, map[string]string{
		"sightline.toml":     mainConfig(),
		"run/input/gen.cfg":  "filename = \"gen.lua\"\ncount = 10\n",
		"run/input/gen.lua":  badGenLua,
		"run/analysis/.keep": "",
		"run/output/.keep":   "",
	})
	cfg := filepath.Join(dir, "sightline.toml")
	p := startCmd(t, dir, "run", "-once", "-config", cfg, "-log-level", "3")
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr)
	}
	if s := p.stderr.String(); strings.Contains(s, "level=INFO") {
		t.Errorf("-log-level 3 (err) logged INFO lines:\n%s", s)
	}
	p = startCmd(t, dir, "run", "-once", "-config", cfg, "-log-level", "loud")
	if code := p.wait(t, 30*time.Second); code != 2 {
		t.Errorf("-log-level loud: exit %d, want 2", code)
	}
	if !strings.Contains(p.stderr.String(), "-log-level") {
		t.Errorf("-log-level loud: stderr %q", p.stderr)
	}
}
