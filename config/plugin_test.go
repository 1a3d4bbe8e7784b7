package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSameConfigBothFormats reads the same output plugin written as a .cfg
// and as a .toml: read_config must see the same table.
func TestSameConfigBothFormats(t *testing.T) {
	cfgTable, err := ReadFile("testdata/same/counter.cfg", 0)
	if err != nil {
		t.Fatal(err)
	}
	tomlTable, err := ReadFile("testdata/same/counter.toml", 0)
	if err != nil {
		t.Fatal(err)
	}
	fromCfg, err := NewPlugin(Output, cfgTable, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromTOML, err := NewPlugin(Output, tomlTable, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(fromCfg.Table, fromTOML.Table) {
		t.Errorf("tables differ:\ncfg:  %s\ntoml: %s", dump(fromCfg.Table), dump(fromTOML.Table))
	}
	// Before the schema, only the size keys differ ("64KiB" vs 65536).
	for _, k := range []string{"output_limit", "memory_limit"} {
		cfgTable.Delete(k)
		tomlTable.Delete(k)
	}
	if !Equal(cfgTable, tomlTable) {
		t.Errorf("raw tables differ:\ncfg:  %s\ntoml: %s", dump(cfgTable), dump(tomlTable))
	}
	// The top-level keys are on the same lines in both files.
	for _, e := range fromCfg.Table.Entries() {
		if l := fromTOML.Table.Line(e.Key.Name()); e.Line != l {
			t.Errorf("key %v: line %d in .cfg, %d in .toml", e.Key, e.Line, l)
		}
	}

	want := map[string]Value{
		"filename":                        "counter.lua",
		"message_matcher":                 "Type == 'nginx' && Fields[status] >= 500",
		"ticker_interval":                 60.0,
		"preserve_data":                   true,
		"output_limit":                    65536.0,
		"memory_limit":                    8388608.0,
		"instruction_limit":               1000000.0,
		"restricted_headers":              false,
		"shutdown_on_terminate":           false,
		"async_buffer_size":               0.0,
		"remove_checkpoints_on_terminate": false,
		"read_queue":                      "both",
		"log_path":                        "/var/log/nginx/access.log",
		"_password":                       "s3cr3t\t\"q\"\n\\",
		"ratio":                           0.25,
		"negative":                        -17.0,
		"big":                             9007199254740992.0,
		"unicode":                         "héllo",
		"template":                        "line one\nline \"two\"",
		"thread":                          "not typed for outputs",
		"list":                            mustTable(1, 1.0, 2, 2.0, 3, "x", 4, true),
		"matrix":                          mustTable(1, mustTable(1, 1.0, 2, 2.0), 2, mustTable(1, 3.0, 2, 4.0)),
		"empty":                           NewTable(""),
		"decoders_nginx_access": mustTable(
			"log_format", `$remote_addr - $remote_user [$time_local] "$request"`,
			"type", "nginx.access",
			"options", mustTable("strict", true, "depth", 3.0),
		),
	}
	for k, w := range want {
		if v, ok := fromCfg.Table.Get(k); !ok || !Equal(v, w) {
			t.Errorf("read_config(%q) = %s, want %s", k, dump(v), dump(w))
		}
	}
	if _, ok := fromCfg.Table.Get("helper"); ok {
		t.Error("function helper kept")
	}

	wantPlugin := Plugin{
		Type: Output, Name: "counter", File: "testdata/same/counter.cfg",
		Filename: "counter.lua", OutputLimit: 65536, MemoryLimit: 8388608, InstructionLimit: 1000000,
		TickerInterval: 60, PreserveData: true,
		MessageMatcher: "Type == 'nginx' && Fields[status] >= 500", ReadQueue: "both",
	}
	got := *fromCfg
	got.Table = nil
	if got != wantPlugin {
		t.Errorf("plugin = %+v\nwant     %+v", got, wantPlugin)
	}
	if fromTOML.Name != "counter" || fromTOML.File != "testdata/same/counter.toml" {
		t.Errorf("toml plugin name %q file %q", fromTOML.Name, fromTOML.File)
	}
}

func TestPrecedence(t *testing.T) {
	for _, format := range []string{"toml", "cfg"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			var main, plugin string
			if format == "toml" {
				main = writeFile(t, dir, "sightline.toml", `
[analysis_defaults]
output_limit = "128KiB"
memory_limit = "16MiB"
restricted_headers = false
timer_event_inject_limit = 0
`)
				plugin = writeFile(t, dir, "p.toml", `
filename = "p.lua"
message_matcher = "TRUE"
output_limit = 1024
`)
			} else {
				main = writeFile(t, dir, "hindsight.cfg", `
analysis_defaults = {
  output_limit = 128 * 1024,
  memory_limit = 16 * 1024 * 1024,
  restricted_headers = false,
  timer_event_inject_limit = 0,
}
`)
				plugin = writeFile(t, dir, "p.cfg", `
filename = "p.lua"
message_matcher = "TRUE"
output_limit = 1024
`)
			}
			mainCfg, err := ReadFile(main, 0)
			if err != nil {
				t.Fatal(err)
			}
			defaults, _, err := mainCfg.GetTable("analysis_defaults")
			if err != nil {
				t.Fatal(err)
			}
			p, err := LoadPlugin(plugin, Analysis, defaults)
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				key   string
				field int64
				want  int64
			}{
				{"output_limit", p.OutputLimit, 1024},                    // plugin
				{"memory_limit", p.MemoryLimit, 16 << 20},                // defaults
				{"instruction_limit", p.InstructionLimit, 1e6},           // built in
				{"timer_event_inject_limit", p.TimerEventInjectLimit, 0}, // defaults over built in (10)
				{"process_message_inject_limit", p.ProcessMessageInjectLimit, 0},
			}
			for _, c := range checks {
				if c.field != c.want {
					t.Errorf("%s = %d, want %d", c.key, c.field, c.want)
				}
				if v, _ := p.Table.Get(c.key); v != float64(c.want) {
					t.Errorf("read_config(%q) = %v, want %d", c.key, v, c.want)
				}
			}
			if p.RestrictedHeaders {
				t.Error("restricted_headers: the defaults' false lost to the analysis default true")
			}
			if p.HasThread {
				t.Error("thread set")
			}
			if _, ok := p.Table.Get("thread"); ok {
				t.Error("thread in table")
			}
			// Lines: the plugin's own keys keep theirs, defaults have none.
			if l := p.Table.Line("output_limit"); l != 4 {
				t.Errorf("line of output_limit = %d, want 4", l)
			}
			if l := p.Table.Line("memory_limit"); l != 0 {
				t.Errorf("line of memory_limit = %d, want 0", l)
			}

			// Without defaults the built-in values apply.
			p, err = LoadPlugin(plugin, Analysis, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.MemoryLimit != 8388608 || !p.RestrictedHeaders || p.TimerEventInjectLimit != 10 {
				t.Errorf("built-in defaults not applied: %+v", p)
			}
		})
	}
}

