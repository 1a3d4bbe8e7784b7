package preserve

import (
	"math"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzRoundTrip saves a string and a number as values and as keys and
// checks they restore exactly.
func FuzzRoundTrip(f *testing.F) {
	f.Add("", 0.0)
	f.Add("\x00\n\r\"\\\xff", math.Copysign(0, -1))
	f.Add("héllo", 1.0/3)
	f.Add("]] end --", math.Inf(-1))
	f.Fuzz(func(t *testing.T, s string, n float64) {
		L := newState(t)
		skip := HostGlobals(L)
		tb := L.NewTable()
		tb.RawSetString("s", lua.LString(s))
		tb.RawSetString("n", lua.LNumber(n))
		tb.RawSetString(s, lua.LTrue)
		if !math.IsNaN(n) {
			tb.RawSet(lua.LNumber(n), lua.LString(s))
		}
		L.SetGlobal("t", tb)
		path := filepath.Join(t.TempDir(), "fuzz.data")
		if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
			t.Fatal(err)
		}
		L2, _ := restoreFresh(t, path)
		got, ok := L2.GetGlobal("t").(*lua.LTable)
		if !ok {
			t.Fatalf("t = %v", L2.GetGlobal("t"))
		}
		if g := got.RawGetString("s"); g != lua.LString(s) {
			t.Errorf("string %q restored as %q", s, g)
		}
		if g, ok := got.RawGetString("n").(lua.LNumber); !ok || math.Float64bits(float64(g)) != math.Float64bits(n) && !(math.IsNaN(n) && math.IsNaN(float64(g))) {
			t.Errorf("number %v restored as %v", n, got.RawGetString("n"))
		}
		if g := got.RawGetString(s); g != lua.LTrue {
			t.Errorf("key %q restored with %v", s, g)
		}
		if !math.IsNaN(n) {
			if g := got.RawGet(lua.LNumber(n)); g != lua.LString(s) {
				t.Errorf("key %v restored with %v", n, g)
			}
		}
	})
}
