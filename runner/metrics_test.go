package runner

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
)

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// scrape GETs http://addr/path and returns the status and body; status 0
// when the request failed. Connections are not kept: nothing outlives it.
func scrape(t testing.TB, addr, path string) (int, string) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// metricValue finds the sample series (name{labels} as the text format
// writes it) in a scrape.
func metricValue(body, series string) (float64, bool) {
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}

// batcher is an output that holds every message in a batch it never
// commits.
const batcher = `
function process_message() return -4 end
function timer_event() end
`

func TestMetrics(t *testing.T) {
	defer func(d time.Duration) { statsInterval = d }(statsInterval)
	statsInterval = 50 * time.Millisecond
	addr := freeAddr(t)
	e := newEnv(t, fmt.Sprintf("metrics_listen = %q", addr))
	e.plugin("input", "gen", "count = 100", counter)
	e.plugin("analysis", "double", "message_matcher = \"Type == 'seq'\"\nprocess_message_inject_limit = 1", doubler)
	rec := e.path("rec.txt")
	e.plugin("output", "rec", recorderCfg(rec, "Fields[n] <= 40", "input"), recorder)
	e.plugin("output", "batch", "message_matcher = \"TRUE\"\nread_queue = \"both\"", batcher)
	r := e.start(Options{})
	defer r.stop(t)

	var body string
	want := map[string]float64{
		`sightline_plugin_messages_injected_total{plugin="input.gen"}`:                 100,
		`sightline_plugin_messages_injected_total{plugin="analysis.double"}`:           100,
		`sightline_plugin_messages_processed_total{plugin="analysis.double"}`:          100,
		`sightline_plugin_messages_processed_total{plugin="output.rec"}`:               40,
		`sightline_plugin_messages_matched_total{plugin="output.rec"}`:                 40,
		`sightline_plugin_messages_unmatched_total{plugin="output.rec"}`:               60,
		`sightline_plugin_messages_processed_total{plugin="output.batch"}`:             200,
		`sightline_plugin_messages_failed_total{plugin="output.rec"}`:                  0,
		`sightline_plugin_cursor_lag_bytes{plugin="output.rec",queue="input"}`:         0,
		`sightline_plugin_cursor_lag_bytes{plugin="analysis.double",queue="input"}`:    0,
		`sightline_plugin_oldest_uncommitted_age_seconds{plugin="output.rec"}`:         0,
		`sightline_plugin_up{plugin="output.rec"}`:                                     1,
		`sightline_plugin_process_message_duration_seconds_count{plugin="output.rec"}`: 3, // calls 1, 17 and 33 of 40
		`sightline_plugin_matcher_duration_seconds_count{plugin="output.rec"}`:         7, // evaluations 1, 17, ... 97
		`sightline_plugin_process_message_duration_seconds_count{plugin="input.gen"}`:  1,
		`sightline_queue_backpressure{queue="input"}`:                                  0,
		`sightline_queue_dropped_bytes_total{queue="analysis"}`:                        0,
		`sightline_queue_writable{queue="analysis"}`:                                   1,
		`sightline_queue_pruned_bytes_total{queue="input"}`:                            0,
	}
	ok := waitFor(func() bool {
		var code int
		if code, body = scrape(t, addr, "/metrics"); code != http.StatusOK {
			return false
		}
		for series, v := range want {
			if got, ok := metricValue(body, series); !ok || got != v {
				return false
			}
		}
		return true
	}, 20*time.Second)
	if !ok {
		for series, v := range want {
			if got, ok := metricValue(body, series); !ok || got != v {
				t.Errorf("%s = %v (found %v), want %v", series, got, ok, v)
			}
		}
		t.Fatalf("metrics did not reach the expected values; last scrape:\n%s", body)
	}
	// The batching output commits nothing: its lag is the whole queue,
	// its oldest uncommitted message as old as the first one injected.
	for _, series := range []string{
		`sightline_plugin_cursor_lag_bytes{plugin="output.batch",queue="input"}`,
		`sightline_plugin_cursor_lag_bytes{plugin="output.batch",queue="analysis"}`,
		`sightline_plugin_oldest_uncommitted_age_seconds{plugin="output.batch"}`,
		`sightline_queue_size_bytes{queue="input"}`,
		`sightline_queue_segments{queue="input"}`,
		`sightline_queue_disk_free_bytes{queue="input"}`,
		`sightline_plugin_memory_bytes{plugin="analysis.double"}`,
		`sightline_plugin_instructions_max{plugin="analysis.double"}`,
		`sightline_plugin_process_message_duration_seconds_sum{plugin="output.rec"}`,
	} {
		if v, ok := metricValue(body, series); !ok || v <= 0 {
			t.Errorf("%s = %v (found %v), want > 0", series, v, ok)
		}
	}
	lag, _ := metricValue(body, `sightline_plugin_cursor_lag_bytes{plugin="output.batch",queue="input"}`)
	size, _ := metricValue(body, `sightline_queue_size_bytes{queue="input"}`)
	if lag != size {
		t.Errorf("output.batch lag on input %v, want the queue's size %v", lag, size)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("no %s in the scrape", name)
		}
	}

	if code, text := scrape(t, addr, "/healthz"); code != http.StatusOK || text != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 \"ok\\n\"", code, text)
	}
	if !waitFor(func() bool {
		return strings.Contains(fileText(t, e.path("output", "plugins.tsv")), "output.rec\t0\t0\t40\t")
	}, 10*time.Second) {
		t.Errorf("plugins.tsv while running:\n%s", fileText(t, e.path("output", "plugins.tsv")))
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if code, _ := scrape(t, addr, "/healthz"); code != 0 {
		t.Errorf("/healthz after Run returned: status %d, want no server", code)
	}

	// The files of the last write, after the plugins stopped.
	tsv := lines(t, e.path("output", "plugins.tsv"))
	if len(tsv) != 5 || tsv[0] != strings.TrimSuffix(pluginsHeader, "\n") {
		t.Fatalf("plugins.tsv:\n%s", strings.Join(tsv, "\n"))
	}
	for i, prefix := range []string{"input.gen\t100\t", "analysis.double\t100\t", "output.batch\t0\t0\t200\t0\t", "output.rec\t0\t0\t40\t0\t"} {
		if !strings.HasPrefix(tsv[i+1], prefix) || len(strings.Split(tsv[i+1], "\t")) != 15 {
			t.Errorf("plugins.tsv line %d = %q, want 15 columns starting %q", i+2, tsv[i+1], prefix)
		}
	}
	util := lines(t, e.path("output", "utilization.tsv"))
	if len(util) != 6 || util[0] != strings.TrimSuffix(utilizationHeader, "\n") {
		t.Fatalf("utilization.tsv:\n%s", strings.Join(util, "\n"))
	}
	for i, prefix := range []string{"input.gen\t", "analysis0\t", "analysis.double\t", "output.batch\t", "output.rec\t"} {
		if !strings.HasPrefix(util[i+1], prefix) || len(strings.Split(util[i+1], "\t")) != 6 {
			t.Errorf("utilization.tsv line %d = %q, want 6 columns starting %q", i+2, util[i+1], prefix)
		}
	}
	if entries, err := os.ReadDir(e.path("output")); err == nil {
		for _, en := range entries {
			if strings.Contains(en.Name(), ".tmp") {
				t.Errorf("temp file left: %s", en.Name())
			}
		}
	}
}

