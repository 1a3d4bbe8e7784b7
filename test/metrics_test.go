package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freeMetricsAddr returns a loopback address whose port was free a moment ago
// (metrics_listen takes no port 0).
func freeMetricsAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpGet GETs a URL and returns the status and body (status 0 when the
// request failed).
func httpGet(url string) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricSample returns the value of a series (name{labels}) in a scrape.
func metricSample(body, series string) (float64, bool) {
	for line := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestMetricsEndToEnd runs the real binary with metrics_listen on a
// pipeline where one analysis plugin terminates on one message: /metrics
// counts what flowed, /healthz answers 503 naming the plugin, `sightline
// stats` prints the table from the endpoint while the daemon runs and
// from plugins.tsv once it stopped.
func TestMetricsEndToEnd(t *testing.T) {
	const n = 500
	dir := t.TempDir()
	addr := freeMetricsAddr(t)
	tree := map[string]string{
		"sightline.toml":       mainConfig(fmt.Sprintf("metrics_listen = %q", addr)),
		"run/input/gen.cfg":    fmt.Sprintf("filename = \"gen.lua\"\ncount = %d\n", n),
		"run/analysis/bad.cfg": "filename = \"bad.lua\"\nmessage_matcher = \"Fields[seq] == 300\"\n",
		"run/analysis/bad.lua": "function process_message() error('seq 300 is bad') end\nfunction timer_event() end\n",
	}
	for k, v := range pipelinePlugins {
		tree[k] = v
	}
	files(t, dir, tree)
	cfg := filepath.Join(dir, "sightline.toml")
	in, an := filepath.Join(dir, "in.txt"), filepath.Join(dir, "an.txt")

	p := start(t, dir, cfg)
	defer func() {
		select {
		case <-p.done:
		default:
			p.kill(t)
		}
	}()
	announced := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)
	if !waitFor(func() bool { return announced.MatchString(p.stderr.String()) }, 30*time.Second) {
		t.Fatalf("the metrics address was not logged; stderr:\n%s", p.stderr)
	}
	if got := announced.FindStringSubmatch(p.stderr.String())[1]; got != addr {
		t.Errorf("logged metrics address %s, want %s", got, addr)
	}
	if !waitFor(func() bool { return len(readLines(t, in)) >= n && len(readLines(t, an)) >= n }, 60*time.Second) {
		t.Fatalf("in %d, an %d lines, want %d; stderr:\n%s", len(readLines(t, in)), len(readLines(t, an)), n, p.stderr)
	}

	want := map[string]float64{
		`sightline_plugin_messages_injected_total{plugin="input.gen"}`:           n,
		`sightline_plugin_messages_processed_total{plugin="analysis.double"}`:    n,
		`sightline_plugin_messages_injected_total{plugin="analysis.double"}`:     n,
		`sightline_plugin_messages_processed_total{plugin="output.in"}`:          n,
		`sightline_plugin_messages_processed_total{plugin="output.an"}`:          n,
		`sightline_plugin_messages_matched_total{plugin="analysis.bad"}`:         1,
		`sightline_plugin_up{plugin="analysis.bad"}`:                             0,
		`sightline_plugin_up{plugin="output.in"}`:                                1,
		`sightline_plugin_cursor_lag_bytes{plugin="output.in",queue="input"}`:    0,
		`sightline_plugin_cursor_lag_bytes{plugin="output.an",queue="analysis"}`: 0,
		`sightline_queue_writable{queue="input"}`:                                1,
		`sightline_queue_backpressure{queue="analysis"}`:                         0,
	}
	var body string
	ok := waitFor(func() bool {
		_, body = httpGet("http://" + addr + "/metrics")
		for series, v := range want {
			if got, ok := metricSample(body, series); !ok || got != v {
				return false
			}
		}
		return true
	}, 20*time.Second)
	if !ok {
		for series, v := range want {
			if got, ok := metricSample(body, series); !ok || got != v {
				t.Errorf("%s = %v (found %v), want %v", series, got, ok, v)
			}
		}
		t.Fatalf("last scrape:\n%s", body)
	}
	if v, ok := metricSample(body, `sightline_queue_size_bytes{queue="input"}`); !ok || v <= 0 {
		t.Errorf("input queue size %v (found %v)", v, ok)
	}

	code, health := httpGet("http://" + addr + "/healthz")
	if code != http.StatusServiceUnavailable ||
		!strings.HasPrefix(health, "plugin analysis.bad terminated: process_message() ") || !strings.Contains(health, "seq 300 is bad") {
		t.Errorf("/healthz: %d %q, want 503 naming analysis.bad and its error", code, health)
	}

	// sightline stats, from the endpoint.
	s := startCmd(t, dir, "stats", "-config", cfg)
	if code := s.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("stats: exit %d; stderr:\n%s", code, s.stderr)
	}
	out := s.stdout.String()
	for _, re := range []string{
		`^source: http://` + regexp.QuoteMeta(addr) + `/metrics\n`,
		`\ninput\.gen +up +1 +0 +500 `,
		`\nanalysis\.bad +failed +0 +0 +0 `,
		`\noutput\.in +up +500 +0 +0 `,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("stats output does not match %q:\n%s", re, out)
		}
	}

	p.stop(t)

	// The last plugins.tsv, and stats from it.
	tsv := readLines(t, filepath.Join(dir, "output", "plugins.tsv"))
	if len(tsv) != 6 || !strings.HasPrefix(tsv[0], "Plugin\tInject Message Count\t") {
		t.Fatalf("plugins.tsv:\n%s", strings.Join(tsv, "\n"))
	}
	if util := readLines(t, filepath.Join(dir, "output", "utilization.tsv")); len(util) != 7 { // header, input, thread, its 2 plugins, 2 outputs
		t.Errorf("utilization.tsv:\n%s", strings.Join(util, "\n"))
	}
	s = startCmd(t, dir, "stats", "-config", cfg)
	if code := s.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("stats after stop: exit %d; stderr:\n%s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "reading plugins.tsv instead") {
		t.Errorf("stats after stop: stderr %q, want the fallback noted", s.stderr)
	}
	if out := s.stdout.String(); !regexp.MustCompile(`\noutput\.in +- +500 +0 +0 `).MatchString(out) {
		t.Errorf("stats after stop:\n%s", out)
	}
}
