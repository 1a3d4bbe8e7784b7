package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/message"
)

// stubHostname makes os.Hostname return name for the rest of the test.
// Tests of the main config do not run in parallel, so the swap is safe.
func stubHostname(tb testing.TB, name string) {
	tb.Helper()
	old := osHostname
	osHostname = func() (string, error) { return name, nil }
	tb.Cleanup(func() { osHostname = old })
}

// loadMainText writes content to dir/name and loads it.
func loadMainText(tb testing.TB, name, content string) (string, *Main, error) {
	tb.Helper()
	path := writeFile(tb, tb.TempDir(), name, content)
	m, err := LoadMain(path)
	return path, m, err
}

// sameMain reports the differences between a and b, leaving out File and
// Table (which name the files), the lines of Ignored, and the format a
// defaults table was read from.
func sameMain(a, b *Main) []string {
	var diffs []string
	for _, typ := range []PluginType{Input, Analysis, Output} {
		if da, db := a.DefaultsFor(typ), b.DefaultsFor(typ); !Equal(da, db) {
			diffs = append(diffs, fmt.Sprintf("%v defaults: %s vs %s", typ, dump(da), dump(db)))
		}
	}
	ignored := func(m *Main) string {
		var s []string
		for _, e := range m.Ignored {
			s = append(s, fmt.Sprintf("%v=%v", e.Key, e.Value))
		}
		return strings.Join(s, " ")
	}
	if ia, ib := ignored(a), ignored(b); ia != ib {
		diffs = append(diffs, fmt.Sprintf("Ignored: %s vs %s", ia, ib))
	}
	ca, cb := *a, *b
	for _, c := range []*Main{&ca, &cb} {
		c.File, c.Table, c.Ignored = "", nil, nil
		c.InputDefaults, c.AnalysisDefaults, c.OutputDefaults = nil, nil, nil
	}
	va, vb := reflect.ValueOf(ca), reflect.ValueOf(cb)
	for i := range va.NumField() {
		if fa, fb := va.Field(i).Interface(), vb.Field(i).Interface(); !reflect.DeepEqual(fa, fb) {
			diffs = append(diffs, fmt.Sprintf("%s: %#v vs %#v", va.Type().Field(i).Name, fa, fb))
		}
	}
	return diffs
}

func TestMainDefaults(t *testing.T) {
	stubHostname(t, "testhost")
	for _, name := range []string{"sightline.toml", "hindsight.cfg"} {
		t.Run(name, func(t *testing.T) {
			path, m, err := loadMainText(t, name, "output_path = \"out\"\nsandbox_run_path = \"run\"\n")
			if err != nil {
				t.Fatal(err)
			}
			want := &Main{
				File:                     path,
				Dir:                      filepath.Dir(path),
				OutputPath:               "out",
				OutputSize:               64 << 20,
				SandboxRunPath:           "run",
				SandboxInstallPath:       "/usr/share/luasandbox/sandboxes/heka",
				AnalysisThreads:          1,
				AnalysisUtilizationLimit: 95,
				MaxMessageSize:           64 << 10,
				BackpressureDiskFree:     4,
				Hostname:                 "testhost",
				InputDefaults:            NewTable(""),
				AnalysisDefaults:         NewTable(""),
				OutputDefaults:           NewTable(""),
				Sync:                     "checkpoint",
				CheckpointInterval:       time.Second,
				LogFormat:                "text",
				LogLevel:                 6,
				QueueFull:                "block",
			}
			if m.File != path || m.Table == nil {
				t.Errorf("File = %q, Table = %v; want %q and the table read", m.File, m.Table, path)
			}
			if d := sameMain(m, want); d != nil {
				t.Errorf("defaults differ:\n%s", strings.Join(d, "\n"))
			}
			for _, typ := range []PluginType{Input, Analysis, Output} {
				d := m.DefaultsFor(typ)
				if d == nil || d.Len() != 0 || d.Path() != typ.String()+"_defaults" || d.File() != path {
					t.Errorf("DefaultsFor(%v) = %v, want an empty table named %s_defaults of %s", typ, d, typ, path)
				}
			}
			if d := m.DefaultsFor(0); d != nil {
				t.Errorf("DefaultsFor(0) = %v, want nil", d)
			}
		})
	}
}