func fileText(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// TestHealthz: a plugin that terminates and one that does not load make
// /healthz answer 503 with their reasons.
func TestHealthz(t *testing.T) {
	addr := freeAddr(t)
	e := newEnv(t, fmt.Sprintf("metrics_listen = %q", addr))
	e.plugin("input", "gen", "count = 3", counter)
	e.plugin("analysis", "bad", `message_matcher = "TRUE"`, `
function process_message() error("boom") end
function timer_event() end
`)
	e.plugin("output", "broken", `message_matcher = "TRUE"`, "function process_message( end")
	r := e.start(Options{})
	defer r.stop(t)

	var code int
	var body string
	ok := waitFor(func() bool {
		code, body = scrape(t, addr, "/healthz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "analysis.bad terminated")
	}, 20*time.Second)
	if !ok {
		t.Fatalf("/healthz: %d %q, want 503 naming analysis.bad", code, body)
	}
	got := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(got) != 2 ||
		!strings.HasPrefix(got[0], "plugin analysis.bad terminated: process_message() ") || !strings.Contains(got[0], "boom") ||
		!strings.HasPrefix(got[1], "plugin output.broken not loaded: ") {
		t.Errorf("/healthz reasons:\n%s", body)
	}
	_, metrics := scrape(t, addr, "/metrics")
	for series, want := range map[string]float64{
		`sightline_plugin_up{plugin="analysis.bad"}`:                   0,
		`sightline_plugin_up{plugin="output.broken"}`:                  0,
		`sightline_plugin_up{plugin="input.gen"}`:                      1,
		`sightline_plugin_messages_injected_total{plugin="input.gen"}`: 3,
	} {
		if v, ok := metricValue(metrics, series); !ok || v != want {
			t.Errorf("%s = %v (found %v), want %v", series, v, ok, want)
		}
	}
}

// TestMetricsListenInUse: a metrics_listen address that cannot be bound
// fails Run at startup, naming the key.
func TestMetricsListenInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	e := newEnv(t, fmt.Sprintf("metrics_listen = %q", ln.Addr().String()))
	e.plugin("input", "gen", "count = 3", counter)
	r := e.start(Options{})
	err = r.stop(t)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "metrics_listen" {
		t.Fatalf("Run: %v, want a config error on metrics_listen", err)
	}
}
