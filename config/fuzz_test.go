package config

import (
	"errors"
	"os"
	"strconv"
	"testing"
)

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "100", "64KiB", "8 MiB", "1.5GB", "1GiB", "8192TiB", "-1", "1e3", "0.001KB", "64XB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if !errors.Is(err, ErrSize) {
				t.Fatalf("ParseSize(%q): error %v does not wrap ErrSize", s, err)
			}
			return
		}
		if n < 0 || n > maxExact {
			t.Fatalf("ParseSize(%q) = %d, out of range", s, n)
		}
		for _, again := range []string{strconv.FormatInt(n, 10), strconv.FormatInt(n, 10) + "B"} {
			if m, err := ParseSize(again); err != nil || m != n {
				t.Fatalf("ParseSize(%q) = %d, but ParseSize(%q) = %d, %v", s, n, again, m, err)
			}
		}
	})
}

// fuzzBudget keeps the endless loops the fuzzer writes cheap.
const fuzzBudget = 100_000

func FuzzParseLua(f *testing.F) {
	if src, err := os.ReadFile("testdata/same/counter.cfg"); err == nil {
		f.Add(src)
	}
	for _, s := range []string{
		"a = 1",
		"t = {1, 2, x = {y = 'z'}}",
		"s = 'x' while true do s = s .. s end",
		"while true do end",
		"t = {} t.t = t",
		"a = [[\nlong]] --[==[ c ]==] b = a .. 1",
		"x = math.floor(1)",
		"local a, b = 1 c, d = 2, {3}",
		"function f() return f() end f()",
		"x = 0/0 y = 1/0 z = -0",
		"t = {[1.5] = 1, [true] = 2, [2^60] = 3}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		scanLua(src) // the scan must cope with any text
		tab, err := ParseLua("fuzz.cfg", src, fuzzBudget)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz.cfg" {
				t.Fatalf("error %v (%T) is not an *Error naming the file", err, err)
			}
			return
		}
		checkTable(t, tab, 0)
		if c := tab.Clone(); !Equal(c, tab) && !hasNaN(tab) {
			t.Fatal("clone differs")
		}
	})
}

func FuzzParseTOML(f *testing.F) {
	if src, err := os.ReadFile("testdata/same/counter.toml"); err == nil {
		f.Add(src)
	}
	for _, s := range []string{
		"a = 1",
		"[t]\nx = [1, {y = 2}]\n[[arr]]\nz = 1979-05-27T07:32:00Z",
		"a.b.c = 'd'",
		"n = 9007199254740993",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		scanTOMLLines(src)
		tab, err := ParseTOML("fuzz.toml", src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz.toml" {
				t.Fatalf("error %v (%T) is not an *Error naming the file", err, err)
			}
			return
		}
		checkTable(t, tab, 0)
	})
}

// checkTable checks the invariants of a parsed table: only the four value
// types, keys sorted and distinct, bounded depth.
func checkTable(t *testing.T, tab *Table, depth int) {
	t.Helper()
	if depth > MaxDepth+1 {
		t.Fatalf("table nested %d deep", depth)
	}
	es := tab.Entries()
	for i, e := range es {
		if i > 0 && compareKeys(es[i-1].Key, e.Key) >= 0 {
			t.Fatalf("keys out of order: %v, %v", es[i-1].Key, e.Key)
		}
		switch v := e.Value.(type) {
		case string, float64, bool:
		case *Table:
			checkTable(t, v, depth+1)
		default:
			t.Fatalf("value of type %T", v)
		}
	}
}

func hasNaN(v Value) bool {
	switch v := v.(type) {
	case float64:
		return v != v
	case *Table:
		for _, e := range v.entries {
			if hasNaN(e.Value) {
				return true
			}
		}
	}
	return false
}
