package luapattern

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// tcase is one call of a Lua string function in the differential corpus.
type tcase struct {
	fn   string // find, match, gsub, gsubf (function replacement), gmatch
	pat  string
	s    string
	init int    // find/match: Lua's init; 0 means absent
	repl string // gsub
	max  int    // gsub: Lua's n; noMax means absent
}

// noMax marks a gsub case without Lua's n argument.
const noMax = -1 << 31

// key identifies a case in the golden file.
func (c tcase) key() string {
	return fmt.Sprintf("%s %s %s %d %s %d", c.fn, quote(c.pat), quote(c.s), c.init, quote(c.repl), c.max)
}

// handCases are written from the Lua 5.1 manual, one feature at a time,
// with the corners of the C implementation.
func handCases() []tcase {
	var cs []tcase
	both := func(pat, s string) {
		cs = append(cs, tcase{fn: "find", pat: pat, s: s, max: noMax}, tcase{fn: "match", pat: pat, s: s, max: noMax})
	}
	for _, pc := range [][2]string{
		// literals, plain search, specials
		{"", ""}, {"", "abc"}, {"b", "abc"}, {"bc", "abc"}, {"x", "abc"},
		{"a.c", "abc"}, {"a.c", "a\nc"}, {"a)", "a)"}, {"a)", "abc"},
		{"]", "a]"}, {"a]", "a]"}, {"\x00", "a\x00b"}, {"a\x00b", "xa\x00b"},
		{"a\x00.", "xa\x00b"}, {"a\x00(", "a"}, {"%z", "a\x00b"}, {"%Z+", "\x00ab\x00"},
		// classes
		{"%a+", "12abC34"}, {"%A+", "abc12!d"}, {"%d+", "ab123c"}, {"%D+", "12ab3"},
		{"%l+", "ABcdE"}, {"%L+", "abCDe"}, {"%u+", "abCDe"}, {"%U+", "ABcdE"},
		{"%s+", "a \t\n\v\f\rb"}, {"%S+", "  ab  "}, {"%w+", "!!a1B2??"}, {"%W+", "ab!?cd"},
		{"%x+", "zzDeadBEEFzz"}, {"%X+", "0fzzq1"}, {"%p+", "ab!#$%&()*+,-./c"}, {"%P+", "!!ab!"},
		{"%c+", "a\x01\x1f\x7fb"}, {"%C+", "\x01ab\x7f"}, {"%a", "\xe9a"}, {"%w+", "\xc3\xa9t\xc3\xa9"},
		{"%.", "a.b"}, {"%%", "50%"}, {"%q", "aqb"}, {"%]", "a]b"}, {"%-", "a-b"},
		// sets
		{"[abc]+", "xxcabx"}, {"[^abc]+", "abxyzc"}, {"[a-c]+", "xabcdx"}, {"[a-]+", "x-a-x"},
		{"[-a]+", "x-a-x"}, {"[]]", "a]b"}, {"[]a]+", "x]a]x"}, {"[^]]+", "]ab]"},
		{"[%a%d]+", "!ab12!"}, {"[%]]", "a]"}, {"[a-%%]", "]"}, {"[%a-z]", "-"},
		{"[z-a]", "m"}, {"[a-c-e]+", "b-ed"}, {"[^%s]+", "  ab  "}, {"[.]", "a.b"},
		{"[^]", "a"}, {"[", "a"}, {"[a", "a"}, {"[%", "a"}, {"[a%]", "a]"}, {"[^", "a"},
		{"[]", "]"}, {"[%z]", "a\x00"}, {"[\x00]", "a"},
		// quantifiers
		{"a*", "aaab"}, {"a*", "baaa"}, {"a+", "baaa"}, {"a-", "aaa"}, {"a-b", "aaab"},
		{"a?b", "ab"}, {"a?b", "b"}, {"a?a", "a"}, {"a*a", "aaa"}, {"a+a", "a"},
		{".-b", "aaabab"}, {".*b", "aaabab"}, {"%d*%.?%d+", "x3.14y"}, {"*a", "*a"},
		{"a**", "aa**"}, {"+", "a+"}, {"-", "a-b"}, {"?", "a?"}, {"a-?", "a-?"},
		{"[ab]-c", "ababc"}, {"x*$", "abxx"}, {"^x*", "abc"},
		// anchors
		{"^a", "ab"}, {"^a", "ba"}, {"a$", "ba"}, {"a$", "ab"}, {"^$", ""}, {"^$", "a"},
		{"$", "abc"}, {"^", "abc"}, {"a^", "a^"}, {"$a", "$a"}, {"^^", "^a"},
		{"a$b", "a$b"}, {"(a$)", "ba"}, {"^(a)$", "a"}, {"^abc$", "abc"}, {"$$", "a$"},
		// captures
		{"(a)(b)", "xab"}, {"(a(b)c)", "abc"}, {"()a()", "xa"}, {"()", "abc"},
		{"(h)(e)(l)(l)(o)", "hello"}, {"((a)(b))", "ab"}, {"(a*)", "bbb"}, {"(a-)b", "aab"},
		{"^(%d+)-(%d+)", "12-34x"}, {"(%a+)=(%w+)", "  key=val1 "}, {"(", "a"}, {"(a", "a"},
		{"(a", "x"}, {")", "a"}, {"a)", "xa)"}, {"a)(", "a"}, {"(()", "a"}, {"(a)(", "ab"},
		{strings.Repeat("(a)", 32), strings.Repeat("a", 32)}, {strings.Repeat("(a)", 33), strings.Repeat("a", 33)},
		{strings.Repeat("()", 33), "x"},
		// back-references
		{"(a)%1", "xaa"}, {"(%a+) %1", "hey hey you"}, {"(a)%2", "aa"}, {"%1", "a"}, {"%0", "a"},
		{"(a%1)", "aa"}, {"()%1", "aa"}, {"(a*)%1", "aaaa"}, {"([\"'])(.-)%1", `say "hi" 'x'`},
		{"%1(a)", "aa"}, {"(a)%1*", "aa**"},
		// %b
		{"%b()", "x(a(b)c)d"}, {"%b()", "x(a(bc"}, {"%b()", ")("}, {"%bxx", "axbxc"},
		{"%b", "a"}, {"%b(", "a("}, {"%b()*", "()**"}, {"%b{}", "f{a{b}{c}}g"},
		// %f
		{"%f[%a]%a+", "THE (quick) fox"}, {"%f[%A]", "abc"}, {"%f[%a]", ""}, {"%f[%z]", "ab"},
		{"%f[^%z]", "ab"}, {"%f", "a"}, {"%fa", "a"}, {"%f[a", "a"}, {"%f[%w]%w+%f[%W]", "a bb ccc"},
		// errors
		{"%", "a"}, {"a%", "a"}, {"a%", "b"}, {"%b)", "a"},
	} {
		both(pc[0], pc[1])
	}
	for _, c := range []struct {
		pat, s string
		init   int
	}{
		{"b", "abc", 2}, {"b", "abc", 3}, {"b", "abc", -1}, {"b", "abc", -2}, {"b", "abc", -10},
		{"", "abc", 10}, {"", "abc", 4}, {"", "abc", -1}, {"^b", "abc", 2}, {"%a", "abc", 0},
		{"a-$", "abc", 2}, {"()", "abc", 3}, {"c$", "abc", 3}, {"x*", "abc", 5},
	} {
		cs = append(cs, tcase{fn: "find", pat: c.pat, s: c.s, init: c.init, max: noMax},
			tcase{fn: "match", pat: c.pat, s: c.s, init: c.init, max: noMax})
	}
	for _, c := range []struct {
		pat, s, repl string
		max          int
	}{
		{"o", "hello world", "0", 0}, {"(o)", "hello world", "[%1%0%%]", 0}, {"%w+", "hello world", "<%0>", 0},
		{"%w*", "abc", "-", 0}, {"", "abc", "-", 0}, {"x*", "abc", "-", 0}, {"b*", "abc", "-", 0},
		{"o", "hello world", "0", 1}, {"o", "hello world", "0", -1}, {"o", "hello world", "0", 2}, {"(", "ab", "x", -1}, {"^h", "hhh", "x", 0},
		{"^", "abc", "x", 0}, {"$", "abc", "x", 0}, {"b", "abc", "%", 0}, {"b", "abc", "%2", 0},
		{"b", "abc", "%1", 0}, {"()b", "abc", "%1", 0}, {"(b)", "abc", "%2", 0}, {"b", "abc", "%a%", 0},
		{"(a", "a", "x", 0}, {"(a", "a", "%1", 0}, {"(a", "b", "x", 0}, {"a)", "a)", "x", 0},
		{"(%w+) (%w+)", "hello world from Lua", "%2 %1", 0}, {"%s+", "  a  b  ", " ", 0},
		{"(a)(b)", "abab", "%2%1%0", 0}, {".", "ab", "%%%0", 0}, {"a-", "aaa", "-", 0},
	} {
		if c.max == 0 {
			c.max = noMax
		}
		cs = append(cs, tcase{fn: "gsub", pat: c.pat, s: c.s, repl: c.repl, max: c.max})
	}
	for _, pc := range [][2]string{
		{"%a+", "one two three"}, {"(%w+)=(%w+)", "a=1, b=2"}, {"%a*", "abc"}, {"", "abc"},
		{"^a", "^a^a"}, {"^", "a^^"}, {"^*", "^^a"}, {"x*", "axxb"}, {"()", "ab"},
		{"%f[%w]%w+", "THE (quick) fox"}, {"(a", "x"}, {"(%a)(%d)", "a1b2c"},
	} {
		cs = append(cs, tcase{fn: "gmatch", pat: pc[0], s: pc[1]}, tcase{fn: "gsubf", pat: pc[0], s: pc[1], max: noMax})
	}
	return cs
}

