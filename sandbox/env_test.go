package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
)

// probe loads a plugin of type typ whose file runs check at load time.
func probe(t *testing.T, typ config.PluginType, check string) error {
	t.Helper()
	p := plugin{typ: typ, src: check + "\nfunction process_message() return 0 end function timer_event() end"}
	_, _, err := p.load(t)
	return err
}

func TestRestrictions(t *testing.T) {
	all := []config.PluginType{config.Input, config.Analysis, config.Output}
	absentEverywhere := []string{"dofile", "load", "loadfile", "loadstring", "newproxy", "module", "_printregs", "_GOPHER_LUA_VERSION", "package", "debug", "channel"}
	for _, typ := range all {
		for _, name := range absentEverywhere {
			if err := probe(t, typ, "assert("+name+" == nil, '"+name+"')"); err != nil {
				t.Errorf("%v: %v", typ, err)
			}
		}
		for _, lib := range []string{"debug", "package", "channel", "lpeg"} {
			err := probe(t, typ, `require "`+lib+`"`)
			wantTerminated(t, err, ErrLua, "module '"+lib+"' not found: not provided by sightline")
		}
		checks := []string{
			`require "os" assert(os.exit == nil and os.setlocale == nil)`,
			`require "string" assert(string.dump == nil)`,
			`assert(type(read_config) == "function" and type(decode_message) == "function" and type(print) == "function")`,
			`assert(output == nil)`,
		}
		for _, c := range checks {
			if err := probe(t, typ, c); err != nil {
				t.Errorf("%v: %s: %v", typ, c, err)
			}
		}
	}

	for _, c := range []struct {
		typ     config.PluginType
		present []string
		absent  []string
	}{
		{config.Input, []string{"inject_message", "is_running", "create_stream_reader", "collectgarbage"},
			[]string{"read_message", "add_to_payload", "inject_payload", "encode_message", "update_checkpoint", "create_message_matcher"}},
		{config.Analysis, []string{"inject_message", "read_message", "add_to_payload", "inject_payload"},
			[]string{"is_running", "create_stream_reader", "encode_message", "update_checkpoint", "create_message_matcher", "collectgarbage"}},
		{config.Output, []string{"inject_message", "read_message", "encode_message", "update_checkpoint", "create_message_matcher", "collectgarbage"},
			[]string{"is_running", "create_stream_reader", "add_to_payload", "inject_payload"}},
	} {
		for _, name := range c.present {
			if err := probe(t, c.typ, "assert(type("+name+") == 'function', '"+name+"')"); err != nil {
				t.Errorf("%v: %v", c.typ, err)
			}
		}
		for _, name := range c.absent {
			if err := probe(t, c.typ, "assert("+name+" == nil, '"+name+"')"); err != nil {
				t.Errorf("%v: %v", c.typ, err)
			}
		}
	}

	// Analysis: no io, no coroutine, and a smaller os.
	for _, lib := range []string{"io", "coroutine"} {
		err := probe(t, config.Analysis, `require "`+lib+`"`)
		wantTerminated(t, err, ErrLua, "module '"+lib+"' disabled")
	}
	if err := probe(t, config.Analysis, `require "os"
		for _, f in ipairs({"getenv", "execute", "remove", "rename", "tmpname", "exit", "setlocale"}) do
			assert(os[f] == nil, f)
		end
		assert(os.time and os.date and os.clock and os.difftime)`); err != nil {
		t.Error(err)
	}
	for _, typ := range []config.PluginType{config.Input, config.Output} {
		if err := probe(t, typ, `require "io" require "coroutine" require "os"
			assert(io.open and io.write and coroutine.create and os.getenv and os.remove)`); err != nil {
			t.Errorf("%v: %v", typ, err)
		}
	}
}

var registerOrder sync.Once

func registerOrderModules() {
	RegisterModule(Module{Name: "order.gomod", Open: func(L *lua.LState) int {
		L.Push(lua.LString("go"))
		return 1
	}})
	RegisterModule(Module{Name: "order.ioonly", IOOnly: true, Open: func(L *lua.LState) int {
		L.Push(lua.LString("io"))
		return 1
	}})
	RegisterLuaModules(LuaModules{Name: "test_modules", FS: fstest.MapFS{
		"order/gomod.lua":    {Data: []byte(`return "embedded, shadowed by go"`)},
		"order/embedded.lua": {Data: []byte(`local name = ... return {name = name, from = "embedded"}`)},
		"order/both.lua":     {Data: []byte(`return "embedded wins over path"`)},
	}})
}

