package clf

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// rep is a {value=, representation=} table in expected results.
type rep struct {
	v any
	r string
}

// luaState returns a bare Lua state with lpeg.common_log_format loaded as
// the global clf.
func luaState(t testing.TB) *lua.LState {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	L.Push(L.NewFunction(openCLF))
	L.Push(lua.LString("lpeg.common_log_format"))
	L.Call(1, 1)
	L.SetGlobal("clf", L.Get(-1))
	L.Pop(1)
	return L
}

// toGo converts a capture table value to the shapes of expected results:
// string, float64, rep, []any; a table with other keys to map[string]any.
func toGo(v lua.LValue) any {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return float64(x)
	case *lua.LNilType:
		return nil
	case *lua.LTable:
		if r, ok := x.RawGetString("representation").(lua.LString); ok {
			return rep{toGo(x.RawGetString("value")), string(r)}
		}
		if x.Len() > 0 {
			var a []any
			for i := 1; i <= x.Len(); i++ {
				a = append(a, toGo(x.RawGetInt(i)))
			}
			return a
		}
		m := map[string]any{}
		x.ForEach(func(k, v lua.LValue) { m[k.String()] = toGo(v) })
		return m
	}
	return fmt.Sprintf("<%s>", v.Type())
}

// matchLua builds a grammar with the Lua builder named by build and
// matches line, returning the capture table's keys in order and values.
func matchLua(t testing.TB, L *lua.LState, build, format, line string) (keys []string, vals map[string]any, err error) {
	t.Helper()
	fn := L.GetField(L.GetGlobal("clf"), build)
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, lua.LString(format)); err != nil {
		return nil, nil, err
	}
	g := L.Get(-1)
	L.Pop(1)
	match := L.GetField(g, "match")
	if err := L.CallByParam(lua.P{Fn: match, NRet: 1, Protect: true}, g, lua.LString(line)); err != nil {
		return nil, nil, err
	}
	res := L.Get(-1)
	L.Pop(1)
	tb, ok := res.(*lua.LTable)
	if !ok {
		return nil, nil, nil
	}
	vals = map[string]any{}
	forEach(tb, func(k, v lua.LValue) {
		keys = append(keys, k.String())
		vals[k.String()] = toGo(v)
	})
	return keys, vals, nil
}

// genLog writes n lines of the test generator's format (combined or msec)
// to a file in a temporary directory and returns its lines.
func genLog(t testing.TB, format string, n int) []string {
	t.Helper()
	script, err := filepath.Abs("../../../shared/bench/gen_nginx_log.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Skipf("log generator not available: %v", err)
	}
	out := filepath.Join(t.TempDir(), format+".log")
	cmd := exec.Command("python3", script, "--lines", fmt.Sprint(n), "--format", format, "--out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("log generator: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// The generator's log formats (gen_nginx_log.py --help).
const (
	combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
	msecFormat     = `$remote_addr $msec "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`
)