// genTokens are the pieces generated patterns are made of, errors included.
var genTokens = []string{
	"a", "a", "b", "b", "x", ".", ".", "%a", "%d", "%s", "%w", "%p", "%u", "%l", "%x",
	"%c", "%A", "%D", "%S", "%z", "%Z", "%%", "%.", "%(", "%]", "[ab]", "[^a]", "[a-c]",
	"[%d)]", "[]]", "[^]]", "[a-]", "[%a_]", "*", "*", "+", "+", "-", "-", "?", "?",
	"(", "(", ")", ")", "()", "%1", "%2", "%0", "^", "$", "%b()", "%bab", "%f[%a]",
	"%f[^%s]", "%f", "%", "[", "]", "\x00", "1", " ", "A", "(a*)", "(.-)",
}

// genCases returns n pseudo-random cases, the same on every run.
func genCases(n int) []tcase {
	r := rand.New(rand.NewPCG(5, 1))
	const subjAlpha = "aaabbbxx (1)A ]\x00%-^$"
	fns := []string{"find", "match", "gsub", "gsubf", "gmatch"}
	inits := []int{0, 0, 0, 1, 2, -1, -3, 5, 30}
	repls := []string{"-", "%0", "<%1>", "%2", "%%", "%", "x%ay", "[%1%1]"}
	var cs []tcase
	for range n {
		var pb strings.Builder
		for range 1 + r.IntN(6) {
			pb.WriteString(genTokens[r.IntN(len(genTokens))])
		}
		sb := make([]byte, r.IntN(11))
		for i := range sb {
			sb[i] = subjAlpha[r.IntN(len(subjAlpha))]
		}
		c := tcase{fn: fns[r.IntN(len(fns))], pat: pb.String(), s: string(sb), max: noMax}
		switch c.fn {
		case "find", "match":
			c.init = inits[r.IntN(len(inits))]
		case "gsub":
			c.repl = repls[r.IntN(len(repls))]
			c.max = noMax
			if r.IntN(4) == 0 {
				c.max = r.IntN(3)
			}
		}
		cs = append(cs, c)
	}
	return cs
}

