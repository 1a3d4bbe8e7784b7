package config

import (
	"errors"
	"testing"
)

func TestParseTOMLValues(t *testing.T) {
	src := `
s = "a\tb"
i = 42
f = 1.5
b = true
big = 9007199254740992
neg = -9007199254740992
dt = 1979-05-27T07:32:00Z
ld = 1979-05-27
arr = [1, "two", [3]]
inline = { x = 1, y.z = 2 }
size = "64KiB"

[[servers]]
name = "a"
[[servers]]
name = "b"
[servers.opts]
tls = true
`
	got, err := ParseTOML("v.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := mustTable(
		"s", "a\tb",
		"i", 42.0,
		"f", 1.5,
		"b", true,
		"big", 9007199254740992.0,
		"neg", -9007199254740992.0,
		"dt", "1979-05-27T07:32:00Z",
		"ld", "1979-05-27",
		"arr", mustTable(1, 1.0, 2, "two", 3, mustTable(1, 3.0)),
		"inline", mustTable("x", 1.0, "y", mustTable("z", 2.0)),
		"size", "64KiB", // user keys are not converted
		"servers", mustTable(
			1, mustTable("name", "a"),
			2, mustTable("name", "b", "opts", mustTable("tls", true)),
		),
	)
	if !Equal(got, want) {
		t.Errorf("got  %s\nwant %s", dump(got), dump(want))
	}
}

func TestParseTOMLLines(t *testing.T) {
	src := `# comment
top = 1
dotted.a = 2
arr = [
  "one",
  { k = 1 },
  [
    7,
  ],
]

[sec]
x = 1
inl = { p = 1,
  q = 2 }

[sec.sub]
y = 2

[[list]]
n = 1

[[list]]
n = 2
[list.inner]
z = 3
`
	got, err := ParseTOML("l.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type lk struct {
		path []Key
		line int
	}
	s, i := StringKey, IntKey
	for _, c := range []lk{
		{[]Key{s("top")}, 2},
		{[]Key{s("dotted")}, 3},
		{[]Key{s("dotted"), s("a")}, 3},
		{[]Key{s("arr")}, 4},
		{[]Key{s("arr"), i(1)}, 5},
		{[]Key{s("arr"), i(2)}, 6},
		{[]Key{s("arr"), i(2), s("k")}, 6},
		{[]Key{s("arr"), i(3)}, 8},
		{[]Key{s("arr"), i(3), i(1)}, 8},
		{[]Key{s("sec")}, 12},
		{[]Key{s("sec"), s("x")}, 13},
		{[]Key{s("sec"), s("inl"), s("q")}, 15},
		{[]Key{s("sec"), s("sub")}, 17},
		{[]Key{s("sec"), s("sub"), s("y")}, 18},
		{[]Key{s("list")}, 20},
		{[]Key{s("list"), i(1)}, 20},
		{[]Key{s("list"), i(1), s("n")}, 21},
		{[]Key{s("list"), i(2)}, 23},
		{[]Key{s("list"), i(2), s("n")}, 24},
		{[]Key{s("list"), i(2), s("inner"), s("z")}, 26},
	} {
		tab := got
		var e Entry
		for j, k := range c.path {
			var ok bool
			e, ok = entry(tab, k)
			if !ok {
				t.Fatalf("%v: key %v missing", c.path, k)
			}
			if j < len(c.path)-1 {
				tab = e.Value.(*Table)
			}
		}
		if e.Line != c.line {
			t.Errorf("line of %v = %d, want %d", c.path, e.Line, c.line)
		}
	}
	sub, _, _ := got.GetTable("list")
	two, _ := sub.Lookup(IntKey(2))
	inner, _, _ := two.(*Table).GetTable("inner")
	if inner.Path() != "list[2].inner" {
		t.Errorf("Path = %q", inner.Path())
	}
}

func TestParseTOMLErrors(t *testing.T) {
	cases := []struct {
		name     string
		src      string
		sentinel error
		line     int
		key      string
	}{
		{"syntax", "a = 1\nb = \n", ErrSyntax, 2, "b"},
		{"bad value", "a = 1\n\nb = tru\n", ErrSyntax, 3, "b"},
		{"duplicate key", "a = 1\nb = 2\na = 3\n", ErrSyntax, 3, "a"},
		{"duplicate table", "[t]\nx = 1\n[t]\ny = 2\n", ErrSyntax, 3, "t"},
		{"too big integer", "a = 1\nbig = 9007199254740993\n", ErrRange, 2, "big"},
		{"too small nested", "[t]\n\nn = -9007199254740993\n", ErrRange, 3, "t.n"},
		{"int64 overflow", "a = 99999999999999999999\n", ErrSyntax, 1, "a"},
		{"size without quotes", "a = 1\noutput_size = 64 KiB\nb = 2\n", ErrSyntax, 2, "output_size"},
		{"syntax under header", "a = 1\n[input_defaults]\nx = 1\n\n  output_limit = 64 KiB\n", ErrSyntax, 5, "input_defaults.output_limit"},
		{"syntax dotted quoted key", "[t]\n\"s p\" . 'q' . r = tru\n", ErrSyntax, 2, "t.s p.q.r"},
		{"syntax in header", "a = 1\n[t x]\n", ErrSyntax, 2, ""},
		{"syntax in array", "a = [\n1,\nx,\n]\n", ErrSyntax, 3, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTOML("bad.toml", []byte(tc.src))
			e := wantError(t, err, tc.sentinel, "bad.toml", tc.line, tc.key)
			_ = e
		})
	}
	_, err := ParseTOML("big.toml", make([]byte, MaxFileSize+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}
