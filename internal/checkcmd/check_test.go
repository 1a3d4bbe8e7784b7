package checkcmd

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestGoodTree(t *testing.T) {
	root := writeTree(t, goodTree)
	r := run(t, "-config", filepath.Join(root, "sightline.toml"))
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if want := "checked 3 plugins, 6 Lua files: 0 problems\n"; r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
}

func TestGoodReferenceConfig(t *testing.T) {
	files := clone(goodTree)
	delete(files, "sightline.toml")
	files["hindsight.cfg"] = `output_path = "out"
sandbox_run_path = "run"
sandbox_load_path = "load"
sandbox_install_path = "install"
analysis_lua_path = "modules/?.lua"
analysis_lua_cpath = "modules/?.so"
io_lua_path = analysis_lua_path .. ";io_modules/?.lua"
io_lua_cpath = analysis_lua_cpath
input_defaults = {}
analysis_defaults = {}
output_defaults = {}
`
	root := writeTree(t, files)
	r := run(t, "-config", filepath.Join(root, "hindsight.cfg"))
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestProblems changes the good tree in one way each and expects exactly
// the given problem lines: "FILE:LINE[:COL]: message" with FILE relative
// to the tree, matched as a prefix.
func TestProblems(t *testing.T) {
	cases := []struct {
		name    string
		edit    map[string]string // files to add or replace; "-" removes
		want    []string
		summary string // if set, the expected summary line
	}{
		{
			name:    "main config unknown key",
			edit:    map[string]string{"sightline.toml": goodTree["sightline.toml"] + "foo = 1\n"},
			want:    []string{"sightline.toml:7: foo: unknown key"},
			summary: "checked 0 plugins, 0 Lua files: 1 problem",
		},
		{
			name: "main config syntax error",
			edit: map[string]string{"sightline.toml": "output_path = \"out\"\nsandbox_run_path = \n"},
			want: []string{"sightline.toml:2: "},
		},
		{
			name: "main config bad value",
			edit: map[string]string{"sightline.toml": goodTree["sightline.toml"] + "analysis_threads = 100\n"},
			want: []string{"sightline.toml:7: analysis_threads: "},
		},
		{
			name: "missing run directories",
			edit: map[string]string{"run/output/out.cfg": "-", "load/output/.keep": "-", "load/analysis/.keep": "-"},
			want: []string{
				"sightline.toml:2: sandbox_run_path: invalid value: ",
				"sightline.toml:3: sandbox_load_path: invalid value: ",
				"sightline.toml:3: sandbox_load_path: invalid value: ",
			},
		},
		{
			name: "missing load directory",
			edit: map[string]string{"load/output/.keep": "-", "load/analysis/.keep": "-", "load/input/.keep": "-"},
			want: []string{"sightline.toml:3: sandbox_load_path: invalid value: "},
		},
		{
			name: "type directory that is a file",
			edit: map[string]string{"run/output/out.cfg": "-", "run/output": "not a directory"},
			want: []string{"sightline.toml:2: sandbox_run_path: invalid value: "},
		},
		{
			name: "bad plugin key",
			edit: map[string]string{"run/input/tail.cfg": "filename = \"tail.lua\"\noutput_limit = true\n"},
			want: []string{"run/input/tail.cfg:2: output_limit: wrong type"},
		},
		{
			name: "bad plugin key in TOML",
			edit: map[string]string{"run/analysis/counter.toml": "filename = \"counter.lua\"\nmessage_matcher = \"TRUE\"\nread_queue = \"both\"\nthread = -1\n"},
			want: []string{"run/analysis/counter.toml:4: thread: wrong type"},
		},
		{
			name: "missing message_matcher",
			edit: map[string]string{"run/output/out.cfg": "filename = \"out.lua\"\n"},
			want: []string{"run/output/out.cfg: message_matcher: missing required key"},
		},
		{
			name: "bad matcher mapped to a column",
			edit: map[string]string{"run/analysis/counter.toml": "filename = \"counter.lua\"\nmessage_matcher = \"Type == 'x' && Severity = 3\"\n"},
			// The expression starts at column 20; "=" is at offset 24.
			want: []string{"run/analysis/counter.toml:2:44: message_matcher: "},
		},
		{
			name: "bad matcher with escapes",
			edit: map[string]string{"run/output/out.cfg": "filename = \"out.lua\"\nmessage_matcher = \"Type == \\\"x\\\" &&\"\n"},
			want: []string{"run/output/out.cfg:2: message_matcher: offset 14: "},
		},
		{
			name: "missing Lua file",
			edit: map[string]string{"run/input/tail.cfg": "ticker_interval = 1\nfilename = \"nope.lua\"\n"},
			want: []string{"run/input/tail.cfg:2: filename: nope.lua not found (looked in "},
		},
		{
			name: "Lua syntax error",
			edit: map[string]string{"run/analysis/counter.lua": "local n = 0\nfunction process_message()\n  n = = 1\n  return 0\nend\nfunction timer_event() end\n"},
			want: []string{"run/analysis/counter.lua:3:7: syntax error near '='"},
		},
		{
			name: "Lua syntax error at end of file",
			edit: map[string]string{"install/output/out.lua": "function process_message()\n  return 0\n"},
			want: []string{"install/output/out.lua:2: syntax error at end of file"},
		},
		{
			name: "Lua compile error",
			edit: map[string]string{"run/input/tail.lua": "function process_message()\n  goto nowhere\nend\n"},
			want: []string{"run/input/tail.lua:"},
		},
		{
			name: "syntax error in a required module",
			edit: map[string]string{"modules/nested/a.lua": "local M = {\nreturn M\n"},
			want: []string{"modules/nested/a.lua:2:1: "},
		},
		{
			name: "module not provided",
			edit: map[string]string{"run/input/tail.lua": goodTree["run/input/tail.lua"] + "local lpeg = require 'lpeg'\n"},
			want: []string{"run/input/tail.lua:9: module 'lpeg' not provided for input plugins (no standard library, Go module or embedded module; not on io_lua_path: "},
		},
		{
			name: "module not provided, inside a function of a module",
			edit: map[string]string{"modules/util.lua": "local M = {}\nfunction M.f()\n  return require(\"rjson\")\nend\nreturn M\n"},
			// Once per plugin type that reaches the module.
			want: []string{
				"modules/util.lua:3: module 'rjson' not provided for analysis plugins",
				"modules/util.lua:3: module 'rjson' not provided for input plugins",
			},
		},
		{
			name: "analysis requiring io",
			edit: map[string]string{"run/analysis/counter.lua": "local io = require \"io\"\n" + goodTree["run/analysis/counter.lua"]},
			want: []string{"run/analysis/counter.lua:1: module 'io' disabled for analysis plugins"},
		},
		{
			name: "analysis requiring coroutine and an IO-only Go module",
			edit: map[string]string{"run/analysis/counter.lua": "require \"coroutine\"\nrequire \"checktest.gio\"\n" + goodTree["run/analysis/counter.lua"]},
			want: []string{
				"run/analysis/counter.lua:1: module 'coroutine' disabled for analysis plugins",
				"run/analysis/counter.lua:2: module 'checktest.gio' disabled for analysis plugins",
			},
		},
		{
			name: "analysis requiring an IO-only embedded module",
			edit: map[string]string{"run/analysis/counter.lua": "require \"checktest.ioemb\"\n" + goodTree["run/analysis/counter.lua"]},
			want: []string{"run/analysis/counter.lua:1: module 'checktest.ioemb' is for input and output plugins only (not on analysis_lua_path: "},
		},
		{
			name: "analysis requiring a module of io_modules",
			edit: map[string]string{"run/analysis/counter.lua": "require \"net\"\n" + goodTree["run/analysis/counter.lua"]},
			want: []string{"run/analysis/counter.lua:1: module 'net' not provided for analysis plugins"},
		},
		{
			name: "cfg and toml for the same plugin",
			edit: map[string]string{"run/input/tail.toml": "filename = \"tail.lua\"\n"},
			want: []string{"run/input/tail.cfg: plugin config in two formats: both "},
		},
		{
			name: "missing entry point",
			edit: map[string]string{"install/output/out.lua": "require \"string\"\nfunction process_message() return 0 end\n"},
			want: []string{"install/output/out.lua: timer_event not defined (required for output plugins"},
		},
		{
			name: "stray Lua file in a run directory",
			edit: map[string]string{"run/analysis/helper.lua": "require 'io'\nlocal x = \n"},
			want: []string{"run/analysis/helper.lua:2: syntax error at end of file"},
		},
		{
			name: "pending plugin config",
			edit: map[string]string{
				"load/analysis/new.cfg": "filename = \"new.lua\"\nmessage_matcher = \"TRUE\"\nmemory_limit = 'x'\n",
				"load/input/fresh.cfg":  "filename = \"fresh.lua\"\n",
				"load/input/fresh.lua":  "require 'nothere'\nfunction process_message() return 0 end\n",
			},
			want: []string{
				"load/analysis/new.cfg:3: memory_limit: wrong type: ",
				"load/input/fresh.lua:1: module 'nothere' not provided for input plugins",
			},
			summary: "checked 5 plugins, 7 Lua files: 2 problems",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := clone(goodTree)
			for k, v := range tc.edit {
				if v == "-" {
					delete(files, k)
				} else {
					files[k] = v
				}
			}
			root := writeTree(t, files)
			cfg := filepath.Join(root, "sightline.toml")
			r := run(t, "-config", cfg)
			if r.code != ExitProblems {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, ExitProblems, r.stdout, r.stderr)
			}
			got := r.problems()
			if len(got) != len(tc.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(got), len(tc.want), r.stdout)
			}
			for i, w := range tc.want {
				w = filepath.Join(root, w[:strings.IndexByte(w, ':')]) + w[strings.IndexByte(w, ':'):]
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], w)
				}
			}
			if tc.summary != "" && r.summary() != tc.summary {
				t.Errorf("summary %q, want %q", r.summary(), tc.summary)
			}
			if !strings.Contains(r.summary(), "problem") {
				t.Errorf("no summary line: %q", r.summary())
			}
		})
	}
}

