//go:build unix

package procexec

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox"
)

// Name is the module's name for require.
const Name = "procexec"

// defaultMaxStderr is how much of a command's stderr run keeps by default.
const defaultMaxStderr = 4096

const readerType = "procexec.reader"

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: Name, Open: open, IOOnly: true})
}

func open(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("run", L.NewFunction(luaRun))
	t.RawSetString("stdin", L.NewFunction(luaStdin))
	L.Push(t)
	return 1
}

// stopFunc returns a function telling whether the plugin running L was
// stopped (is_running() false) or killed (its Context ended). It calls
// into L, so it must run on the plugin's goroutine.
func stopFunc(L *lua.LState) func() bool {
	ctx := sandbox.Context(L)
	isRunning, _ := L.GetGlobal("is_running").(*lua.LFunction)
	return func() bool {
		if ctx.Err() != nil {
			return true
		}
		if isRunning == nil {
			return false
		}
		if err := L.CallByParam(lua.P{Fn: isRunning, NRet: 1, Protect: true}); err != nil {
			return true
		}
		running := lua.LVAsBool(L.Get(-1))
		L.Pop(1)
		return !running
	}
}

// luaRun is procexec.run(argv[, options]) → result | nil, error.
func luaRun(L *lua.LState) int {
	argv := L.CheckTable(1)
	c := Command{
		InheritEnv: true,
		MaxStdout:  sandbox.MaxMessageSize(L),
		MaxStderr:  defaultMaxStderr,
	}
	n := argv.Len()
	if n == 0 {
		L.ArgError(1, "argv is empty")
	}
	for i := 1; i <= n; i++ {
		s, ok := argString(argv.RawGetInt(i))
		if !ok {
			L.ArgError(1, fmt.Sprintf("argv[%d] is a %s, not a string", i, argv.RawGetInt(i).Type()))
		}
		c.Argv = append(c.Argv, s)
	}
	if opts := L.OptTable(2, nil); opts != nil {
		parseRunOptions(L, opts, &c)
	}
	res, err := Run(sandbox.Context(L), c, stopFunc(L))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	t := L.CreateTable(0, 10)
	t.RawSetString("stdout", lua.LString(res.Stdout))
	t.RawSetString("stderr", lua.LString(res.Stderr))
	t.RawSetString("stdout_bytes", lua.LNumber(res.StdoutBytes))
	t.RawSetString("stderr_bytes", lua.LNumber(res.StderrBytes))
	t.RawSetString("exit_status", lua.LNumber(res.ExitStatus))
	if res.Signal != nil {
		t.RawSetString("signal", lua.LString(res.Signal.String()))
	}
	t.RawSetString("duration", lua.LNumber(res.Duration.Nanoseconds()))
	t.RawSetString("timed_out", lua.LBool(res.TimedOut))
	t.RawSetString("stopped", lua.LBool(res.Stopped))
	L.Push(t)
	return 1
}

// parseRunOptions reads run's options table into c, raising an argument
// error for an unknown key or a bad value.
func parseRunOptions(L *lua.LState, opts *lua.LTable, c *Command) {
	bad := func(key, want string, v lua.LValue) {
		L.ArgError(2, fmt.Sprintf("option %s must be %s, not %s", key, want, v.Type()))
	}
	opts.ForEach(func(k, v lua.LValue) {
		key, ok := k.(lua.LString)
		if !ok {
			L.ArgError(2, "options must be a table of named options")
		}
		switch key {
		case "timeout":
			f, ok := v.(lua.LNumber)
			if !ok || f < 0 || math.IsNaN(float64(f)) {
				bad("timeout", "a number of seconds >= 0", v)
			}
			c.Timeout = time.Duration(float64(f) * float64(time.Second))
		case "env":
			c.Env = envList(L, v)
		case "inherit_env":
			b, ok := v.(lua.LBool)
			if !ok {
				bad("inherit_env", "a boolean", v)
			}
			c.InheritEnv = bool(b)
		case "dir":
			s, ok := v.(lua.LString)
			if !ok {
				bad("dir", "a string", v)
			}
			c.Dir = string(s)
		case "stdin":
			s, ok := v.(lua.LString)
			if !ok {
				bad("stdin", "a string", v)
			}
			c.Stdin = []byte(s)
		case "max_stdout", "max_stderr":
			f, ok := v.(lua.LNumber)
			if !ok || f < 0 || f > math.MaxInt32 {
				bad(string(key), "a byte count >= 0", v)
			}
			if key == "max_stdout" {
				c.MaxStdout = int(f)
			} else {
				c.MaxStderr = int(f)
			}
		default:
			L.ArgError(2, fmt.Sprintf("unknown option %q", string(key)))
		}
	})
}

