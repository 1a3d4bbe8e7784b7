package statscmd

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pluginsTSV is a plugins.tsv as the daemon writes it.
const pluginsTSV = "Plugin\tInject Message Count\tInject Message Bytes\tProcess Message Count\tProcess Message Failures\t" +
	"Current Memory\tMax Memory\tMax Output\tMax Instructions\t" +
	"Message Matcher Avg (ns)\tMessage Matcher SD (ns)\tProcess Message Avg (ns)\tProcess Message SD (ns)\t" +
	"Timer Event Avg (ns)\tTimer Event SD (ns)\n" +
	"input.gen\t100\t5300\t1\t0\t20480\t20480\t60\t1200\t0\t0\t2500000\t0\t0\t0\n" +
	"analysis.double\t100\t6000\t100\t3\t1536\t1600000\t61\t40\t310\t20\t14250\t900\t0\t0\n" +
	"output.rec\t0\t0\t40\t0\t800\t900\t0\t30\t95\t3\t9000\t100\t1500000000\t0\n"

const wantTSVTable = `PLUGIN           STATE  PROCESSED  FAILED  INJECTED  INJ BYTES  MEMORY   MAX MEMORY  MATCHER  PROCESS  TIMER  LAG
input.gen        -      1          0       100       5.18KiB    20.0KiB  20.0KiB     -        2.50ms   -      -
analysis.double  -      100        3       100       5.86KiB    1.50KiB  1.53MiB     310ns    14.2µs   -      -
output.rec       -      40         0       0         0B         800B     900B        95ns     9.00µs   1.50s  -
`

// scrapeText is part of a scrape of the daemon's /metrics.
const scrapeText = `# HELP sightline_plugin_up 1 while the plugin is loaded.
# TYPE sightline_plugin_up gauge
sightline_plugin_up{plugin="analysis.bad"} 0
sightline_plugin_up{plugin="input.gen"} 1
sightline_plugin_up{plugin="output.broken"} 0
sightline_plugin_up{plugin="output.rec"} 1
# TYPE sightline_plugin_messages_processed_total counter
sightline_plugin_messages_processed_total{plugin="analysis.bad"} 1
sightline_plugin_messages_processed_total{plugin="input.gen"} 1
sightline_plugin_messages_processed_total{plugin="output.rec"} 40
# TYPE sightline_plugin_messages_failed_total counter
sightline_plugin_messages_failed_total{plugin="output.rec"} 2
# TYPE sightline_plugin_messages_injected_total counter
sightline_plugin_messages_injected_total{plugin="input.gen"} 100
# TYPE sightline_plugin_memory_bytes gauge
sightline_plugin_memory_bytes{plugin="output.rec"} 3.5e+06
# TYPE sightline_plugin_process_message_duration_seconds summary
sightline_plugin_process_message_duration_seconds_sum{plugin="output.rec"} 0.000036
sightline_plugin_process_message_duration_seconds_count{plugin="output.rec"} 3
sightline_plugin_process_message_duration_seconds_sum{plugin="input.gen"} 0
sightline_plugin_process_message_duration_seconds_count{plugin="input.gen"} 0
# TYPE sightline_plugin_cursor_lag_bytes gauge
sightline_plugin_cursor_lag_bytes{plugin="output.rec",queue="analysis"} 1024
sightline_plugin_cursor_lag_bytes{plugin="output.rec",queue="input"} 2048
# TYPE sightline_queue_segments gauge
sightline_queue_segments{queue="input"} 1
`

const wantMetricsTable = `PLUGIN         STATE   PROCESSED  FAILED  INJECTED  INJ BYTES  MEMORY   MAX MEMORY  MATCHER  PROCESS  TIMER  LAG
input.gen      up      1          -       100       -          -        -           -        -        -      -
analysis.bad   failed  1          -       -         -          -        -           -        -        -      -
output.broken  failed  -          -       -         -          -        -           -        -        -      -
output.rec     up      40         2       -         -          3.34MiB  -           -        12.0µs   -      3.00KiB
`