func TestRequireOrder(t *testing.T) {
	registerOrder.Do(registerOrderModules)
	dir := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("order/both.lua", `return "path"`)
	write("order/path.lua", `return {from = "path", concat = "a" .. 1}`)
	write("order/broken.lua", `return (`)
	write("counted.lua", `loads = (loads or 0) + 1 return {}`)

	src := `
		require "string"
		assert(require("order.gomod") == "go")
		local e = require "order.embedded"
		assert(e.from == "embedded" and e.name == "order.embedded")
		assert(getmetatable(e) ~= nil, "module tables get a metatable")
		assert(require("order.both") == "embedded wins over path")
		local p = require "order.path"
		assert(p.from == "path" and p.concat == "a1")
		require "counted" require "counted"
		assert(loads == 1, "a module runs once")
		local ok, err = pcall(require, "order.broken")
		assert(not ok and err:find("error loading module 'order.broken'"), err)
		ok, err = pcall(require, "order.missing")
		assert(not ok and err:find("module 'order.missing' not found: not provided by sightline"), err)
		assert(err:find("order/missing.lua", 1, true), err)
		function process_message() return 0 end
		function timer_event() end`
	for _, typ := range []config.PluginType{config.Input, config.Analysis} {
		p := plugin{typ: typ, src: src}.with("path", filepath.Join(dir, "?.lua")+";"+filepath.Join(dir, "alt", "?.lua"))
		if _, _, err := p.load(t); err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
	}
	_, _, err := plugin{typ: config.Analysis, src: `require "order.ioonly"`}.load(t)
	wantTerminated(t, err, ErrLua, "module 'order.ioonly' disabled")
	if _, _, err := (plugin{typ: config.Input, src: `assert(require "order.ioonly" == "io") function process_message() return 0 end`}).load(t); err != nil {
		t.Fatal(err)
	}
}

func TestSharedChunks(t *testing.T) {
	dir := t.TempDir()
	p := input(`x = 1 function process_message() return 0 end`)
	p.dir = dir
	var opts Options
	p.opts = func(o *Options) { opts = *o }
	s1, _ := p.mustLoad(t)
	s2, err := New(opts) // the same file, not written again
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close(false)
	f1 := s1.L.GetGlobal("process_message").(*lua.LFunction)
	f2 := s2.L.GetGlobal("process_message").(*lua.LFunction)
	if f1 == f2 || f1.Proto != f2.Proto {
		t.Fatal("two states of the same file do not share its compiled prototype")
	}
	// A changed file is compiled again.
	p.src = `x = 2 function process_message() return 0 end -- changed, longer`
	s3, _ := p.mustLoad(t)
	if f3 := s3.L.GetGlobal("process_message").(*lua.LFunction); f3.Proto == f1.Proto {
		t.Fatal("changed file not recompiled")
	}
	if s3.L.GetGlobal("x").String() != "2" {
		t.Fatal("old code ran")
	}
}

func TestReadConfigAndPrint(t *testing.T) {
	var logged strings.Builder
	p := input(`
		local t = read_config("nested")
		assert(t.a == 1 and t.list[2] == "y" and t.flag == true, "nested")
		t.a = 5
		assert(read_config("nested").a == 1, "read_config returns copies")
		assert(read_config("missing") == nil)
		assert(read_config("Hostname") == "testhost" and read_config("Pid") == 4242)
		assert(read_config("instruction_limit") == 1000000)
		assert(not pcall(read_config), "no argument")
		assert(not pcall(read_config, "a", "b"), "two arguments")
		print("hello", 1, nil, true, "tab\tand\nnewline")
		function process_message() return 0 end`)
	nested := config.NewTable("")
	nested.Set("a", 1)
	nested.Set("flag", true)
	list := config.NewTable("")
	list.Put(config.Entry{Key: config.IntKey(1), Value: "x"})
	list.Put(config.Entry{Key: config.IntKey(2), Value: "y"})
	nested.Set("list", list)
	p = p.with("nested", nested)
	p.log = newTestLogger(&logged)
	if _, _, err := p.load(t); err != nil {
		t.Fatal(err)
	}
	if got := logged.String(); !strings.Contains(got, `msg="hello\t1\tnil\ttrue\ttab and newline"`) {
		t.Fatalf("log = %q", got)
	}
}

func TestSharedChunksConcurrently(t *testing.T) {
	dir := t.TempDir()
	p := input(`require "string" require "table"
		function process_message()
			local t = {}
			for i = 1, 2000 do t[#t+1] = ("x"):rep(i % 7) .. i .. "-" .. tostring(i / 3) end
			inject_message({Payload = table.concat(t, ",")})
			return 0
		end`)
	p.dir = dir
	var opts Options
	p.opts = func(o *Options) { opts = *o }
	p.mustLoad(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := opts
			o.Host = &fakeHost{}
			s, err := New(o)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close(false)
			for range 5 {
				if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