func TestPendingMarked(t *testing.T) {
	files := clone(goodTree)
	files["load/output/o2.toml"] = "filename = \"out.lua\"\nmessage_matcher = \"Type ==\"\n"
	root := writeTree(t, files)
	r := run(t, "-config", filepath.Join(root, "sightline.toml"))
	if r.code != ExitProblems || len(r.problems()) != 1 || !strings.HasSuffix(r.problems()[0], " (pending)") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
}

func TestExitUsage(t *testing.T) {
	root := writeTree(t, goodTree)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"missing config", []string{"-config", filepath.Join(dir, "nope.toml")}},
		{"directory", []string{"-config", dir}},
		{"unknown format", []string{"-config", filepath.Join(root, "run/input/tail.lua")}},
		{"unknown flag", []string{"-bogus"}},
		{"extra argument", []string{"-config", filepath.Join(root, "sightline.toml"), "more"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.args...)
			if r.code != ExitUsage || r.stdout != "" || r.stderr == "" {
				t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestUnreadableConfig(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	root := writeTree(t, goodTree)
	cfg := filepath.Join(root, "sightline.toml")
	if err := os.Chmod(cfg, 0); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "-config", cfg); r.code != ExitUsage {
		t.Errorf("exit %d, want %d: %s%s", r.code, ExitUsage, r.stdout, r.stderr)
	}
}

func TestHelp(t *testing.T) {
	r := run(t, "-h")
	if r.code != ExitOK || !strings.Contains(r.stderr, usageLine) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRelativePaths(t *testing.T) {
	root := writeTree(t, goodTree)
	writeFile(t, root, "run/input/tail.cfg", "filename = \"tail.lua\"\noutput_limit = -1\n")
	t.Chdir(root)
	r := run(t, "-config", "sightline.toml")
	want := "run/input/tail.cfg:2: output_limit: wrong type"
	if len(r.problems()) != 1 || !strings.HasPrefix(r.problems()[0], want) {
		t.Fatalf("exit %d, stdout:\n%s\nwant %s...", r.code, r.stdout, want)
	}
}

func TestProblemString(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.lua", Line: 3, Column: 7, Message: "m"}, "a.lua:3:7: m"},
		{Problem{File: "a.lua", Line: 3, Message: "m"}, "a.lua:3: m"},
		{Problem{File: "a.lua", Column: 7, Message: "m"}, "a.lua: m"},
		{Problem{Message: "m"}, "m"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestLocateMultiline(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.cfg")
	src := "filename = 'x.lua'\nmessage_matcher = [[\nType == 'a' &&\n  Foo == 1]]\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	expr := "Type == 'a' &&\n  Foo == 1"
	line, col, ok := locate(file, 2, expr, strings.Index(expr, "Foo"))
	if !ok || line != 4 || col != 3 {
		t.Errorf("locate = %d, %d, %v; want 4, 3, true", line, col, ok)
	}
	if _, _, ok := locate(file, 2, "not there", 0); ok {
		t.Error("found an expression that is not in the file")
	}
}

func TestRequireScan(t *testing.T) {
	src := `#!/usr/bin/env lua
local a = require "a"
local b = require("b.c")
local ok, c = pcall(require, "opt")
local d = require(name)
local e = x.require("no")
t = { f = function() return require [[long]] end }
`
	chunk, err := parseLua(filepath.Join(writeTree(t, map[string]string{"t.lua": src}), "t.lua"))
	if err != nil {
		t.Fatal(err)
	}
	lf := &luaFile{}
	w := walker{file: lf}
	w.stmts(chunk)
	var got []string
	for _, r := range lf.requires {
		got = append(got, r.name+":"+strconv.Itoa(r.line))
	}
	if want := "a:2 b.c:3 long:7"; strings.Join(got, " ") != want {
		t.Errorf("requires %q, want %q", strings.Join(got, " "), want)
	}
	if !lf.dynamic {
		t.Error("pcall(require, ...) not seen as dynamic")
	}
}

func TestCompileProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Problem // without File; zero when the file compiles
	}{
		{name: "shebang", src: "#!/usr/bin/lua\nx = 1\n"},
		{name: "shebang keeps line numbers", src: "#!/usr/bin/lua\nx = = 1\n", want: Problem{Line: 2, Column: 5, Message: "syntax error near '='"}},
		{name: "precompiled", src: "\x1bLua", want: Problem{Message: "precompiled chunks are not supported"}},
		{name: "unterminated string", src: "x = 1\nlocal s = 'abc\ny = 2\n", want: Problem{Line: 2, Message: "unterminated string near 'abc'"}},
		{name: "end of file", src: "x = 1\nlocal y =\n", want: Problem{Line: 2, Message: "syntax error at end of file"}},
		{name: "compile error", src: "function f()\n  return ...\nend\n", want: Problem{Line: 2, Message: "cannot use '...' outside a vararg function"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(writeTree(t, map[string]string{"s.lua": tt.src}), "s.lua")
			_, err := parseLua(path)
			var got Problem
			if err != nil {
				got = compileProblem(err, path)
				got.File = ""
			}
			if got != tt.want {
				t.Errorf("problem %+v, want %+v", got, tt.want)
			}
		})
	}
}
