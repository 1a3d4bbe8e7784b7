package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseLuaValues(t *testing.T) {
	src := `
a = 1 + 2 * 3
b = "x" .. a
c = a > 5
t = {10, 20, "y", k = {z = false}}
f = function() end
t.f = f
local hidden = 4
t[1.5] = "dropped"
t[true] = "dropped"
seq = {}
seq[1] = "one"
nan = 0/0
`
	got, err := ParseLua("v.cfg", []byte(src), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := mustTable(
		"a", 7.0,
		"b", "x7",
		"c", true,
		"t", mustTable(1, 10.0, 2, 20.0, 3, "y", "k", mustTable("z", false)),
		"seq", mustTable(1, "one"),
	)
	nan, _ := got.Get("nan")
	got.Delete("nan")
	if !Equal(got, want) {
		t.Errorf("got %s\nwant %s", dump(got), dump(want))
	}
	if f, ok := nan.(float64); !ok || f == f {
		t.Errorf("nan = %v, want NaN", nan)
	}
	if _, ok := got.Get("f"); ok {
		t.Error("function global kept")
	}
	if _, ok := got.Get("hidden"); ok {
		t.Error("local kept")
	}
}

func TestParseLuaNoLibraries(t *testing.T) {
	for _, src := range []string{
		"x = math.floor(1)",
		"x = os.getenv('HOME')",
		"x = string.rep('a', 10)",
		"x = ('a'):rep(10)",
		"x = tostring(1)",
		"x = require('os')",
		"x = loadstring('return 1')",
		"setmetatable({}, {})",
		"x = io.open('/etc/passwd')",
	} {
		_, err := ParseLua("lib.cfg", []byte("ok = 1\n"+src), 0)
		wantError(t, err, ErrRuntime, "lib.cfg", 2, "")
	}
	_, err := ParseLua("lib.cfg", []byte("x = math.floor(1)"), 0)
	if !strings.Contains(err.Error(), "'floor'") || !strings.Contains(err.Error(), "no libraries") {
		t.Errorf("error %q: want the key and a hint", err)
	}
}

// loopLimit is how long an endless loop in a config may run before it is
// stopped: under a second, with slack for the race detector.
var loopLimit = func() time.Duration {
	if raceEnabled {
		return 5 * time.Second
	}
	return time.Second
}()

func TestParseLuaBudget(t *testing.T) {
	cases := map[string]string{
		"while":     "x = 1\nwhile true do end",
		"repeat":    "repeat local a = 1 until false",
		"recursion": "function f() return f() end\nf()",
		"for":       "for i = 1, 1e12 do end",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseLua("loop.cfg", []byte(src), 0)
			if !errors.Is(err, ErrBudget) {
				t.Fatalf("err = %v, want ErrBudget", err)
			}
			if d := time.Since(start); d > loopLimit {
				t.Errorf("took %v, want under %v", d, loopLimit)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "loop.cfg" || e.Line == 0 {
				t.Errorf("error %q: want file and line", err)
			}
		})
	}
	// A small budget stops a loop a big one lets finish.
	src := []byte("n = 0 for i = 1, 1000 do n = n + i end")
	if _, err := ParseLua("b.cfg", src, 100); !errors.Is(err, ErrBudget) {
		t.Errorf("budget 100: err = %v, want ErrBudget", err)
	}
	got, err := ParseLua("b.cfg", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Get("n"); v != 500500.0 {
		t.Errorf("n = %v", v)
	}
}

func TestParseLuaLimits(t *testing.T) {
	cases := []struct {
		name     string
		src      string
		sentinel error
		key      string
	}{
		{"string doubling", "s = 'x'\nwhile true do s = s .. s end", ErrTooLarge, ""},
		{"local doubling", "local s = 'xxxxxxxx'\nfor i = 1, 100 do s = s .. s .. s .. s end", ErrTooLarge, ""},
		{"vararg fan-out", "function g(...) local a, b, c, d, e, f, g, h = ... return a..b..c..d..e..f..g..h end\ns = 'xxxxxxxx'\nwhile true do s = g(s, s, s, s, s, s, s, s) end", ErrTooLarge, ""},
		{"cycle", "t = {}\nt.me = t", ErrCycle, "t.me"},
		{"deep cycle", "t = {a = {b = {}}}\nt.a.b.c = t.a", ErrCycle, "t.a.b.c"},
		{"depth", "t = {}\nlocal c = t\nfor i = 1, 200 do c.x = {} c = c.x end", ErrTooLarge, ""},
		{"shared subtables", "t = {1}\nfor i = 1, 40 do t = {t, t} end", ErrTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLua("lim.cfg", []byte(tc.src), 0)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "lim.cfg" {
				t.Fatalf("err = %v, want an *Error naming the file", err)
			}
			if tc.key != "" && e.Key != tc.key {
				t.Errorf("Key = %q, want %q", e.Key, tc.key)
			}
		})
	}
	// A shared, acyclic subtable is fine: it is copied.
	got, err := ParseLua("s.cfg", []byte("a = {1}\nb = {a, a}"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustTable("a", mustTable(1, 1.0), "b", mustTable(1, mustTable(1, 1.0), 2, mustTable(1, 1.0))); !Equal(got, want) {
		t.Errorf("got %s", dump(got))
	}
}

func TestParseLuaErrors(t *testing.T) {
	cases := []struct {
		name     string
		src      string
		sentinel error
		line     int
		text     string
		key      string
	}{
		{"syntax", "a = 1\nb = = 2\n", ErrSyntax, 2, "near '='", ""},
		{"unfinished string", "a = 1\n\nb = 'abc\n", ErrSyntax, 4, "unterminated", ""},
		{"unfinished table", "a = {\n1,\n", ErrSyntax, 2, "", ""},
		{"syntax at EOF", "a = 1\nmax_message_size = 1 +\n\n-- c\n", ErrSyntax, 2, "at EOF", "max_message_size"},
		{"syntax at EOF, last of two", "a = 1\nb = 'x'; c = 2 ..\n", ErrSyntax, 2, "at EOF", "c"},
		{"syntax at EOF in a table", "a = {\n  b = 1 +\n", ErrSyntax, 2, "at EOF", ""},
		{"syntax at EOF in a function", "function f()\n  x = 1\n", ErrSyntax, 2, "at EOF", ""},
		{"runtime", "a = 1\nb = nil + 1\n", ErrRuntime, 2, "add", ""},
		{"concat nil", "a = 1\n\n\nb = 'x' .. c\n", ErrRuntime, 4, "concat", ""},
		{"call nil", "error('boom')", ErrRuntime, 1, "non-function", ""},
		{"too large", strings.Repeat(" ", MaxFileSize+1), ErrTooLarge, 0, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLua("bad.cfg", []byte(tc.src), 0)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "bad.cfg" {
				t.Fatalf("err = %v, want an *Error naming the file", err)
			}
			if tc.line != 0 && e.Line != tc.line {
				t.Errorf("err %q: Line = %d, want %d", err, e.Line, tc.line)
			}
			if e.Key != tc.key {
				t.Errorf("err %q: Key = %q, want %q", err, e.Key, tc.key)
			}
			if strings.Contains(err.Error(), "stack traceback") {
				t.Errorf("err %q carries a stack trace", err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err %q does not contain %q", err, tc.text)
			}
		})
	}
}

func TestParseLuaLines(t *testing.T) {
	src := `-- a = 100 (comment)
--[[ b = 200
]] plain = 1
str = "c = 3 -- not a comment" s2 = 'x'
long = [==[
d = 4
]==]
local notglobal = 5
function f()
  inside = 6
end
for i = 1, 2 do loopvar = i end
t = {
  named = 1,
  "first",
  [10] = "bracketed",
  nested = {
    deep = true,
    {1},
  },
  "second";
}
x, y = 1,
  2
t.field = 7
plain = 2
if plain then cond = 1 end
`
	got, err := ParseLua("lines.cfg", []byte(src), 0)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{
		"plain": 26, "str": 4, "s2": 4, "long": 5, "t": 13, "x": 23, "y": 23,
		"loopvar": 12, "cond": 27, "inside": 0,
	}
	for k, want := range lines {
		if _, ok := got.Get(k); !ok && want != 0 {
			t.Errorf("key %q missing", k)
		}
		if l := got.Line(k); l != want {
			t.Errorf("Line(%q) = %d, want %d", k, l, want)
		}
	}
	tv, _, _ := got.GetTable("t")
	sub := map[Key]int{StringKey("named"): 14, IntKey(1): 15, IntKey(10): 0, StringKey("nested"): 17, IntKey(2): 21, StringKey("field"): 0}
	for k, want := range sub {
		e, ok := entry(tv, k)
		if !ok {
			t.Errorf("t%v missing", k)
			continue
		}
		if e.Line != want {
			t.Errorf("line of t%v = %d, want %d", k, e.Line, want)
		}
	}
	nested, _, _ := tv.GetTable("nested")
	if e, _ := entry(nested, StringKey("deep")); e.Line != 18 {
		t.Errorf("line of t.nested.deep = %d, want 18", e.Line)
	}
	if e, _ := entry(nested, IntKey(1)); e.Line != 19 {
		t.Errorf("line of t.nested[1] = %d, want 19", e.Line)
	}
	if nested.Path() != "t.nested" {
		t.Errorf("Path = %q", nested.Path())
	}
}

func entry(t *Table, k Key) (Entry, bool) {
	for _, e := range t.Entries() {
		if e.Key == k {
			return e, true
		}
	}
	return Entry{}, false
}

// dump renders a value for test failure messages.
func dump(v Value) string {
	t, ok := v.(*Table)
	if !ok {
		return describe(v)
	}
	var b strings.Builder
	b.WriteString("{")
	for i, e := range t.Entries() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.Key.String() + "=" + dump(e.Value))
	}
	b.WriteString("}")
	return b.String()
}