// corpus is every case of the differential tests.
func corpus() []tcase {
	return append(handCases(), genCases(600)...)
}

// quote renders s with printable ASCII kept and every other byte as \xHH,
// the same way the Lua side of the tests does.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 32 && c < 127 && c != '"' && c != '\\' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\x%02x", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// luaValue renders one capture the way the Lua side renders its value.
func luaValue(s string, c Capture) string {
	if c.Position {
		return strconv.Itoa(c.Start + 1)
	}
	return quote(c.Text(s))
}

func joinValues(s string, vals []Capture) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = luaValue(s, v)
	}
	return strings.Join(parts, " ")
}

// ours runs c on this package and renders the result as the Lua script does.
func ours(c tcase) string { return oursWithin(c, DefaultSteps) }

// oursWithin is ours with a step budget for each call.
func oursWithin(c tcase, steps int) string {
	budget := func() *Budget { return &Budget{Steps: steps} }
	errOut := func(err error) string { return "err " + quote(LuaMessage(err)) }
	p, err := Compile(c.pat)
	if err != nil {
		return errOut(err)
	}
	init := c.init
	if init == 0 {
		init = 1
	}
	var m Match
	switch c.fn {
	case "find", "match":
		find := p.Find
		if c.fn == "match" {
			find = p.Match
		}
		ok, err := find(c.s, StartOffset(init, len(c.s)), &m, budget())
		switch {
		case err != nil:
			return errOut(err)
		case !ok:
			return "nil"
		case c.fn == "find":
			out := fmt.Sprintf("%d %d", m.Start+1, m.End)
			if m.NumCaptures() > 0 {
				out += " " + joinValues(c.s, m.Captures())
			}
			return out
		}
		return joinValues(c.s, m.Values())
	case "gsub":
		max := c.max
		if max == noMax {
			max = len(c.s) + 1
		}
		out, n, err := p.GsubString(c.s, c.repl, max, budget())
		if err != nil {
			return errOut(err)
		}
		return fmt.Sprintf("%s %d", quote(out), n)
	case "gsubf":
		out, n, err := p.Gsub(nil, c.s, len(c.s)+1, &m, budget(), func(dst []byte, m *Match) ([]byte, error) {
			vals := m.Values()
			parts := make([]string, len(vals))
			for i, v := range vals {
				if v.Position {
					parts[i] = strconv.Itoa(v.Start + 1)
				} else {
					parts[i] = v.Text(c.s)
				}
			}
			return append(dst, "<"+strings.Join(parts, ",")+">"...), nil
		})
		if err != nil {
			return errOut(err)
		}
		return fmt.Sprintf("%s %d", quote(string(out)), n)
	case "gmatch":
		var b strings.Builder
		it := p.Gmatch(c.s)
		for n := 0; n < 50 && it.Next(budget()); n++ {
			b.WriteString("[" + joinValues(c.s, it.Match().Values()) + "]")
		}
		if it.Err() != nil {
			return errOut(it.Err())
		}
		return quote(b.String())
	}
	panic("unknown fn " + c.fn)
}

