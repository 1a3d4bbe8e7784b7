package sandbox

import (
	"context"
	"errors"
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

// disabledFor reports whether a standard library is withheld from the
// plugin's type (spec §4.1).
func (s *Sandbox) disabledFor(lib string) bool {
	return s.typ == config.Analysis && (lib == "io" || lib == "coroutine")
}

// loading marks a module whose loader is running, to report require loops.
var loading = &lua.LUserData{}

// luaRequire is require(name). It looks, in order, for a standard library,
// a registered Go module, an embedded Lua module, and a file on the
// plugin's Lua path ("?" patterns separated by ";", from the config's path
// key). The result is cached; a table gets an empty metatable so
// preserve_data skips it.
func (s *Sandbox) luaRequire(L *lua.LState) int {
	name := L.CheckString(1)
	if v, ok := s.loaded[name]; ok {
		if v == loading {
			L.RaiseError("loop or previous error loading module '%s'", name)
		}
		L.Push(v)
		return 1
	}
	var v lua.LValue
	if open, ok := stdLibs[name]; ok {
		if s.disabledFor(name) {
			L.RaiseError("module '%s' disabled", name)
		}
		v = open(s, L)
		L.SetGlobal(name, v)
	} else {
		s.loaded[name] = loading
		v = s.loadModule(L, name)
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

// loadModule finds and runs a module that is not a standard library.
func (s *Sandbox) loadModule(L *lua.LState, name string) lua.LValue {
	if m, ok := lookupModule(name); ok {
		if m.IOOnly && s.typ == config.Analysis {
			delete(s.loaded, name)
			L.RaiseError("module '%s' disabled", name)
		}
		return s.runLoader(L, L.NewFunction(m.Open), name)
	}
	rel := strings.ReplaceAll(name, ".", "/") + ".lua"
	for _, t := range luaTrees() {
		if t.IOOnly && s.typ == config.Analysis {
			continue
		}
		proto, err := compileFS(t, rel)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			delete(s.loaded, name)
			L.RaiseError("error loading module '%s': %s", name, err.Error())
		}
		return s.runLoader(L, L.NewFunctionFromProto(proto), name)
	}
	var tried []string
	for _, tmpl := range s.luaPath {
		file := strings.ReplaceAll(tmpl, "?", strings.ReplaceAll(name, ".", string(os.PathSeparator)))
		proto, err := compileFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			tried = append(tried, file)
			continue
		}
		if err != nil {
			delete(s.loaded, name)
			L.RaiseError("error loading module '%s' from file '%s': %s", name, file, err.Error())
		}
		return s.runLoader(L, L.NewFunctionFromProto(proto), name)
	}
	delete(s.loaded, name)
	where := "no Go module, no embedded Lua module"
	if len(tried) > 0 {
		where += ", no file " + strings.Join(tried, ", ")
	} else {
		where += ", no Lua path"
	}
	L.RaiseError("module '%s' not found: not provided by sightline (%s)", name, where)
	return lua.LNil
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