func TestParseTSV(t *testing.T) {
	tab, err := parseTSV(strings.NewReader(pluginsTSV))
	if err != nil {
		t.Fatal(err)
	}
	tab.source = "x"
	var b strings.Builder
	if err := tab.write(&b); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(b.String(), "source: x\n"); got != wantTSVTable {
		t.Errorf("table:\n%s\nwant:\n%s", got, wantTSVTable)
	}

	for _, c := range []struct{ name, text, err string }{
		{"empty", "", "empty file"},
		{"not a header", "input.gen\t1\n", "not a plugins.tsv header"},
		{"short line", "Plugin\tProcess Message Count\ninput.gen\n", "line 2: 1 columns"},
		{"not a number", "Plugin\tProcess Message Count\ninput.gen\tmany\n", `line 2: Process Message Count: "many"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := parseTSV(strings.NewReader(c.text)); err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want %q", err, c.err)
			}
		})
	}
}

func TestParseMetrics(t *testing.T) {
	tab, err := parseMetrics(strings.NewReader(scrapeText))
	if err != nil {
		t.Fatal(err)
	}
	tab.source = "x"
	var b strings.Builder
	if err := tab.write(&b); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(b.String(), "source: x\n"); got != wantMetricsTable {
		t.Errorf("table:\n%s\nwant:\n%s", got, wantMetricsTable)
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines 5\n")); err == nil {
		t.Error("a scrape without sightline metrics: no error")
	}
}

func TestURLs(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9469":   "http://127.0.0.1:9469/metrics",
		":9469":            "http://127.0.0.1:9469/metrics",
		"0.0.0.0:9469":     "http://127.0.0.1:9469/metrics",
		"[::]:9469":        "http://[::1]:9469/metrics",
		"metrics.lan:9469": "http://metrics.lan:9469/metrics",
	} {
		if got := listenURL(in); got != want {
			t.Errorf("listenURL(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"http://h:1":           "http://h:1/metrics",
		"http://h:1/":          "http://h:1/metrics",
		"https://h/x/metrics2": "https://h/x/metrics2",
		"h:1":                  "",
		"ftp://h/":             "",
	} {
		got, err := metricsURL(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("metricsURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// run runs the command and returns its exit code, stdout and stderr.
func run(args ...string) (int, string, string) {
	var out, errOut strings.Builder
	code := Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, scrapeText)
	}))
	defer srv.Close()

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("output/plugins.tsv", pluginsTSV)
	base := "output_path = \"output\"\nsandbox_run_path = \"run\"\n"
	plain := write("plain.toml", base)
	served := write("served.toml", base+fmt.Sprintf("metrics_listen = %q\n", strings.TrimPrefix(srv.URL, "http://")))
	down := write("down.toml", base+fmt.Sprintf("metrics_listen = %q\n", closed))
	noTSV := write("notsv.toml", "output_path = \"nowhere\"\nsandbox_run_path = \"run\"\n")

	for _, c := range []struct {
		name       string
		args       []string
		code       int
		out, err   string // contained
		noOut      bool
		wantSource string
	}{
		{name: "url", args: []string{"-url", srv.URL}, out: wantMetricsTable, wantSource: srv.URL + "/metrics"},
		{name: "config with metrics_listen", args: []string{"-config", served}, out: wantMetricsTable, wantSource: srv.URL + "/metrics"},
		{name: "config without", args: []string{"-config", plain}, out: wantTSVTable, wantSource: filepath.Join(dir, "output", "plugins.tsv")},
		{name: "daemon down", args: []string{"-config", down}, out: wantTSVTable, err: "reading plugins.tsv instead", wantSource: "plugins.tsv"},
		{name: "url down", args: []string{"-url", "http://" + closed}, code: ExitSource, noOut: true, err: "refused"},
		{name: "url not found", args: []string{"-url", srv.URL + "/nothing"}, code: ExitSource, noOut: true, err: "404"},
		{name: "no plugins.tsv", args: []string{"-config", noTSV}, code: ExitSource, noOut: true, err: "plugins.tsv"},
		{name: "both", args: []string{"-config", plain, "-url", srv.URL}, code: ExitUsage, noOut: true, err: "exclude"},
		{name: "bad url", args: []string{"-url", "localhost:9469"}, code: ExitUsage, noOut: true, err: "not an http://"},
		{name: "argument", args: []string{"x"}, code: ExitUsage, noOut: true, err: usageLine},
		{name: "no config", args: []string{"-config", filepath.Join(dir, "none.toml")}, code: ExitUsage, noOut: true, err: "none.toml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, errOut)
			}
			if c.noOut && out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(out, c.out) {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, c.out)
			}
			if c.wantSource != "" && (!strings.HasPrefix(out, "source: ") || !strings.Contains(firstLine(out), c.wantSource)) {
				t.Errorf("source line %q, want it to name %q", firstLine(out), c.wantSource)
			}
			if !strings.Contains(errOut, c.err) || (c.err == "" && errOut != "") {
				t.Errorf("stderr %q, want %q", errOut, c.err)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		col  int
		v    float64
		want string
	}{
		{colInjectedBytes, 0, "0B"},
		{colInjectedBytes, 1023, "1023B"},
		{colInjectedBytes, 1024, "1.00KiB"},
		{colMemory, 8 << 20, "8.00MiB"},
		{colLag, 150 << 30, "150GiB"},
		{colProcess, 999, "999ns"},
		{colProcess, 1250, "1.25µs"},
		{colProcess, 12.5e6, "12.5ms"},
		{colTimer, 3e9, "3.00s"},
		{colTimer, 0, "-"},
		{colProcessed, 12345, "12345"},
		{colProcessed, unknown, "-"},
	} {
		if got := format(c.col, c.v); got != c.want {
			t.Errorf("format(%s, %v) = %q, want %q", headers[c.col], c.v, got, c.want)
		}
	}
}
