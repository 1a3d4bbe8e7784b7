package preserve

import (
	"math"
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// negzero is Lua code defining a function that returns -0 at run time: a
// literal -0 loses its sign to constant folding in both compilers.
const negzero = "local function negzero() local z = 0 return -z end\n"

// roundTrips are plugin states that must come back exactly, in gopher-lua
// and in a stock Lua 5.1 (the reference's interpreter).
var roundTrips = []struct {
	name  string
	setup string
}{
	{"numbers", negzero + `
		zero, negz, third, big, past53 = 0, negzero(), 1/3, 1e308, 2^53 + 1
		inf, ninf, nan = 1/0, -1/0, 0/0
		tiny, huge, neg, e21, i63 = 5e-324, 1.7976931348623157e308, -123.456, 1e21, 2^63
		list = {0, negzero(), 0.1, 1e-7, -1e-300, 12345678901234567890, 2^53, -(2^53), 1e20, 0/0}`},
	{"strings", `
		local b = {}
		for i = 0, 255 do b[#b + 1] = string.char(i) end
		all = table.concat(b)
		rev = all:reverse()
		each = {}
		for i = 0, 255 do each[i + 1] = string.char(i) .. "9" end
		empty = ""
		utf8 = "h\195\169llo \226\130\172 \240\159\152\128"
		bad_utf8 = "h\195llo\255"
		numeric = {"0", "-0", "1e5", "0x10", " 1 "}
		long = string.rep("ab\n\0", 25000)`},
	{"string keys", `
		keys = {}
		for i = 0, 255 do keys[string.char(i)] = i; keys["k" .. string.char(i) .. "9"] = -i end
		keys[""] = "empty"
		local G = getfenv(1)
		G["with space"] = 1
		G["quote\"back\\slash\nnewline"] = 2
		G["\0"] = 3
		G["\255\254"] = 4`},
	{"number and boolean keys", negzero + `
		nk = {[0] = "zero", [1] = "one", [-1] = "minus", [3.5] = "half", [1e300] = "big", [1/0] = "inf", [-1/0] = "ninf", [2^53] = "2^53"}
		bk = {[true] = "yes", [false] = "no", [1] = true, x = false}
		local G = getfenv(1)
		G[1], G[2.5], G[true] = "top one", "top two and a half", "top true"`},
	{"nested", `
		nested = {a = {b = {c = {d = "deep"}}}, list = {{1, 2}, {3, {4, {5}}}}, e = {}}
		local t = {}
		deep = t
		for i = 1, 200 do t.next = {i = i}; t = t.next end`},
	{"arrays with holes", `
		holes = {1, nil, 3, nil, 5}
		sparse = {}
		sparse[1], sparse[100], sparse[1e6] = "a", "b", "c"
		empty_array = {nil}
		mixed = {10, 20, 30, key = "val", [5] = 50}`},
	{"cycles", `
		self = {}
		self.me = self
		cyclea = {type = "cycle a"}
		cycleb = {type = "cycle b", a = cyclea}
		cyclea.b = cycleb
		ring = {}
		local n = ring
		for i = 1, 10 do n.next = {i = i}; n = n.next end
		n.next = ring
		arr = {}
		arr[1] = {arr}`},
	{"shared references", `
		shared = {v = 1}
		a = {x = shared, list = {shared, shared}}
		b = {y = shared}
		c = shared
		inner = {}
		outer = {p = {q = inner}, r = inner}
		alias = outer`},
	{"empty", ``},
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTrips {
		t.Run(tc.name, func(t *testing.T) {
			path := saveSetup(t, tc.setup)
			L, skip := restoreFresh(t, path)
			checkRestored(t, L, skip, tc.setup)
			t.Run("lua5.1", func(t *testing.T) { checkLua51(t, tc.setup, path) })
		})
	}
}

func TestRoundTripNumbersExact(t *testing.T) {
	values := []float64{
		0, math.Copysign(0, -1), 1.0 / 3, 1e308, 1<<53 + 1, math.Inf(1), math.Inf(-1),
		math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 0.1, 1e21, 1e21 - 65536,
		123456789012345678, -1e-310, 2.5e-8, math.Pi, math.Float64frombits(0x7ff8000000000001),
	}
	L := newState(t)
	skip := HostGlobals(L)
	list := L.NewTable()
	for _, v := range values {
		list.Append(lua.LNumber(v))
	}
	L.SetGlobal("list", list)
	path := t.TempDir() + "/n.data"
	if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
		t.Fatal(err)
	}
	L2, _ := restoreFresh(t, path)
	got, ok := L2.GetGlobal("list").(*lua.LTable)
	if !ok {
		t.Fatalf("list = %v", L2.GetGlobal("list"))
	}
	for i, want := range values {
		g, ok := got.RawGetInt(i + 1).(lua.LNumber)
		switch {
		case !ok:
			t.Errorf("list[%d] = %v, want %v", i+1, got.RawGetInt(i+1), want)
		case math.IsNaN(want):
			if !math.IsNaN(float64(g)) {
				t.Errorf("list[%d] = %v, want NaN", i+1, g)
			}
		case math.Float64bits(float64(g)) != math.Float64bits(want):
			t.Errorf("list[%d] = %v (%#x), want %v (%#x)", i+1, g, math.Float64bits(float64(g)), want, math.Float64bits(want))
		}
	}
}

func TestSharedReferencesRawEqual(t *testing.T) {
	path := saveSetup(t, `
		shared = {v = 1}
		a = {x = shared}
		b = {y = shared}
		cyclea = {}
		cycleb = {a = cyclea}
		cyclea.b = cycleb`)
	L, _ := restoreFresh(t, path)
	doString(t, L, `
		assert(rawequal(a.x, b.y), "a.x and b.y are different tables")
		assert(rawequal(a.x, shared), "a.x and shared are different tables")
		a.x.v = 2
		assert(b.y.v == 2)
		assert(rawequal(cyclea.b.a, cyclea) and rawequal(cycleb.a.b, cycleb))`)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`_G["a"]["x"] = {}`,
		`_G["b"]["y"] = _G["a"]["x"]`,
		`_G["cyclea"]["b"]["a"] = _G["cyclea"]`,
		`_G["cycleb"] = _G["cyclea"]["b"]`,
		`_G["shared"] = _G["a"]["x"]`,
	} {
		if !strings.Contains(string(data), line+"\n") {
			t.Errorf("file lacks %q:\n%s", line, data)
		}
	}
}

// TestRestoreReplacesInitialValues restores after the plugin's file ran,
// as the sandbox does: saved globals replace the initial values, others
// keep them.
func TestRestoreReplacesInitialValues(t *testing.T) {
	const plugin = `
		count = 0
		seen = {a = 1}
		untouched = "init"
		function process_message() count = count + 1 end`
	L := newState(t)
	skip := HostGlobals(L)
	doString(t, L, plugin)
	doString(t, L, `process_message(); process_message(); seen = {b = 2}; untouched = nil`)
	path := t.TempDir() + "/analysis.counter.data"
	if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
		t.Fatal(err)
	}

	L2 := newState(t)
	doString(t, L2, plugin)
	if st, err := Restore(L2, path, RestoreOptions{}); st != Restored || err != nil {
		t.Fatalf("Restore = %v, %v", st, err)
	}
	doString(t, L2, `
		assert(count == 2, "count " .. tostring(count))
		assert(seen.b == 2 and seen.a == nil)
		assert(untouched == "init")
		process_message()
		assert(count == 3)`)
}
