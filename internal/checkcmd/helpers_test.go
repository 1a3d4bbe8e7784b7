package checkcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/goleak"

	"github.com/sightline/sightline/sandbox"
)

func TestMain(m *testing.M) {
	// Modules of the binary stand-ins: a Go module for inputs and
	// outputs only, and embedded trees, one of them IO-only.
	sandbox.RegisterModule(sandbox.Module{Name: "checktest.gio", IOOnly: true, Open: func(L *lua.LState) int {
		L.Push(L.NewTable())
		return 1
	}})
	sandbox.RegisterLuaModules(sandbox.LuaModules{Name: "checktest", FS: fstest.MapFS{
		"checktest/emb.lua": {Data: []byte("return {}\n")},
	}})
	sandbox.RegisterLuaModules(sandbox.LuaModules{Name: "checktest/io", IOOnly: true, FS: fstest.MapFS{
		"checktest/ioemb.lua": {Data: []byte("return {}\n")},
	}})
	goleak.VerifyTestMain(m)
}

// goodTree is a deployment without problems: three plugins (one with its
// Lua file in the install path), modules on both Lua paths, one reached
// from another, and a require loop inside a function.
var goodTree = map[string]string{
	"sightline.toml": `output_path = "out"
sandbox_run_path = "run"
sandbox_load_path = "load"
sandbox_install_path = "install"
analysis_lua_path = "modules/?.lua"
io_lua_path = "modules/?.lua;io_modules/?.lua"
`,
	"run/input/tail.cfg": `filename = "tail.lua"
ticker_interval = 1
`,
	"run/input/tail.lua": `require "string"
local util = require("util")
local net = require "net"
local gio = require "checktest.gio"
local emb, ioemb = require "checktest.emb", require "checktest.ioemb"
function process_message()
  return 0
end
`,
	"modules/util.lua": `local a = require "nested.a"
local M = {}
function M.f() return 1 end
return M
`,
	"modules/nested/a.lua": `local M = {}
function M.g() return require "util" end
return M
`,
	"io_modules/net.lua": "return {}\n",
	"run/analysis/counter.toml": `filename = "counter.lua"
message_matcher = "Type == 'x'"
ticker_interval = 60
`,
	"run/analysis/counter.lua": `require "math"
local util = require "util"
local n = 0
function process_message()
  n = n + 1
  return 0
end
function timer_event(ns)
end
`,
	"run/output/out.cfg": `filename = "out.lua"
message_matcher = "TRUE"
`,
	"install/output/out.lua": `function process_message() return 0 end
function timer_event() end
`,
	"load/input/.keep":    "",
	"load/analysis/.keep": "",
	"load/output/.keep":   "",
}

// writeTree writes files (relative paths, "" content allowed) under a new
// temporary directory and returns it.
func writeTree(tb testing.TB, files map[string]string) string {
	tb.Helper()
	root := tb.TempDir()
	for rel, content := range files {
		writeFile(tb, root, rel, content)
	}
	return root
}

func writeFile(tb testing.TB, root, rel, content string) {
	tb.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// result is what one run of the command gave.
type result struct {
	code           int
	stdout, stderr string
}

func run(tb testing.TB, args ...string) result {
	tb.Helper()
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// problems returns the problem lines of stdout (all but the summary).
func (r result) problems() []string {
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) == 0 {
		return nil
	}
	return lines[:len(lines)-1]
}

// summary returns the last line of stdout.
func (r result) summary() string {
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	return lines[len(lines)-1]
}

// clone copies a tree so a case can change it.
func clone(files map[string]string) map[string]string {
	out := make(map[string]string, len(files))
	for k, v := range files {
		out[k] = v
	}
	return out
}
