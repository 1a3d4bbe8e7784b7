package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/sightline/sightline/config"
)

var registerFind sync.Once

// registerFindModules registers the modules TestFindModule looks for,
// once per process (the registry is global).
func registerFindModules() {
	open := func(L *lua.LState) int {
		L.Push(L.NewTable())
		return 1
	}
	RegisterModule(Module{Name: "find.gomod", Open: open})
	RegisterModule(Module{Name: "find.gio", IOOnly: true, Open: open})
	RegisterLuaModules(LuaModules{Name: "find_modules", FS: fstest.MapFS{
		"find/emb.lua":        {Data: []byte("return {}")},
		"find/gomod.lua":      {Data: []byte("return 'shadowed by the Go module'")},
		"find/dir.lua/x.lua":  {Data: []byte("return {}")},
		"find/shadowing.lua":  {Data: []byte("return 'wins over the path'")},
		"find/broken_emb.lua": {Data: []byte("return (")},
	}})
	RegisterLuaModules(LuaModules{Name: "find_io", IOOnly: true, FS: fstest.MapFS{
		"find/ioemb.lua": {Data: []byte("return {}")},
	}})
}

func TestFindModule(t *testing.T) {
	registerFind.Do(registerFindModules)
	dir := t.TempDir()
	for _, rel := range []string{"a/find/file.lua", "b/find/second.lua", "a/find/shadowing.lua", "a/find/dir.lua/x"} {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("return {}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	luaPath := filepath.Join(dir, "a", "?.lua") + "; " + filepath.Join(dir, "b", "?.lua")
	inPath := func(tmpl, name string) string {
		return filepath.Join(dir, tmpl, filepath.FromSlash(name)+".lua")
	}
	tests := []struct {
		name    string
		module  string
		typ     config.PluginType
		want    ModuleSource
		wantErr error
		tried   []string // for ErrModuleNotFound
	}{
		{name: "standard library", module: "string", typ: config.Analysis, want: ModuleSource{Kind: ModuleStd}},
		{name: "io for input", module: "io", typ: config.Input, want: ModuleSource{Kind: ModuleStd}},
		{name: "io for analysis", module: "io", typ: config.Analysis, wantErr: ErrModuleDisabled},
		{name: "coroutine for analysis", module: "coroutine", typ: config.Analysis, wantErr: ErrModuleDisabled},
		{name: "Go module", module: "find.gomod", typ: config.Analysis, want: ModuleSource{Kind: ModuleGo}},
		{name: "IO-only Go module for output", module: "find.gio", typ: config.Output, want: ModuleSource{Kind: ModuleGo}},
		{name: "IO-only Go module for analysis", module: "find.gio", typ: config.Analysis, wantErr: ErrModuleDisabled},
		{name: "embedded module", module: "find.emb", typ: config.Analysis, want: ModuleSource{Kind: ModuleEmbedded, Tree: "find_modules"}},
		{name: "embedded module that does not compile", module: "find.broken_emb", typ: config.Input, want: ModuleSource{Kind: ModuleEmbedded, Tree: "find_modules"}},
		{name: "embedded before the path", module: "find.shadowing", typ: config.Input, want: ModuleSource{Kind: ModuleEmbedded, Tree: "find_modules"}},
		{name: "IO-only embedded module for input", module: "find.ioemb", typ: config.Input, want: ModuleSource{Kind: ModuleEmbedded, Tree: "find_io"}},
		{
			name: "IO-only embedded module for analysis", module: "find.ioemb", typ: config.Analysis,
			wantErr: ErrModuleNotFound, tried: []string{inPath("a", "find/ioemb"), inPath("b", "find/ioemb")},
		},
		{name: "file on the path", module: "find.file", typ: config.Analysis, want: ModuleSource{Kind: ModuleFile, File: inPath("a", "find/file")}},
		{name: "file on the second template", module: "find.second", typ: config.Input, want: ModuleSource{Kind: ModuleFile, File: inPath("b", "find/second")}},
		{
			name: "directory on the path", module: "find.dir", typ: config.Input,
			wantErr: ErrModuleNotFound, tried: []string{inPath("a", "find/dir"), inPath("b", "find/dir")},
		},
		{
			name: "not found", module: "find.missing", typ: config.Output,
			wantErr: ErrModuleNotFound, tried: []string{inPath("a", "find/missing"), inPath("b", "find/missing")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindModule(tt.module, tt.typ, luaPath)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			var nf *ModuleNotFoundError
			if errors.As(err, &nf) && !slices.Equal(nf.Tried, tt.tried) {
				t.Errorf("tried %q, want %q", nf.Tried, tt.tried)
			}
		})
	}
}

// TestFindModuleAgreesWithRequire checks that require raises the text of
// FindModule's error.
func TestFindModuleAgreesWithRequire(t *testing.T) {
	registerFind.Do(registerFindModules)
	for _, tt := range []struct {
		module string
		typ    config.PluginType
	}{
		{"find.gio", config.Analysis},
		{"io", config.Analysis},
		{"find.missing", config.Input},
	} {
		_, err := FindModule(tt.module, tt.typ, "")
		if err == nil {
			t.Fatalf("%s: found", tt.module)
		}
		_, _, lerr := plugin{typ: tt.typ, src: `require "` + tt.module + `"`}.load(t)
		wantTerminated(t, lerr, ErrLua, err.Error())
	}
	if _, err := FindModule("find.missing", config.Input, ""); err.Error() !=
		"module 'find.missing' not found: not provided by sightline (no Go module, no embedded Lua module, no Lua path)" {
		t.Errorf("message %q", err)
	}
}

func TestCompileFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := CompileFile(write("ok.lua", "#!/usr/bin/lua\nx = 1\n")); err != nil {
		t.Errorf("shebang: %v", err)
	}
	var pe *parse.Error
	if err := CompileFile(write("syntax.lua", "#!/usr/bin/lua\nx = = 1\n")); !errors.As(err, &pe) || pe.Pos.Line != 2 || pe.Pos.Column == 0 {
		t.Errorf("syntax error %v (%+v), want a *parse.Error on line 2 with a column", err, pe)
	}
	var ce *lua.CompileError
	if err := CompileFile(write("compile.lua", "x = 1\nfunction f() return ... end\n")); !errors.As(err, &ce) || ce.Line != 2 {
		t.Errorf("compile error %v (%+v), want a *lua.CompileError on line 2", err, ce)
	}
	if err := CompileFile(write("luac.out", "\x1bLua")); err == nil {
		t.Error("precompiled chunk accepted")
	}
	if err := CompileFile(filepath.Join(dir, "none.lua")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