func TestPluginTypes(t *testing.T) {
	dir := t.TempDir()
	// Keys typed for other plugin types pass through unchecked.
	path := writeFile(t, dir, "in.cfg", `
filename = "in.lua"
message_matcher = 5
thread = "any"
read_queue = "nonsense"
Logger = "mine"
`)
	p, err := LoadPlugin(path, Input, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.RestrictedHeaders || p.MessageMatcher != "" {
		t.Errorf("input plugin: %+v", p)
	}
	for k, want := range map[string]Value{"message_matcher": 5.0, "thread": "any", "read_queue": "nonsense", "Logger": "mine"} {
		if v, _ := p.Table.Get(k); v != want {
			t.Errorf("read_config(%q) = %v, want %v", k, v, want)
		}
	}
	if _, ok := p.Table.Get("timer_event_inject_limit"); ok {
		t.Error("analysis key added to an input plugin")
	}

	path = writeFile(t, dir, "an.cfg", `filename = "an.lua"; message_matcher = "TRUE"; thread = 3`)
	p, err = LoadPlugin(path, Analysis, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasThread || p.Thread != 3 || !p.RestrictedHeaders {
		t.Errorf("analysis plugin: %+v", p)
	}
	p.Table.Set("Pid", 1234)
	if v, _ := p.Table.Get("Pid"); v != 1234.0 {
		t.Errorf("Pid = %v", v)
	}

	for _, s := range []string{"input", "analysis", "output"} {
		typ, err := ParsePluginType(s)
		if err != nil || typ.String() != s {
			t.Errorf("ParsePluginType(%q) = %v, %v", s, typ, err)
		}
	}
	if _, err := ParsePluginType("Input"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParsePluginType(Input): %v", err)
	}
	if _, err := LoadPlugin(path, PluginType(0), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("LoadPlugin(type 0): %v", err)
	}
}

func TestMalformedPlugins(t *testing.T) {
	const (
		an  = "filename = 'a.lua'\nmessage_matcher = 'TRUE'\n"
		anT = "filename = 'a.lua'\nmessage_matcher = 'TRUE'\n"
	)
	cases := []struct {
		name     string
		file     string // p.cfg or p.toml
		typ      PluginType
		src      string
		sentinel error
		line     int
		key      string
		text     string
	}{
		{"output_limit string", "p.cfg", Analysis, an + "output_limit = 'abc'", ErrType, 3, "output_limit", `got string "abc"`},
		{"output_limit bad size", "p.toml", Analysis, anT + "output_limit = 'abc'", ErrSize, 3, "output_limit", `"abc"`},
		{"output_limit size in cfg", "p.cfg", Analysis, an + "output_limit = '64KiB'", ErrType, 3, "output_limit", "non-negative integer"},
		{"output_limit bad unit", "p.toml", Analysis, anT + "output_limit = '64KB/s'", ErrSize, 3, "output_limit", "unit"},
		{"memory_limit negative", "p.cfg", Analysis, an + "\nmemory_limit = -1", ErrType, 4, "memory_limit", "number -1"},
		{"memory_limit negative toml", "p.toml", Analysis, anT + "memory_limit = -1", ErrType, 3, "memory_limit", "number -1"},
		{"instruction_limit fraction", "p.cfg", Analysis, an + "instruction_limit = 1.5", ErrType, 3, "instruction_limit", "1.5"},
		{"instruction_limit size string", "p.toml", Analysis, anT + "instruction_limit = '1MiB'", ErrType, 3, "instruction_limit", "string"},
		{"ticker_interval bool", "p.cfg", Analysis, an + "ticker_interval = true", ErrType, 3, "ticker_interval", "boolean"},
		{"ticker_interval huge", "p.cfg", Analysis, an + "ticker_interval = 2^60", ErrType, 3, "ticker_interval", "non-negative integer"},
		{"preserve_data string", "p.toml", Analysis, anT + "preserve_data = 'yes'", ErrType, 3, "preserve_data", "want a boolean"},
		{"restricted_headers number", "p.cfg", Output, an + "restricted_headers = 1", ErrType, 3, "restricted_headers", "want a boolean"},
		{"shutdown_on_terminate table", "p.cfg", Input, an + "shutdown_on_terminate = {}", ErrType, 3, "shutdown_on_terminate", "table"},
		{"message_matcher number", "p.cfg", Analysis, "filename = 'a.lua'\nmessage_matcher = 5", ErrType, 2, "message_matcher", "want a string"},
		{"message_matcher empty", "p.toml", Output, "filename = 'a.lua'\nmessage_matcher = ' '", ErrInvalid, 2, "message_matcher", "empty"},
		{"thread negative", "p.cfg", Analysis, an + "thread = -2", ErrType, 3, "thread", "-2"},
		{"process_message_inject_limit", "p.toml", Analysis, anT + "process_message_inject_limit = 'x'", ErrType, 3, "process_message_inject_limit", ""},
		{"timer_event_inject_limit", "p.cfg", Analysis, an + "timer_event_inject_limit = false", ErrType, 3, "timer_event_inject_limit", ""},
		{"async_buffer_size", "p.cfg", Output, an + "async_buffer_size = -1", ErrType, 3, "async_buffer_size", ""},
		{"remove_checkpoints_on_terminate", "p.toml", Output, anT + "remove_checkpoints_on_terminate = 'no'", ErrType, 3, "remove_checkpoints_on_terminate", ""},
		{"read_queue value", "p.cfg", Output, an + "read_queue = 'both2'", ErrInvalid, 3, "read_queue", `"both2"`},
		{"read_queue type", "p.toml", Output, anT + "read_queue = 1", ErrType, 3, "read_queue", ""},
		{"filename slash", "p.cfg", Input, "filename = '../x.lua'", ErrInvalid, 1, "filename", "'/'"},
		{"filename backslash", "p.toml", Input, "\nfilename = 'a\\b.lua'", ErrInvalid, 2, "filename", "'\\'"},
		{"filename not lua", "p.cfg", Input, "filename = 'x.py'", ErrInvalid, 1, "filename", ".lua"},
		{"filename only extension", "p.cfg", Input, "filename = '.lua'", ErrInvalid, 1, "filename", ".lua"},
		{"filename number", "p.cfg", Input, "filename = 5", ErrType, 1, "filename", "want a string"},
		{"missing filename", "p.cfg", Input, "ticker_interval = 1", ErrMissing, 0, "filename", ""},
		{"missing filename toml", "p.toml", Input, "", ErrMissing, 0, "filename", ""},
		{"missing matcher analysis", "p.cfg", Analysis, "filename = 'a.lua'", ErrMissing, 0, "message_matcher", "analysis"},
		{"missing matcher output", "p.toml", Output, "filename = 'a.lua'", ErrMissing, 0, "message_matcher", "output"},
		{"lua syntax", "p.cfg", Input, "filename = 'a.lua'\nx = = 1", ErrSyntax, 2, "", ""},
		{"lua runtime", "p.cfg", Input, "filename = 'a.lua'\n\nx = {} + 1", ErrRuntime, 3, "", ""},
		{"lua math", "p.cfg", Input, "filename = 'a.lua'\nx = math.floor(1)", ErrRuntime, 2, "", "'floor'"},
		{"lua getenv", "p.cfg", Input, "filename = 'a.lua'\nx = os.getenv('HOME')", ErrRuntime, 2, "", "'getenv'"},
		{"lua endless loop", "p.cfg", Input, "filename = 'a.lua'\nwhile true do end", ErrBudget, 2, "", ""},
		{"toml syntax", "p.toml", Input, "filename = 'a.lua'\nx = [1, 2", ErrSyntax, 2, "x", ""},
		{"toml duplicate key", "p.toml", Input, "filename = 'a.lua'\nticker_interval = 1\nticker_interval = 2", ErrSyntax, 3, "ticker_interval", ""},
		{"toml integer range", "p.toml", Input, "filename = 'a.lua'\nn = 18014398509481984", ErrRange, 2, "n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), tc.file, tc.src)
			start := time.Now()
			_, err := LoadPlugin(path, tc.typ, nil)
			wantError(t, err, tc.sentinel, path, tc.line, tc.key)
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not contain %q", err, tc.text)
			}
			if d := time.Since(start); d > loopLimit {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestMalformedDefaults(t *testing.T) {
	dir := t.TempDir()
	plugin := writeFile(t, dir, "p.cfg", "filename = 'p.lua'\nmessage_matcher = 'TRUE'\n")
	cases := []struct {
		name     string
		main     string // sightline.toml or hindsight.cfg
		src      string
		sentinel error
		line     int
		key      string
	}{
		{"unknown key", "sightline.toml", "[analysis_defaults]\noutput_limit = 1\nfoo = 2", ErrUnknownKey, 3, "analysis_defaults.foo"},
		{"filename in defaults", "hindsight.cfg", "analysis_defaults = {\n filename = 'x.lua' }", ErrUnknownKey, 2, "analysis_defaults.filename"},
		{"thread in defaults", "hindsight.cfg", "analysis_defaults = { thread = 1 }", ErrUnknownKey, 1, "analysis_defaults.thread"},
		{"bad size", "sightline.toml", "[analysis_defaults]\n\nmemory_limit = '16 MiBs'", ErrSize, 3, "analysis_defaults.memory_limit"},
		{"bad type", "hindsight.cfg", "analysis_defaults = {\n\n  preserve_data = 1,\n}", ErrType, 3, "analysis_defaults.preserve_data"},
		{"output key in analysis defaults", "sightline.toml", "[analysis_defaults]\nread_queue = 'x'", ErrUnknownKey, 2, "analysis_defaults.read_queue"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			main := writeFile(t, t.TempDir(), tc.main, tc.src)
			cfg, err := ReadFile(main, 0)
			if err != nil {
				t.Fatal(err)
			}
			defaults, _, err := cfg.GetTable("analysis_defaults")
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadPlugin(plugin, Analysis, defaults)
			wantError(t, err, tc.sentinel, main, tc.line, tc.key)
		})
	}
}

func TestBothFormats(t *testing.T) {
	for _, name := range []string{"counter.cfg", "counter.toml"} {
		path := filepath.Join("testdata", "same", name)
		_, err := LoadPlugin(path, Output, nil)
		wantError(t, err, ErrBothFormats, path, 0, "")
		for _, f := range []string{"counter.cfg", "counter.toml"} {
			if !strings.Contains(err.Error(), filepath.Join("testdata", "same", f)) {
				t.Errorf("error %q does not name %s", err, f)
			}
		}
	}
	_, err := LoadPlugin("testdata/same/counter.json", Output, nil)
	wantError(t, err, ErrFormat, "testdata/same/counter.json", 0, "")
	missing := filepath.Join(t.TempDir(), "none.cfg")
	_, err = LoadPlugin(missing, Output, nil)
	wantError(t, err, fs.ErrNotExist, missing, 0, "")
	if strings.Count(err.Error(), missing) != 1 {
		t.Errorf("error %q: want the path once", err)
	}
}