// TestParseLuaComplexity: sources that would make gopher-lua's compiler
// slow (or that Lua 5.1 refuses anyway) are refused by the scan, fast,
// with a line; sources just inside the limits still work.
func TestParseLuaComplexity(t *testing.T) {
	manyConsts := func(n int) string {
		var b strings.Builder
		b.WriteString("ok = 1\nx = {")
		for i := range n {
			fmt.Fprintf(&b, "'k%d',", i)
		}
		return b.String() + "}"
	}
	cases := []struct {
		name string
		src  string
		ok   bool
	}{
		{"nested parens", "ok = 1\nx = " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), false},
		{"nested tables", "ok = 1\nx = " + strings.Repeat("{", 300) + strings.Repeat("}", 300), false},
		{"nested blocks", "ok = 1\n" + strings.Repeat("do ", 300) + strings.Repeat("end ", 300), false},
		{"long concat", "ok = 1\nx = 'a'" + strings.Repeat("..'a'", 20000), false},
		{"concat of calls", "ok = 1\nx = 'a'" + strings.Repeat("..f(1)", 20000), false},
		{"concat in groups", "ok = 1\nx = 'a'" + strings.Repeat("..('b'"+strings.Repeat("..'c'", 100), 50) + strings.Repeat(")", 50), false},
		{"long power", "ok = 1\nx = 1" + strings.Repeat("^1", 20000), false},
		{"unary", "ok = 1\nx = " + strings.Repeat("- ", 20000) + "1", false},
		{"elseif", "ok = 1\nif a then " + strings.Repeat("elseif a then ", 5000) + "end", false},
		{"constants", manyConsts(MaxConstants + 10), false},
		{"some nesting", "x = " + strings.Repeat("(", 150) + "1" + strings.Repeat(")", 150), true},
		{"some concat", "x = 'a'" + strings.Repeat("..'a'", 150), true},
		{"two chains", "x = 'a'" + strings.Repeat("..'a'", 150) + "\ny = 'b'" + strings.Repeat("..'b'", 150), true},
		{"some constants", manyConsts(2000), true},
		{"some elseifs", "if a then " + strings.Repeat("elseif a then ", 500) + "end x = 1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseLua("c.cfg", []byte(tc.src), 0)
			if d := time.Since(start); d > loopLimit {
				t.Errorf("took %v", d)
			}
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantError(t, err, ErrSyntax, "c.cfg", 2, "")
		})
	}
}