// noMatch is what Lua returns for c when the pattern matches nowhere.
func noMatch(c tcase) string {
	switch c.fn {
	case "find", "match":
		return "nil"
	case "gsub", "gsubf":
		return quote(c.s) + " 0"
	}
	return quote("")
}

// luaPrelude defines the helpers every generated script uses. It renders
// values with a byte loop rather than patterns so that the rendering does
// not depend on the implementation under test.
const luaPrelude = `
local function q(s)
  local t = {}
  for i = 1, #s do
    local b = string.byte(s, i)
    if b >= 32 and b < 127 and b ~= 34 and b ~= 92 then t[#t+1] = string.char(b)
    else t[#t+1] = string.format("\\x%02x", b) end
  end
  return '"' .. table.concat(t) .. '"'
end
local function v(x)
  if type(x) == "number" then return string.format("%d", x) end
  if type(x) == "string" then return q(x) end
  return tostring(x)
end
local function ser(n, ...)
  local t = {}
  for i = 1, n do t[i] = v((select(i, ...))) end
  return table.concat(t, " ")
end
local function out(ok, ...)
  if not ok then print("err " .. q(tostring((...)))) return end
  print(ser(select('#', ...), ...))
end
local function pack(...) return select('#', ...), {...} end
local function gm(s, p)
  local t, n = {}, 0
  local it, st, ctl = string.gmatch(s, p)
  while n < 50 do
    local c, vals = pack(it(st, ctl))
    if vals[1] == nil then break end
    t[#t+1] = "[" .. ser(c, unpack(vals, 1, c)) .. "]"
    n = n + 1
  end
  return table.concat(t)
end
local function f(...)
  local t = {}
  for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end
  return "<" .. table.concat(t, ",") .. ">"
end
`

// luaString renders s as a Lua 5.1 string literal.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == ' ' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\%03d", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// luaScript returns a Lua 5.1 script that prints one result line per case.
func luaScript(cs []tcase) string {
	var b strings.Builder
	b.WriteString(luaPrelude)
	for _, c := range cs {
		s, p := luaString(c.s), luaString(c.pat)
		switch c.fn {
		case "find", "match":
			if c.init == 0 {
				fmt.Fprintf(&b, "out(pcall(string.%s, %s, %s))\n", c.fn, s, p)
			} else {
				fmt.Fprintf(&b, "out(pcall(string.%s, %s, %s, %d))\n", c.fn, s, p, c.init)
			}
		case "gsub":
			if c.max == noMax {
				fmt.Fprintf(&b, "out(pcall(string.gsub, %s, %s, %s))\n", s, p, luaString(c.repl))
			} else {
				fmt.Fprintf(&b, "out(pcall(string.gsub, %s, %s, %s, %d))\n", s, p, luaString(c.repl), c.max)
			}
		case "gsubf":
			fmt.Fprintf(&b, "out(pcall(string.gsub, %s, %s, f))\n", s, p)
		case "gmatch":
			fmt.Fprintf(&b, "out(pcall(gm, %s, %s))\n", s, p)
		}
	}
	return b.String()
}
