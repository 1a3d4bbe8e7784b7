package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
)

// Module is a module written in Go that plugins load with require.
type Module struct {
	// Name is what plugins require, e.g. "cjson" or "lpeg.date_time".
	Name string
	// Open builds the module in the calling Lua state, like a C module's
	// luaopen function: it gets the module name as its argument, pushes
	// the module's value (usually a table) and returns 1. It may set
	// globals, as C modules registering themselves do.
	Open lua.LGFunction
	// IOOnly restricts the module to input and output plugins, as the
	// reference's io_modules directory is (sockets, files, Kafka):
	// analysis plugins get "module '<name>' disabled".
	IOOnly bool
}

// LuaModules is a tree of Lua modules embedded in the binary: module
// "a.b" is the file "a/b.lua" of FS.
type LuaModules struct {
	FS fs.FS
	// IOOnly restricts the tree's modules to input and output plugins.
	IOOnly bool
	// Name identifies the tree in error messages and chunk names, e.g.
	// "lua_modules".
	Name string
}

var registry struct {
	sync.RWMutex
	modules map[string]Module
	trees   []*LuaModules
}

// RegisterModule makes a Go module available to require in every sandbox
// created afterwards. It is meant for init functions; it panics on an
// empty name, a nil Open, a name already registered, or the name of a
// standard library.
func RegisterModule(m Module) {
	if m.Name == "" || m.Open == nil {
		panic("sandbox: RegisterModule needs a name and an Open function")
	}
	if _, ok := stdLibs[m.Name]; ok {
		panic("sandbox: RegisterModule: " + m.Name + " is a standard library")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, ok := registry.modules[m.Name]; ok {
		panic("sandbox: RegisterModule: " + m.Name + " registered twice")
	}
	if registry.modules == nil {
		registry.modules = make(map[string]Module)
	}
	registry.modules[m.Name] = m
}

// RegisterLuaModules adds a tree of embedded Lua modules, searched after
// the Go modules and before the plugin's Lua path, in the order the trees
// were registered.
func RegisterLuaModules(t LuaModules) {
	if t.FS == nil {
		panic("sandbox: RegisterLuaModules needs an FS")
	}
	registry.Lock()
	defer registry.Unlock()
	registry.trees = append(registry.trees, &t)
}

func lookupModule(name string) (Module, bool) {
	registry.RLock()
	defer registry.RUnlock()
	m, ok := registry.modules[name]
	return m, ok
}

func luaTrees() []*LuaModules {
	registry.RLock()
	defer registry.RUnlock()
	return registry.trees
}

// stdLibs are the libraries require opens; they also become globals.
var stdLibs = map[string]func(s *Sandbox, L *lua.LState) lua.LValue{
	"string":    (*Sandbox).openString,
	"table":     (*Sandbox).openTable,
	"math":      (*Sandbox).openMath,
	"os":        (*Sandbox).openOS,
	"io":        (*Sandbox).openIO,
	"coroutine": (*Sandbox).openCoroutine,
}

// ModuleKind says what provides a module to require.
type ModuleKind int

const (
	// ModuleStd is a standard library: string, table, math, os, io or
	// coroutine.
	ModuleStd ModuleKind = iota + 1
	// ModuleGo is a module registered with RegisterModule.
	ModuleGo
	// ModuleEmbedded is a file of a tree registered with
	// RegisterLuaModules.
	ModuleEmbedded
	// ModuleFile is a file on the plugin's Lua path.
	ModuleFile
)

// ModuleSource is where require would find a module.
type ModuleSource struct {
	Kind ModuleKind
	File string // ModuleFile: the file on the Lua path
	Tree string // ModuleEmbedded: LuaModules.Name
}

// Errors of FindModule. As with the reasons in errors.go, the text of a
// returned error is what require raises in the plugin.
var (
	// ErrModuleDisabled means the module exists but is withheld from the
	// plugin's type: io, coroutine and IO-only modules for analysis
	// plugins.
	ErrModuleDisabled = errors.New("disabled")

	// ErrModuleNotFound means nothing provides the module. The error
	// returned is a *ModuleNotFoundError.
	ErrModuleNotFound = errors.New("sandbox: module not found")
)

// ModuleNotFoundError reports a module that is neither a standard library,
// a Go module nor an embedded module, and is on no file of the Lua path.
// It matches ErrModuleNotFound.
type ModuleNotFoundError struct {
	Name string
	// Tried lists the files of the Lua path looked for, in order; it is
	// empty when the Lua path is.
	Tried []string
}

// Error returns the message require raises.
func (e *ModuleNotFoundError) Error() string {
	where := "no Go module, no embedded Lua module"
	if len(e.Tried) > 0 {
		where += ", no file " + strings.Join(e.Tried, ", ")
	} else {
		where += ", no Lua path"
	}
	return fmt.Sprintf("module '%s' not found: not provided by sightline (%s)", e.Name, where)
}

// Unwrap returns ErrModuleNotFound.
func (e *ModuleNotFoundError) Unwrap() error { return ErrModuleNotFound }

// FindModule reports where require(name) would find a module for a plugin
// of type typ whose Lua path is luaPath, without running anything. The
// error wraps ErrModuleDisabled, is a *ModuleNotFoundError, or reports a
// file of the Lua path that could not be looked at.
func FindModule(name string, typ config.PluginType, luaPath string) (ModuleSource, error) {
	m, err := findModule(name, typ, splitPath(luaPath))
	return m.ModuleSource, err
}

// CompileFile compiles the Lua file at path as the sandbox does when it
// loads a plugin or a module from the Lua path: files over 16 MiB and
// precompiled chunks are refused, a first line starting with '#' is
// skipped, and a panic of the parser or compiler is an error. A syntax
// error unwraps to a *parse.Error or a *lua.CompileError, which carry
// its position; a missing file is an error wrapping fs.ErrNotExist.
func CompileFile(path string) error {
	_, err := compileFile(path)
	return err
}

// foundModule is where findModule found a module, with what loading it
// takes.
type foundModule struct {
	ModuleSource
	goMod Module      // ModuleGo
	tree  *LuaModules // ModuleEmbedded
	rel   string      // ModuleEmbedded: the file in tree.FS
}

// findModule is the search of require and FindModule. It looks, in order,
// for a standard library, a registered Go module, an embedded Lua module,
// and a file on the Lua path ("?" templates, the path config key split by
// splitPath), skipping what is withheld from typ (spec §4.1).
func findModule(name string, typ config.PluginType, luaPath []string) (foundModule, error) {
	analysis := typ == config.Analysis
	if _, ok := stdLibs[name]; ok {
		if analysis && (name == "io" || name == "coroutine") {
			return foundModule{}, fmt.Errorf("module '%s' %w", name, ErrModuleDisabled)
		}
		return foundModule{ModuleSource: ModuleSource{Kind: ModuleStd}}, nil
	}
	if m, ok := lookupModule(name); ok {
		if m.IOOnly && analysis {
			return foundModule{}, fmt.Errorf("module '%s' %w", name, ErrModuleDisabled)
		}
		return foundModule{ModuleSource: ModuleSource{Kind: ModuleGo}, goMod: m}, nil
	}
	rel := strings.ReplaceAll(name, ".", "/") + ".lua"
	for _, t := range luaTrees() {
		if t.IOOnly && analysis {
			continue
		}
		ok, err := isFile(fs.Stat(t.FS, rel))
		if err != nil {
			return foundModule{}, fmt.Errorf("error loading module '%s': %w", name, err)
		}
		if ok {
			return foundModule{ModuleSource: ModuleSource{Kind: ModuleEmbedded, Tree: t.Name}, tree: t, rel: rel}, nil
		}
	}
	var tried []string
	for _, tmpl := range luaPath {
		file := strings.ReplaceAll(tmpl, "?", strings.ReplaceAll(name, ".", string(os.PathSeparator)))
		ok, err := isFile(os.Stat(file))
		if err != nil {
			return foundModule{}, fmt.Errorf("error loading module '%s' from file '%s': %w", name, file, err)
		}
		if ok {
			return foundModule{ModuleSource: ModuleSource{Kind: ModuleFile, File: file}}, nil
		}
		tried = append(tried, file)
	}
	return foundModule{}, &ModuleNotFoundError{Name: name, Tried: tried}
}

// isFile takes the results of a Stat and reports whether they show a file
// that is not a directory; a missing file is not an error.
func isFile(fi fs.FileInfo, err error) (bool, error) {
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !fi.IsDir(), nil
}

// loading marks a module whose loader is running, to report require loops.
var loading = &lua.LUserData{}

// luaRequire is require(name): findModule says where the module is, and
// the result is cached; a table gets an empty metatable so preserve_data
// skips it.
func (s *Sandbox) luaRequire(L *lua.LState) int {
	name := L.CheckString(1)
	if v, ok := s.loaded[name]; ok {
		if v == loading {
			L.RaiseError("loop or previous error loading module '%s'", name)
		}
		L.Push(v)
		return 1
	}
	m, err := findModule(name, s.typ, s.luaPath)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	var v lua.LValue
	if m.Kind == ModuleStd {
		v = stdLibs[name](s, L)
		L.SetGlobal(name, v)
	} else {
		s.loaded[name] = loading
		v = s.loadModule(L, name, m)
		if v == lua.LNil {
			v = lua.LTrue
		}
	}
	if t, ok := v.(*lua.LTable); ok && t.Metatable == lua.LNil {
		t.Metatable = L.NewTable()
	}
	s.loaded[name] = v
	L.Push(v)
	return 1
}

// loadModule compiles and runs a module findModule found that is not a
// standard library.
func (s *Sandbox) loadModule(L *lua.LState, name string, m foundModule) lua.LValue {
	switch m.Kind {
	case ModuleGo:
		return s.runLoader(L, L.NewFunction(m.goMod.Open), name)
	case ModuleEmbedded:
		proto, err := compileFS(m.tree, m.rel)
		if err != nil {
			delete(s.loaded, name)
			L.RaiseError("error loading module '%s': %s", name, err.Error())
		}
		return s.runLoader(L, L.NewFunctionFromProto(proto), name)
	}
	proto, err := compileFile(m.File)
	if err != nil {
		delete(s.loaded, name)
		L.RaiseError("error loading module '%s' from file '%s': %s", name, m.File, err.Error())
	}
	return s.runLoader(L, L.NewFunctionFromProto(proto), name)
}

// runLoader calls a module's loader with its name and returns its first
// result. On error the module is forgotten, so a later require tries again.
func (s *Sandbox) runLoader(L *lua.LState, fn *lua.LFunction, name string) lua.LValue {
	top := L.GetTop()
	L.Push(fn)
	L.Push(lua.LString(name))
	if ae, ok := s.protect(L, 1); !ok {
		delete(s.loaded, name)
		L.Error(ae.Object, 0)
	}
	v := lua.LNil
	if L.GetTop() > top {
		v = L.Get(top + 1)
	}
	L.SetTop(top)
	return v
}

// splitPath splits a Lua path ("a/?.lua;b/?.lua") into its templates.
func splitPath(p string) []string {
	var out []string
	for _, t := range strings.Split(p, ";") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Context returns a context for Go code a plugin calls (a module doing
// I/O): it is cancelled when the plugin is killed or closed. Modules must
// use it, not L.Context(): that one is the plugin's instruction budget,
// which belongs to the plugin's goroutine. It returns
// context.Background() for a state that is not a sandbox's.
func Context(L *lua.LState) context.Context {
	if b, ok := L.Context().(*budget); ok && b.sb != nil {
		return b.sb.ctx
	}
	return context.Background()
}

// moduleName returns the chunk name of an embedded module's file.
func moduleName(t *LuaModules, rel string) string {
	n := t.Name
	if n == "" {
		n = "embedded"
	}
	return path.Join(n, rel)
}