func TestMainHostname(t *testing.T) {
	long := strings.Repeat("a", 70)
	for _, tc := range []struct {
		name, system, key, want string
	}{
		{"system", "edge-7", "", "edge-7"},
		{"system truncated", long, "", long[:64]},
		{"key", "edge-7", "web-1", "web-1"},
		{"key truncated", "edge-7", long, long[:64]},
		// é is two bytes at 63..64: cutting at 64 would split it.
		{"rune kept whole", "edge-7", strings.Repeat("a", 63) + "é" + "b", strings.Repeat("a", 63)},
		{"system unknown", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stubHostname(t, tc.system)
			src := "output_path = \"o\"\nsandbox_run_path = \"r\"\n"
			if tc.key != "" {
				src += fmt.Sprintf("hostname = %q\n", tc.key)
			}
			_, m, err := loadMainText(t, "main.toml", src)
			if err != nil {
				t.Fatal(err)
			}
			if m.Hostname != tc.want {
				t.Errorf("Hostname = %q, want %q", m.Hostname, tc.want)
			}
		})
	}
	t.Run("real", func(t *testing.T) {
		_, m, err := loadMainText(t, "main.toml", "output_path = \"o\"\nsandbox_run_path = \"r\"\n")
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.Hostname()
		if len(want) > MaxHostnameLen {
			want = want[:MaxHostnameLen]
		}
		if m.Hostname != want {
			t.Errorf("Hostname = %q, want os.Hostname() %q", m.Hostname, want)
		}
	})
}

