package preserve

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.data")

func TestAppendNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), `-"0"`},
		{1, "1"},
		{-7, "-7"},
		{50, "50"},
		{1 << 53, "9007199254740992"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{99.1, "99.1"},
		{1e308, "1e+308"},
		{5e-324, "5e-324"},
		{-2.5e-8, "-2.5e-08"},
		{math.Inf(1), "1/0"},
		{math.Inf(-1), "-1/0"},
		{math.NaN(), "0/0"},
	}
	for _, tc := range tests {
		if got := string(appendNumber(nil, tc.in)); got != tc.want {
			t.Errorf("appendNumber(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := string(appendKeyNumber(nil, math.Copysign(0, -1))); got != "0" {
		t.Errorf("appendKeyNumber(-0) = %s, want 0", got)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"foo", `"foo"`},
		{"a\"b\\c", `"a\"b\\c"`},
		{"l1\nl2\r\t", `"l1\nl2\r\t"`},
		{"\x00" + "1", `"\0001"`},
		{"\x01\x1f\x7f", `"\001\031\127"`},
		{"héllo €", `"héllo €"`},
		{"h\xc3llo\xff", `"h\195llo\255"`},
	}
	for _, tc := range tests {
		if got := string(appendString(nil, tc.in)); got != tc.want {
			t.Errorf("appendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// evalLiteral compiles "return <lit>" in L and returns the value.
func evalLiteral(tb testing.TB, L *lua.LState, lit []byte) lua.LValue {
	tb.Helper()
	v, err := run(L, append([]byte("return "), lit...), "literal")
	if err != nil {
		tb.Fatalf("%s: %v", lit, err)
	}
	return v
}

func TestLiteralsReadBack(t *testing.T) {
	L := newState(t)
	for i := range 256 {
		for _, s := range []string{string(rune(0)) + string([]byte{byte(i)}), string([]byte{byte(i)}) + "7", "é" + string([]byte{byte(i)})} {
			if got := evalLiteral(t, L, appendString(nil, s)); got != lua.LString(s) {
				t.Errorf("string %q read back as %q", s, got)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) {
			continue
		}
		got, ok := evalLiteral(t, L, appendNumber(nil, f)).(lua.LNumber)
		if !ok || math.Float64bits(float64(got)) != math.Float64bits(f) {
			t.Fatalf("%v (%s) read back as %v", f, appendNumber(nil, f), got)
		}
	}
}

// goldenSetup is the state of testdata/golden.data, the byte-exact form
// of every kind of value.
const goldenSetup = negzero + `
	_PRESERVATION_VERSION = 2
	count = 50
	rate = 0.12345678
	special = {1/0, -1/0, 0/0, negzero(), 2^53, 1e21, 5e-324}
	text = {plain = "foo", quoted = "say \"hi\"\\", lines = "a\nb\r\n", ctl = "\0\1\127\255", utf8 = "h\195\169llo"}
	keys = {[1] = "one", [2.5] = "two and a half", [-1] = "minus one", ["1"] = "string one", [true] = "yes", [false] = "no"}
	holes = {1, nil, 3}
	empty = {}
	cyclea = {type = "a"}
	cycleb = {type = "b", a = cyclea}
	cyclea.b = cycleb
	shared = {x = {}}
	shared.y = shared.x
	fn = print
	meta = setmetatable({}, {})`

func TestGolden(t *testing.T) {
	path := saveSetup(t, goldenSetup)
	got := readFile(t, path)
	golden := filepath.Join("testdata", "golden.data")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readFile(t, golden)
	if got != want {
		t.Errorf("Save wrote:\n%s\nwant (testdata/golden.data; -update rewrites it):\n%s", got, want)
	}
	// Saving the restored state gives the same bytes.
	L, skip := restoreFresh(t, path)
	path2 := filepath.Join(t.TempDir(), "again.data")
	L.SetGlobal(VersionGlobal, lua.LNumber(2))
	if err := Save(L, path2, SaveOptions{Skip: skip}); err != nil {
		t.Fatal(err)
	}
	if again := readFile(t, path2); again != got {
		t.Errorf("saving the restored state wrote:\n%s", again)
	}
}

func TestSaveSegments(t *testing.T) {
	n := 10000
	setup := `big = {}
		for i = 1, ` + itoa(n) + ` do big["key" .. i] = "value" .. i; big[i] = i + 0.5 end`
	path := saveSetup(t, setup)
	data := readFile(t, path)
	opens, closes := strings.Count(data, segmentOpen), strings.Count(data, segmentClose)
	if opens < 10 || opens != closes {
		t.Errorf("%d segment openings, %d closings", opens, closes)
	}
	if first := data[:strings.Index(data, segmentOpen)]; !strings.HasPrefix(first, "if "+VersionGlobal) || strings.Count(first, "\n") < 100 {
		t.Errorf("first, unwrapped segment:\n%.300s", first)
	}
	L, skip := restoreFresh(t, path)
	checkRestored(t, L, skip, setup)
	t.Run("lua5.1", func(t *testing.T) { checkLua51(t, setup, path) })
}

// TestSaveManyConstants saves a state with more distinct values than one
// Lua function may hold (262143): only segments make it loadable, by
// gopher-lua and by the reference's Lua 5.1.
func TestSaveManyConstants(t *testing.T) {
	if testing.Short() {
		t.Skip("large state")
	}
	const n = 140000
	L := newState(t)
	many := L.NewTable()
	for i := range n {
		many.RawSetString(fmt.Sprintf("k%d", i), lua.LString(fmt.Sprintf("v%d", i)))
	}
	L.SetGlobal("many", many)
	path := filepath.Join(t.TempDir(), "many.data")
	if err := Save(L, path, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	const check = `local n = 0
		for k, v in pairs(many) do
			assert("v" .. k:sub(2) == v, k)
			n = n + 1
		end
		assert(n == 140000, n)`
	L2, _ := restoreFresh(t, path)
	doString(t, L2, check)
	t.Run("lua5.1", func(t *testing.T) {
		bin := lua51(t)
		script := filepath.Join(t.TempDir(), "check.lua")
		if err := os.WriteFile(script, []byte("dofile(arg[1])\n"+check), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, script, path).CombinedOutput()
		if err != nil {
			t.Errorf("lua5.1: %v: %s", err, out)
		}
	})
}

func itoa(n int) string {
	return string(appendNumber(nil, float64(n)))
}
