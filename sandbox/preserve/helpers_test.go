package preserve

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newState returns a fresh gopher-lua state closed at the end of the test.
func newState(tb testing.TB) *lua.LState {
	tb.Helper()
	L := lua.NewState()
	tb.Cleanup(L.Close)
	return L
}

// doString runs Lua code in L and fails the test on error.
func doString(tb testing.TB, L *lua.LState, code string) {
	tb.Helper()
	if err := L.DoString(code); err != nil {
		tb.Fatalf("lua: %v", err)
	}
}

// saveSetup runs setup as a plugin's code in a fresh state and saves its
// globals to a new file, whose path it returns.
func saveSetup(tb testing.TB, setup string) string {
	tb.Helper()
	L := newState(tb)
	skip := HostGlobals(L)
	doString(tb, L, setup)
	path := filepath.Join(tb.TempDir(), "analysis.test.data")
	if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
		tb.Fatalf("Save: %v", err)
	}
	return path
}

// restoreFresh restores path into a fresh state and returns it with the
// Skip for its host globals.
func restoreFresh(tb testing.TB, path string) (*lua.LState, func(string) bool) {
	tb.Helper()
	L := newState(tb)
	skip := HostGlobals(L)
	st, err := Restore(L, path, RestoreOptions{})
	if err != nil || st != Restored {
		tb.Fatalf("Restore = %v, %v; want restored", st, err)
	}
	return L, skip
}

// checkRestored checks, with testdata/compare.lua, that the globals of L
// other than its host globals hold exactly the state setup builds.
func checkRestored(tb testing.TB, L *lua.LState, skip func(string) bool, setup string) {
	tb.Helper()
	got := L.NewTable()
	L.G.Global.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok && skip(string(s)) {
			return
		}
		got.RawSet(k, v)
	})
	check, err := L.LoadFile("testdata/compare.lua")
	if err != nil {
		tb.Fatal(err)
	}
	L.Push(check)
	if err := L.PCall(0, 1, nil); err != nil {
		tb.Fatal(err)
	}
	fn := L.Get(-1)
	L.Pop(1)
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, lua.LString(setup), got); err != nil {
		tb.Errorf("restored state differs: %v", err)
	}
}

// lua51 returns the path of a stock Lua 5.1 interpreter, or skips.
func lua51(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"lua5.1", "lua51"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tb.Skip("no lua5.1 interpreter in PATH")
	return ""
}

// checkLua51 restores the state file with a stock Lua 5.1, as the
// reference would, and checks it against setup (testdata/check51.lua).
func checkLua51(tb testing.TB, setup, path string) {
	tb.Helper()
	bin := lua51(tb)
	setupFile := filepath.Join(tb.TempDir(), "setup.lua")
	if err := os.WriteFile(setupFile, []byte(setup), 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(bin, "testdata/check51.lua", "testdata/compare.lua", setupFile, path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		tb.Errorf("lua5.1 restore: %v: %s", err, out)
	}
}

// listDir returns the names in dir.
func listDir(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