// envList turns the env option, an array of "NAME=value" or a table
// {NAME = "value"}, into "NAME=value" strings (the table's sorted by
// name).
func envList(L *lua.LState, v lua.LValue) []string {
	t, ok := v.(*lua.LTable)
	if !ok {
		L.ArgError(2, fmt.Sprintf("option env must be a table, not %s", v.Type()))
	}
	var out []string
	t.ForEach(func(k, v lua.LValue) {
		s, ok := argString(v)
		if !ok {
			L.ArgError(2, fmt.Sprintf("env value for %s is a %s, not a string", k.String(), v.Type()))
		}
		switch k := k.(type) {
		case lua.LNumber:
			if !strings.Contains(s, "=") {
				L.ArgError(2, fmt.Sprintf("env entry %q is not NAME=value", s))
			}
			out = append(out, s)
		case lua.LString:
			if k == "" || strings.Contains(string(k), "=") {
				L.ArgError(2, fmt.Sprintf("env name %q is not valid", string(k)))
			}
			out = append(out, string(k)+"="+s)
		default:
			L.ArgError(2, "option env must have string names or be an array")
		}
	})
	sort.Strings(out)
	return out
}

// argString accepts strings and numbers, as Lua's string coercion does.
func argString(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return v.String(), true
	}
	return "", false
}

// luaStdin is procexec.stdin([options]) → reader.
func luaStdin(L *lua.LState) int {
	delim := "\n"
	maxRec := sandbox.MaxMessageSize(L)
	if opts := L.OptTable(1, nil); opts != nil {
		opts.ForEach(func(k, v lua.LValue) {
			switch k.String() {
			case "delimiter":
				s, ok := v.(lua.LString)
				if !ok || s == "" {
					L.ArgError(1, "option delimiter must be a non-empty string")
				}
				delim = string(s)
			case "max_record":
				f, ok := v.(lua.LNumber)
				if !ok || f < 1 || f > math.MaxInt32 {
					L.ArgError(1, "option max_record must be a byte count >= 1")
				}
				maxRec = int(f)
			default:
				L.ArgError(1, fmt.Sprintf("unknown option %q", k.String()))
			}
		})
	}
	ud := L.NewUserData()
	ud.Value = NewFDReader(stdinFD, []byte(delim), maxRec, stopFunc(L))
	ud.Metatable = readerMetatable(L)
	L.Push(ud)
	return 1
}

// stdinFD is the descriptor procexec.stdin reads; tests change it.
var stdinFD = 0

func readerMetatable(L *lua.LState) *lua.LTable {
	mt := L.NewTypeMetatable(readerType)
	if mt.RawGetString("__index") == lua.LNil {
		methods := L.NewTable()
		methods.RawSetString("read_record", L.NewFunction(readerRecord))
		mt.RawSetString("__index", methods)
		mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LString("procexec.reader (stdin)"))
			return 1
		}))
	}
	return mt
}

// readerRecord is reader:read_record() → record | nil[, error]: the
// error of a record skipped as too long; a read error is raised.
func readerRecord(L *lua.LState) int {
	r, ok := L.CheckUserData(1).Value.(*FDReader)
	if !ok {
		L.ArgError(1, "procexec reader expected")
	}
	rec, ok, err := r.Record()
	switch {
	case ok:
		L.Push(lua.LString(rec))
		return 1
	case err != nil:
		var tl *TooLongError
		if !errors.As(err, &tl) {
			L.RaiseError("procexec: stdin: %s", err.Error())
		}
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LNil)
	return 1
}