// TestMainEveryKey loads the same config, every key set, in both formats.
func TestMainEveryKey(t *testing.T) {
	fromTOML, err := LoadMain("testdata/main/every_key.toml")
	if err != nil {
		t.Fatal(err)
	}
	fromCfg, err := LoadMain("testdata/main/every_key.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if d := sameMain(fromTOML, fromCfg); d != nil {
		t.Errorf("formats differ:\n%s", strings.Join(d, "\n"))
	}
	// The test covers every key.
	for _, k := range MainKeys() {
		for _, m := range []*Main{fromTOML, fromCfg} {
			if _, ok := m.Table.Get(k); !ok {
				t.Errorf("%s does not set %s", m.File, k)
			}
		}
	}

	abs, err := filepath.Abs("testdata/main")
	if err != nil {
		t.Fatal(err)
	}
	want := &Main{
		Dir:                      abs,
		OutputPath:               "/var/lib/sightline/output",
		OutputSize:               1 << 30,
		SandboxLoadPath:          "load",
		SandboxRunPath:           "run",
		SandboxInstallPath:       "/usr/share/sightline/sandboxes",
		AnalysisThreads:          4,
		AnalysisUtilizationLimit: 80,
		AnalysisLuaPath:          "lua/modules/?.lua",
		IOLuaPath:                "lua/modules/?.lua;lua/io_modules/?.lua",
		MaxMessageSize:           1 << 20,
		Backpressure:             10,
		BackpressureDiskFree:     8,
		Hostname:                 "edge-01.example.com",
		InputDefaults: mustTable("output_limit", 256<<10, "memory_limit", 16<<20, "instruction_limit", 0,
			"ticker_interval", 5, "preserve_data", true, "restricted_headers", true, "shutdown_on_terminate", true),
		AnalysisDefaults: mustTable("output_limit", 1<<20, "memory_limit", 32<<20, "instruction_limit", 500000,
			"ticker_interval", 60, "preserve_data", true, "restricted_headers", false, "shutdown_on_terminate", true,
			"process_message_inject_limit", 1, "timer_event_inject_limit", 20),
		OutputDefaults: mustTable("output_limit", 512<<10, "memory_limit", 64<<20, "instruction_limit", 2000000,
			"ticker_interval", 10, "preserve_data", true, "restricted_headers", true, "shutdown_on_terminate", true,
			"remove_checkpoints_on_terminate", true, "read_queue", "analysis"),
		Sync:               "always",
		CheckpointInterval: 250 * time.Millisecond,
		MetricsListen:      "127.0.0.1:9469",
		LogFormat:          "json",
		LogLevel:           7,
		MaxQueueSize:       20 << 30,
		QueueFull:          "drop_oldest",
		Ignored: []Entry{
			{Key: StringKey("analysis_lua_cpath"), Value: "/usr/lib/luasandbox/modules/?.so"},
			{Key: StringKey("io_lua_cpath"), Value: "/usr/lib/luasandbox/io_modules/?.so"},
		},
	}
	if d := sameMain(fromTOML, want); d != nil {
		t.Errorf("values differ:\n%s", strings.Join(d, "\n"))
	}
	for _, m := range []*Main{fromTOML, fromCfg} {
		if l := m.Ignored[0].Line; l != 11 {
			t.Errorf("%s: analysis_lua_cpath recorded on line %d, want 11", m.File, l)
		}
		// The defaults keep their lines, for the plugin's errors.
		if l := m.OutputDefaults.Line("read_queue"); l == 0 {
			t.Errorf("%s: output_defaults.read_queue has no line", m.File)
		}
	}

	// The defaults feed plugins: a plugin config sets only its own keys.
	cfg, err := ParseTOML("run/analysis/counter.toml", []byte("filename = \"counter.lua\"\nmessage_matcher = \"TRUE\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlugin(Analysis, cfg, fromTOML.DefaultsFor(Analysis))
	if err != nil {
		t.Fatal(err)
	}
	if p.MemoryLimit != 32<<20 || p.OutputLimit != 1<<20 || p.TimerEventInjectLimit != 20 {
		t.Errorf("plugin: memory_limit %d, output_limit %d, timer_event_inject_limit %d; want the analysis defaults",
			p.MemoryLimit, p.OutputLimit, p.TimerEventInjectLimit)
	}
}

// TestMainReferenceExample loads the reference's shipped hindsight.cfg and
// sightline's annotated example, which sets the same values where the keys
// overlap.
func TestMainReferenceExample(t *testing.T) {
	ref, err := LoadMain("testdata/hindsight.cfg")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := LoadMain("testdata/sightline.toml")
	if err != nil {
		t.Fatal(err)
	}
	if ref.AnalysisLuaPath != "/usr/lib/luasandbox/modules/?.lua" ||
		ref.IOLuaPath != "/usr/lib/luasandbox/modules/?.lua;/usr/lib/luasandbox/io_modules/?.lua" {
		t.Errorf("reference Lua paths: %q, %q", ref.AnalysisLuaPath, ref.IOLuaPath)
	}
	if ours.AnalysisLuaPath != "" || ours.IOLuaPath != "" || ours.Ignored != nil {
		t.Errorf("sightline example: Lua paths %q, %q, ignored %v; want none", ours.AnalysisLuaPath, ours.IOLuaPath, ours.Ignored)
	}
	var ignored []string
	for _, e := range ref.Ignored {
		ignored = append(ignored, fmt.Sprintf("%d:%v=%v", e.Line, e.Key, e.Value))
	}
	wantIgnored := "8:analysis_lua_cpath=/usr/lib/luasandbox/modules/?.so " +
		"10:io_lua_cpath=/usr/lib/luasandbox/modules/?.so;/usr/lib/luasandbox/io_modules/?.so"
	if got := strings.Join(ignored, " "); got != wantIgnored {
		t.Errorf("Ignored = %s, want %s", got, wantIgnored)
	}

	// Only the Lua paths (sightline needs none) and the C paths differ.
	ref.AnalysisLuaPath, ref.IOLuaPath, ref.Ignored = "", "", nil
	if d := sameMain(ref, ours); d != nil {
		t.Errorf("examples differ:\n%s", strings.Join(d, "\n"))
	}
	if ours.OutputPath != "output" || ours.OutputSize != 64<<20 || ours.SandboxLoadPath != "load" ||
		ours.SandboxRunPath != "run" || ours.MaxMessageSize != 65536 || ours.LogLevel != 6 {
		t.Errorf("sightline example: %+v", ours)
	}
}

func TestMainValues(t *testing.T) {
	const base = "output_path = \"o\"\nsandbox_run_path = \"r\"\n"
	for _, tc := range []struct {
		name, file, src string
		check           func(*Main) any // returns the value to compare
		want            any
	}{
		{"size string", "m.toml", `output_size = "1.5MiB"`, func(m *Main) any { return m.OutputSize }, int64(1572864)},
		{"size SI", "m.toml", `output_size = "64MB"`, func(m *Main) any { return m.OutputSize }, int64(64000000)},
		{"size number", "m.toml", `max_message_size = 1024`, func(m *Main) any { return m.MaxMessageSize }, int64(1024)},
		{"size Lua arithmetic", "m.cfg", `output_size = 2 * 1024`, func(m *Main) any { return m.OutputSize }, int64(2048)},
		{"max message size cap", "m.toml", `max_message_size = "64MiB"`, func(m *Main) any { return m.MaxMessageSize }, int64(64 << 20)},
		{"queue size twice output size", "m.toml", "output_size = \"1MiB\"\nmax_queue_size = \"2MiB\"", func(m *Main) any { return m.MaxQueueSize }, int64(2 << 20)},
		{"queue size unlimited", "m.cfg", `max_queue_size = 0`, func(m *Main) any { return m.MaxQueueSize }, int64(0)},
		{"duration ms", "m.toml", `checkpoint_interval = "500ms"`, func(m *Main) any { return m.CheckpointInterval }, 500 * time.Millisecond},
		{"duration compound", "m.toml", `checkpoint_interval = "1m30s"`, func(m *Main) any { return m.CheckpointInterval }, 90 * time.Second},
		{"duration seconds", "m.toml", `checkpoint_interval = 2`, func(m *Main) any { return m.CheckpointInterval }, 2 * time.Second},
		{"duration fraction", "m.toml", `checkpoint_interval = 0.5`, func(m *Main) any { return m.CheckpointInterval }, 500 * time.Millisecond},
		{"duration Lua", "m.cfg", `checkpoint_interval = 1 / 4`, func(m *Main) any { return m.CheckpointInterval }, 250 * time.Millisecond},
		{"duration minimum", "m.toml", `checkpoint_interval = "1ms"`, func(m *Main) any { return m.CheckpointInterval }, time.Millisecond},
		{"duration maximum", "m.cfg", `checkpoint_interval = 3600`, func(m *Main) any { return m.CheckpointInterval }, time.Hour},
		{"listen all interfaces", "m.toml", `metrics_listen = ":9469"`, func(m *Main) any { return m.MetricsListen }, ":9469"},
		{"listen IPv6", "m.toml", `metrics_listen = "[::1]:9469"`, func(m *Main) any { return m.MetricsListen }, "[::1]:9469"},
		{"listen IPv6 zone", "m.toml", `metrics_listen = "[fe80::1%eth0]:9469"`, func(m *Main) any { return m.MetricsListen }, "[fe80::1%eth0]:9469"},
		{"listen host name", "m.cfg", `metrics_listen = "localhost:65535"`, func(m *Main) any { return m.MetricsListen }, "localhost:65535"},
		{"listen off", "m.toml", `metrics_listen = ""`, func(m *Main) any { return m.MetricsListen }, ""},
		{"log level name", "m.toml", `log_level = "WARNING"`, func(m *Main) any { return m.LogLevel }, 4},
		{"log level number", "m.cfg", `log_level = 0`, func(m *Main) any { return m.LogLevel }, 0},
		{"log level name Lua", "m.cfg", `log_level = "err"`, func(m *Main) any { return m.LogLevel }, 3},
		{"sync none", "m.toml", `sync = "none"`, func(m *Main) any { return m.Sync }, "none"},
		{"threads max", "m.toml", `analysis_threads = 64`, func(m *Main) any { return m.AnalysisThreads }, 64},
		{"utilization off", "m.toml", `analysis_utilization_limit = 0`, func(m *Main) any { return m.AnalysisUtilizationLimit }, 0},
		{"load path off", "m.cfg", `sandbox_load_path = ""`, func(m *Main) any { return m.SandboxLoadPath }, ""},
		{"install path off", "m.toml", `sandbox_install_path = ""`, func(m *Main) any { return m.SandboxInstallPath }, ""},
		{"output limit equal to max", "m.toml", "max_message_size = 2048\n[output_defaults]\noutput_limit = \"2KiB\"",
			func(m *Main) any { v, _ := m.OutputDefaults.Get("output_limit"); return v }, 2048.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, m, err := loadMainText(t, tc.file, base+tc.src+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.check(m); got != tc.want {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestMainErrors(t *testing.T) {
	// base is on lines 1 and 2; a case's src starts on line 3.
	const base = "output_path = \"o\"\nsandbox_run_path = \"r\"\n"
	const cfg, toml, both = ".cfg", ".toml", ""
	for _, tc := range []struct {
		name     string
		format   string // cfg, toml or both: src is valid in either syntax
		src      string
		sentinel error
		line     int
		key      string
		msg      string // in the message, if set
	}{
		// Unknown keys.
		{"unknown key", both, "foo = 1", ErrUnknownKey, 3, "foo", ""},
		{"typo", both, "output_sise = 5", ErrUnknownKey, 3, "output_sise", "did you mean output_size?"},
		{"Lua helper variable", cfg, "base = \"/srv\"", ErrUnknownKey, 3, "base", "must be local"},
		{"plugin key at top", both, "memory_limit = 5", ErrUnknownKey, 3, "memory_limit", ""},
		{"unknown input default", toml, "[input_defaults]\nfoo = 1", ErrUnknownKey, 4, "input_defaults.foo", "allowed: output_limit"},
		{"unknown analysis default", toml, "[analysis_defaults]\nfoo = 1", ErrUnknownKey, 4, "analysis_defaults.foo", ""},
		{"unknown output default", toml, "[output_defaults]\nfoo = 1", ErrUnknownKey, 4, "output_defaults.foo", ""},
		{"unknown input default Lua", cfg, "input_defaults = {\n  foo = 1 }", ErrUnknownKey, 4, "input_defaults.foo", ""},
		{"unknown analysis default Lua", cfg, "analysis_defaults = { foo = 1 }", ErrUnknownKey, 3, "analysis_defaults.foo", ""},
		{"unknown output default Lua", cfg, "output_defaults = { bar = true }", ErrUnknownKey, 3, "output_defaults.bar", ""},
		{"output key in input defaults", toml, "[input_defaults]\nread_queue = \"both\"", ErrUnknownKey, 4, "input_defaults.read_queue", ""},
		{"analysis key in output defaults", cfg, "output_defaults = { timer_event_inject_limit = 1 }", ErrUnknownKey, 3, "output_defaults.timer_event_inject_limit", ""},
		{"plugin-only key in defaults", toml, "[analysis_defaults]\nthread = 1", ErrUnknownKey, 4, "analysis_defaults.thread", ""},
		{"positional default", cfg, "input_defaults = { 5 }", ErrUnknownKey, 3, "input_defaults[1]", ""},

		// Bad values inside the defaults tables.
		{"default bad type", toml, "[input_defaults]\npreserve_data = 1", ErrType, 4, "input_defaults.preserve_data", ""},
		{"default bad size", toml, "[output_defaults]\nmemory_limit = \"8XB\"", ErrSize, 4, "output_defaults.memory_limit", ""},
		{"default size string in Lua", cfg, "output_defaults = { memory_limit = \"8MiB\" }", ErrType, 3, "output_defaults.memory_limit", ""},
		{"default bad read_queue", toml, "[output_defaults]\nread_queue = \"sometimes\"", ErrInvalid, 4, "output_defaults.read_queue", ""},
		{"defaults not a table", both, "analysis_defaults = 5", ErrType, 3, "analysis_defaults", "want a table"},

		// Required and path keys.
		{"sandbox_load_path type", both, "sandbox_load_path = true", ErrType, 3, "sandbox_load_path", ""},
		{"sandbox_install_path type", both, "sandbox_install_path = 1", ErrType, 3, "sandbox_install_path", ""},
		{"analysis_lua_path type", both, "analysis_lua_path = false", ErrType, 3, "analysis_lua_path", ""},
		{"io_lua_path type", both, "io_lua_path = 1", ErrType, 3, "io_lua_path", ""},
		{"analysis_lua_cpath type", both, "analysis_lua_cpath = 1", ErrType, 3, "analysis_lua_cpath", ""},
		{"io_lua_cpath type", both, "io_lua_cpath = true", ErrType, 3, "io_lua_cpath", ""},

		// Numbers and sizes.
		{"output_size zero", both, "output_size = 0", ErrInvalid, 3, "output_size", ""},
		{"output_size negative", both, "output_size = -1", ErrType, 3, "output_size", ""},
		{"output_size fraction", both, "output_size = 1.5", ErrType, 3, "output_size", ""},
		{"output_size bad unit", toml, "output_size = \"64XB\"", ErrSize, 3, "output_size", "unknown unit"},
		{"output_size string in Lua", cfg, "output_size = \"64MiB\"", ErrType, 3, "output_size", "want a non-negative integer, got string"},
		{"analysis_threads zero", both, "analysis_threads = 0", ErrInvalid, 3, "analysis_threads", "out of range (1..64)"},
		{"analysis_threads 65", both, "analysis_threads = 65", ErrInvalid, 3, "analysis_threads", ""},
		{"analysis_threads type", both, "analysis_threads = \"2\"", ErrType, 3, "analysis_threads", ""},
		{"utilization 101", both, "analysis_utilization_limit = 101", ErrInvalid, 3, "analysis_utilization_limit", "(0..100)"},
		{"utilization type", both, "analysis_utilization_limit = true", ErrType, 3, "analysis_utilization_limit", ""},
		{"max_message_size 1023", both, "max_message_size = 1023", ErrInvalid, 3, "max_message_size", "under the minimum, 1024"},
		{"max_message_size string 1000B", toml, "max_message_size = \"1000B\"", ErrInvalid, 3, "max_message_size", ""},
		{"max_message_size over 64MiB", toml, "max_message_size = \"65MiB\"", ErrInvalid, 3, "max_message_size", "over the maximum"},
		{"max_message_size type", both, "max_message_size = false", ErrType, 3, "max_message_size", ""},
		{"max_message_size under output_limit", toml, "max_message_size = 2048\n[analysis_defaults]\noutput_limit = 4096",
			ErrInvalid, 5, "analysis_defaults.output_limit", "4096 is over max_message_size (2048)"},
		{"default max_message_size under output_limit", toml, "[output_defaults]\noutput_limit = \"128KiB\"",
			ErrInvalid, 4, "output_defaults.output_limit", "over max_message_size (65536)"},
		{"max_message_size under input output_limit Lua", cfg, "max_message_size = 1024\ninput_defaults = {\n  output_limit = 1025,\n}",
			ErrInvalid, 5, "input_defaults.output_limit", ""},
		{"backpressure negative", both, "backpressure = -1", ErrType, 3, "backpressure", ""},
		{"backpressure_disk_free type", both, "backpressure_disk_free = \"4\"", ErrType, 3, "backpressure_disk_free", ""},
		{"hostname type", both, "hostname = 5", ErrType, 3, "hostname", ""},
		{"hostname empty", both, "hostname = \"\"", ErrInvalid, 3, "hostname", ""},

		// Sightline's keys.
		{"sync value", both, "sync = \"sometimes\"", ErrInvalid, 3, "sync", `want "none", "checkpoint" or "always"`},
		{"sync type", both, "sync = true", ErrType, 3, "sync", ""},
		{"checkpoint_interval not a duration", toml, "checkpoint_interval = \"fast\"", ErrInvalid, 3, "checkpoint_interval", "not a duration"},
		{"checkpoint_interval zero", both, "checkpoint_interval = 0", ErrInvalid, 3, "checkpoint_interval", "out of range"},
		{"checkpoint_interval under 1ms", both, "checkpoint_interval = 0.0001", ErrInvalid, 3, "checkpoint_interval", ""},
		{"checkpoint_interval negative", both, "checkpoint_interval = -1", ErrInvalid, 3, "checkpoint_interval", ""},
		{"checkpoint_interval negative string", toml, "checkpoint_interval = \"-1s\"", ErrInvalid, 3, "checkpoint_interval", ""},
		{"checkpoint_interval over an hour", toml, "checkpoint_interval = \"61m\"", ErrInvalid, 3, "checkpoint_interval", "(1ms..1h)"},
		{"checkpoint_interval huge", both, "checkpoint_interval = 1e300", ErrInvalid, 3, "checkpoint_interval", ""},
		{"checkpoint_interval nan", toml, "checkpoint_interval = nan", ErrInvalid, 3, "checkpoint_interval", ""},
		{"checkpoint_interval type", both, "checkpoint_interval = true", ErrType, 3, "checkpoint_interval", ""},
		{"checkpoint_interval string in Lua", cfg, "checkpoint_interval = \"1s\"", ErrType, 3, "checkpoint_interval", "want a number of seconds"},
		{"metrics_listen no port", both, "metrics_listen = \"localhost\"", ErrInvalid, 3, "metrics_listen", "not host:port"},
		{"metrics_listen port zero", both, "metrics_listen = \"127.0.0.1:0\"", ErrInvalid, 3, "metrics_listen", "1..65535"},
		{"metrics_listen port too big", both, "metrics_listen = \"127.0.0.1:70000\"", ErrInvalid, 3, "metrics_listen", ""},
		{"metrics_listen service name", both, "metrics_listen = \":http\"", ErrInvalid, 3, "metrics_listen", ""},
		{"metrics_listen bad host", both, "metrics_listen = \"bad host:9469\"", ErrInvalid, 3, "metrics_listen", "neither an IP address nor a host name"},
		{"metrics_listen type", both, "metrics_listen = 9469", ErrType, 3, "metrics_listen", ""},
		{"log_format value", both, "log_format = \"xml\"", ErrInvalid, 3, "log_format", ""},
		{"log_format type", both, "log_format = 1", ErrType, 3, "log_format", ""},
		{"log_level 8", both, "log_level = 8", ErrInvalid, 3, "log_level", "out of range (0..7)"},
		{"log_level negative", both, "log_level = -1", ErrType, 3, "log_level", ""},
		{"log_level name", both, "log_level = \"verbose\"", ErrInvalid, 3, "log_level", ""},
		{"log_level type", both, "log_level = true", ErrType, 3, "log_level", ""},
		{"max_queue_size under two segments", toml, "max_queue_size = \"100MiB\"", ErrInvalid, 3, "max_queue_size", "under twice output_size (67108864)"},
		{"max_queue_size bad unit", toml, "max_queue_size = \"1XB\"", ErrSize, 3, "max_queue_size", ""},
		{"max_queue_size string in Lua", cfg, "max_queue_size = \"1GiB\"", ErrType, 3, "max_queue_size", ""},
		{"queue_full value", both, "queue_full = \"drop_newest\"", ErrInvalid, 3, "queue_full", `want "block" or "drop_oldest"`},
		{"queue_full type", both, "queue_full = 1", ErrType, 3, "queue_full", ""},
	} {
		formats := []string{tc.format}
		if tc.format == both {
			formats = []string{cfg, toml}
		}
		for _, ext := range formats {
			t.Run(tc.name+ext, func(t *testing.T) {
				path, _, err := loadMainText(t, "main"+ext, base+tc.src+"\n")
				e := wantError(t, err, tc.sentinel, path, tc.line, tc.key)
				if e != nil && tc.msg != "" && !strings.Contains(e.Error(), tc.msg) {
					t.Errorf("error %q does not say %q", e, tc.msg)
				}
			})
		}
	}
}

func TestMainMissing(t *testing.T) {
	for _, tc := range []struct{ name, src, key string }{
		{"output_path", "sandbox_run_path = \"r\"\n", "output_path"},
		{"sandbox_run_path", "output_path = \"o\"\n", "sandbox_run_path"},
		{"empty file", "", "output_path"},
	} {
		for _, ext := range []string{".toml", ".cfg"} {
			t.Run(tc.name+ext, func(t *testing.T) {
				path, _, err := loadMainText(t, "main"+ext, tc.src)
				wantError(t, err, ErrMissing, path, 0, tc.key)
			})
		}
	}
}

// TestMainRequiredPaths checks the required keys' values, written on
// line 2.
func TestMainRequiredPaths(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		formats   []string
		sentinel  error
		key       string
	}{
		{"output_path type", "sandbox_run_path = \"r\"\noutput_path = 5", []string{".cfg", ".toml"}, ErrType, "output_path"},
		{"output_path empty", "sandbox_run_path = \"r\"\noutput_path = \"\"", []string{".cfg", ".toml"}, ErrInvalid, "output_path"},
		{"sandbox_run_path type", "output_path = \"o\"\nsandbox_run_path = {}", []string{".cfg", ".toml"}, ErrType, "sandbox_run_path"},
		{"sandbox_run_path empty", "output_path = \"o\"\nsandbox_run_path = \"\"", []string{".cfg", ".toml"}, ErrInvalid, "sandbox_run_path"},
	} {
		for _, ext := range tc.formats {
			t.Run(tc.name+ext, func(t *testing.T) {
				path, _, err := loadMainText(t, "main"+ext, tc.src+"\n")
				wantError(t, err, tc.sentinel, path, 2, tc.key)
			})
		}
	}
}

func TestLoadMainFiles(t *testing.T) {
	path, _, err := loadMainText(t, "main.yaml", "output_path: o\n")
	wantError(t, err, ErrFormat, path, 0, "")

	missing := filepath.Join(t.TempDir(), "nope.toml")
	_, err = LoadMain(missing)
	wantError(t, err, fs.ErrNotExist, missing, 0, "")

	path, _, err = loadMainText(t, "main.toml", "output_path = \n")
	wantError(t, err, ErrSyntax, path, 1, "output_path")

	path, _, err = loadMainText(t, "main.cfg", "output_path = \"o\"\nsandbox_run_path = math.floor(1)\n")
	wantError(t, err, ErrRuntime, path, 2, "")

	path, _, err = loadMainText(t, "main.cfg", "while true do end\n")
	wantError(t, err, ErrBudget, path, 1, "")
}

func TestMainResolve(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "sightline.toml", `
output_path = "out"
sandbox_run_path = "/abs/run"
sandbox_load_path = "../load"
analysis_lua_path = "lua/?.lua;;/usr/lib/?.lua"
io_lua_path = ""
`)
	m, err := LoadMain(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != dir {
		t.Errorf("Dir = %q, want %q", m.Dir, dir)
	}
	// The fields keep what was written.
	if m.OutputPath != "out" || m.SandboxLoadPath != "../load" {
		t.Errorf("paths changed: %q, %q", m.OutputPath, m.SandboxLoadPath)
	}
	r := m.Resolved()
	for _, tc := range []struct{ name, got, want string }{
		{"output_path", r.OutputPath, filepath.Join(dir, "out")},
		{"sandbox_run_path", r.SandboxRunPath, "/abs/run"},
		{"sandbox_load_path", r.SandboxLoadPath, filepath.Join(filepath.Dir(dir), "load")},
		{"sandbox_install_path", r.SandboxInstallPath, DefaultSandboxInstallPath},
		{"analysis_lua_path", r.AnalysisLuaPath, filepath.Join(dir, "lua", "?.lua") + ";;/usr/lib/?.lua"},
		{"io_lua_path", r.IOLuaPath, ""},
		{"Resolve empty", m.Resolve(""), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if m.OutputPath != "out" {
		t.Errorf("Resolved changed m: %q", m.OutputPath)
	}

	// A relative config path gives an absolute Dir.
	t.Chdir(dir)
	m, err = LoadMain("sightline.toml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != dir || m.Resolve("out") != filepath.Join(dir, "out") {
		t.Errorf("relative config: Dir = %q, Resolve(out) = %q", m.Dir, m.Resolve("out"))
	}
}

func TestMainCheckDirs(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"run/input", "run/analysis", "run/output", "load/input", "load/output"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "run"), "bad", "")
	check := func(src string) (string, error) {
		path := writeFile(t, dir, "main.toml", src)
		m, err := LoadMain(path)
		if err != nil {
			t.Fatal(err)
		}
		return path, m.CheckDirs()
	}

	if _, err := check("output_path = \"out\"\nsandbox_run_path = \"run\"\n"); err != nil {
		t.Errorf("good run dir, no load dir: %v", err)
	}
	path, err := check("output_path = \"out\"\nsandbox_run_path = \"run\"\nsandbox_load_path = \"load\"\n")
	e := wantError(t, err, ErrInvalid, path, 3, "sandbox_load_path")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(e.Error(), filepath.Join(dir, "load", "analysis")) {
		t.Errorf("error %q does not name the missing directory", err)
	}
	path, err = check("output_path = \"out\"\nsandbox_run_path = \"nowhere\"\n")
	wantError(t, err, fs.ErrNotExist, path, 2, "sandbox_run_path")
	path, err = check("output_path = \"out\"\nsandbox_run_path = \"run/bad\"\n")
	wantError(t, err, ErrInvalid, path, 2, "sandbox_run_path")
	path, err = check("output_path = \"out\"\nsandbox_run_path = \"" + filepath.Join(dir, "run", "input") + "\"\n")
	wantError(t, err, ErrInvalid, path, 2, "sandbox_run_path")
}

func TestMainErrorAt(t *testing.T) {
	m, err := LoadMain("testdata/main/every_key.toml")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		key  string
		line int
	}{
		{"output_path", 3},
		{"output_defaults.read_queue", 55},
		{"metrics_listen", 20},
		{"nope", 0},
		{"nope.deeper", 0},
		{"output_path.deeper", 0},
	} {
		e := m.ErrorAt(tc.key, boom)
		if e.File != m.File || e.Line != tc.line || e.Key != tc.key || !errors.Is(e, boom) {
			t.Errorf("ErrorAt(%q) = %+v, want line %d", tc.key, e, tc.line)
		}
	}
}

func TestMainKeys(t *testing.T) {
	keys := MainKeys()
	keys[0] = "changed"
	if MainKeys()[0] != "output_path" {
		t.Error("MainKeys returns the package's slice")
	}
	if maxMaxMessageSize != message.HardCap {
		t.Errorf("max max_message_size %d, readers accept up to %d", maxMaxMessageSize, message.HardCap)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "abd", 1}, {"abc", "ab", 1},
		{"output_sise", "output_size", 1}, {"sycn", "sync", 2}, {"", "abc", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := closest("synk", mainKeys); got != "sync" {
		t.Errorf("closest(synk) = %q", got)
	}
	if got := closest("zzzz", mainKeys); got != "" {
		t.Errorf("closest(zzzz) = %q", got)
	}
}
