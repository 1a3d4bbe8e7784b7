package luapattern

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// render runs string.match(s, pat, init+1) and renders its values as the
// corpus does: strings quoted, position captures as numbers, "nil" for no
// match, "err <message>" for an error.
func render(t testing.TB, pat, s string, init int) string {
	t.Helper()
	p, err := Compile(pat)
	if err != nil {
		return "err " + LuaMessage(err)
	}
	var m Match
	ok, err := p.Match(s, init, &m, nil)
	switch {
	case err != nil:
		return "err " + LuaMessage(err)
	case !ok:
		return "nil"
	}
	return joinValues(s, m.Values())
}

func TestMatchFeatures(t *testing.T) {
	tests := []struct {
		name, pat, s string
		init         int
		want         string
	}{
		{"literal", "lo", "hello", 0, `"lo"`},
		{"literal miss", "xy", "hello", 0, "nil"},
		{"empty pattern", "", "abc", 0, `""`},
		{"init", "l", "hello", 3, `"l"`},
		{"dot", "h.l", "hello", 0, `"hel"`},
		{"dot matches newline and NUL", "a.b.c", "a\nb\x00c", 0, `"a\x0ab\x00c"`},
		{"%a ASCII only", "%a+", "\xe9t\xe9", 0, `"t"`},
		{"%c", "%c+", "a\x01\x7fb", 0, `"\x01\x7f"`},
		{"%d", "%d+", "ab123c", 0, `"123"`},
		{"%l", "%l+", "ABcdE", 0, `"cd"`},
		{"%p", "%p+", "ab!-/c", 0, `"!-/"`},
		{"%s", "%s+", "a \t\n\v\f\rb", 0, `" \x09\x0a\x0b\x0c\x0d"`},
		{"%u", "%u+", "abCDe", 0, `"CD"`},
		{"%w", "%w+", "!!a1B2??", 0, `"a1B2"`},
		{"%x", "%x+", "zzDeadBEEFzz", 0, `"DeadBEEF"`},
		{"%z", "%z", "a\x00b", 0, `"\x00"`},
		{"%Z complement", "%Z+", "\x00ab\x00", 0, `"ab"`},
		{"%D complement", "%D+", "12ab3", 0, `"ab"`},
		{"escaped special", "%.%%", "a.%b", 0, `".%"`},
		{"escaped letter stands for itself", "%q", "aqb", 0, `"q"`},
		{"set", "[abc]+", "xxcabx", 0, `"cab"`},
		{"negated set", "[^abc]+", "abxyzc", 0, `"xyz"`},
		{"range", "[a-c]+", "xabcdx", 0, `"abc"`},
		{"dash at end is literal", "[a-]+", "x-a-x", 0, `"-a-"`},
		{"class in set", "[%d%s]+", "ab1 2cd", 0, `"1 2"`},
		{"bracket first in set", "[]a]+", "x]a]x", 0, `"]a]"`},
		{"negated bracket first", "[^]]+", "]ab]", 0, `"ab"`},
		{"range after class is not a range", "[%a-z]", "-", 0, `"-"`},
		{"star longest", "a*", "aaab", 0, `"aaa"`},
		{"star empty", "a*", "baaa", 0, `""`},
		{"plus", "a+", "baaa", 0, `"aaa"`},
		{"minus shortest", "a-b", "aaab", 0, `"aaab"`},
		{"minus empty", "a-", "aaa", 0, `""`},
		{"lazy any", "<(.-)>", "<a><b>", 0, `"a"`},
		{"greedy any", "<(.*)>", "<a><b>", 0, `"a><b"`},
		{"optional", "colou?r", "color", 0, `"color"`},
		{"optional backtracks", "a?a", "a", 0, `"a"`},
		{"quantifier at start is literal", "*a", "x*a", 0, `"*a"`},
		{"anchor", "^h", "hello", 0, `"h"`},
		{"anchor miss", "^e", "hello", 0, "nil"},
		{"anchor at init", "^l", "hello", 2, `"l"`},
		{"caret elsewhere literal", "a^", "xa^", 0, `"a^"`},
		{"end anchor", "o$", "hello", 0, `"o"`},
		{"end anchor miss", "l$", "hello", 0, "nil"},
		{"dollar elsewhere literal", "$a", "x$a", 0, `"$a"`},
		{"both anchors", "^%d+$", "123", 0, `"123"`},
		{"captures", "^(%d+)-(%d+)", "12-34x", 0, `"12" "34"`},
		{"nested captures", "(a(b)c)", "abc", 0, `"abc" "b"`},
		{"position captures", "()ll()", "hello", 0, `3 5`},
		{"empty capture", "(a*)", "bbb", 0, `""`},
		{"back-reference", `(["'])(.-)%1`, `say "hi" 'x'`, 0, `"\x22" "hi"`},
		{"back-reference to position never matches", "()%1", "aa", 0, "nil"},
		{"balance", "%b()", "x(a(b)c)d", 0, `"(a(b)c)"`},
		{"balance unclosed", "%b()", "x(a(bc", 0, "nil"},
		{"balance same delimiters", "%bxx", "axbxc", 0, `"xbx"`},
		{"frontier", "%f[%a]%a+", "THE (quick) fox", 3, `"quick"`},
		{"frontier at end", "%f[%z]", "ab", 0, `""`},
		{"NUL ends the pattern", "a\x00b", "xa\x00b", 0, `"a"`},
		{"32 captures", strings.Repeat("(a)", 32), strings.Repeat("a", 32), 0, strings.TrimSpace(strings.Repeat(`"a" `, 32))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(t, tt.pat, tt.s, tt.init); got != tt.want {
				t.Errorf("match(%q, %q, %d) = %s, want %s", tt.s, tt.pat, tt.init+1, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		pat  string
		want error
		off  int
	}{
		{"%", ErrEndsWithPercent, 0},
		{"ab%", ErrEndsWithPercent, 2},
		{"[a", ErrMissingBracket, 0},
		{"x[]", ErrMissingBracket, 1},
		{"[%]", ErrMissingBracket, 0},
		{"%f[a", ErrMissingBracket, 2},
		{"%1", ErrInvalidCaptureIndex, 0},
		{"%0", ErrInvalidCaptureIndex, 0},
		{"(a%1)", ErrInvalidCaptureIndex, 2},
		{"(a)%2", ErrInvalidCaptureIndex, 3},
		{"(a))", ErrInvalidPatternCapture, 3},
		{"a)(", ErrInvalidPatternCapture, 1},
		{"(", ErrUnfinishedCapture, 1},
		{"((a)", ErrUnfinishedCapture, 4},
		{"%f", ErrMissingFrontierBracket, 0},
		{"%fa", ErrMissingFrontierBracket, 0},
		{strings.Repeat("()", 33), ErrTooManyCaptures, 64},
		{"%b", ErrUnbalancedPattern, 0},
		{"%b(", ErrUnbalancedPattern, 0},
		{"[\x00]", ErrMissingBracket, 0},
	}
	for _, tt := range tests {
		t.Run(tt.pat, func(t *testing.T) {
			_, err := Compile(tt.pat)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Compile(%q) = %v, want %v", tt.pat, err, tt.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset != tt.off || se.Pattern != tt.pat {
				t.Errorf("Compile(%q) = %#v, want offset %d", tt.pat, err, tt.off)
			}
			if got, want := LuaMessage(err), strings.TrimPrefix(tt.want.Error(), "luapattern: "); got != want {
				t.Errorf("LuaMessage = %q, want %q", got, want)
			}
		})
	}
}

func TestFindPlainWhenNoSpecials(t *testing.T) {
	// "a)" is not a valid pattern, but string.find searches for it as text.
	p, err := Compile("a)")
	if err != nil {
		t.Fatal(err)
	}
	var m Match
	if ok, err := p.Find("xa)", 0, &m, nil); !ok || err != nil || m.Start != 1 || m.End != 3 {
		t.Errorf("Find = %v %v %d %d, want a match at [1,3)", ok, err, m.Start, m.End)
	}
	if _, err := p.Match("xa)", 0, &m, nil); !errors.Is(err, ErrInvalidPatternCapture) {
		t.Errorf("Match = %v, want ErrInvalidPatternCapture", err)
	}
	// string.find looks for specials only up to a NUL, then searches for
	// the whole pattern.
	p = MustCompile("a\x00.")
	if ok, _ := p.Find("xa\x00b", 0, &m, nil); ok {
		t.Error(`Find("a\x00.") matched "a\x00b"; Lua 5.1 searches for the text`)
	}
	if ok, _ := p.Find("xa\x00.", 0, &m, nil); !ok || m.Start != 1 {
		t.Error(`Find("a\x00.") missed the text "a\x00."`)
	}
}

func TestStartOffset(t *testing.T) {
	tests := []struct{ init, n, want int }{
		{1, 5, 0}, {3, 5, 2}, {5, 5, 4}, {6, 5, 5}, {10, 5, 5},
		{0, 5, 0}, {-1, 5, 4}, {-5, 5, 0}, {-6, 5, 0}, {-100, 5, 0}, {1, 0, 0},
	}
	for _, tt := range tests {
		if got := StartOffset(tt.init, tt.n); got != tt.want {
			t.Errorf("StartOffset(%d, %d) = %d, want %d", tt.init, tt.n, got, tt.want)
		}
	}
}

func TestGsub(t *testing.T) {
	tests := []struct {
		name, pat, s, repl string
		max                int
		want               string
		n                  int
	}{
		{"all", "o", "hello world", "0", 100, "hell0 w0rld", 2},
		{"limit", "o", "hello world", "0", 1, "hell0 world", 1},
		{"zero limit", "o", "hello world", "0", 0, "hello world", 0},
		{"negative limit", "o", "hello world", "0", -1, "hello world", 0},
		{"captures swapped", "(%w+) (%w+)", "hello world", "%2 %1", 100, "world hello", 1},
		{"whole match", "%w+", "hi yo", "<%0>", 100, "<hi> <yo>", 2},
		{"%1 without captures is the match", "%w+", "hi", "[%1]", 100, "[hi]", 1},
		{"position capture", "()o", "foo", "%1", 100, "f23", 2},
		{"percent escapes", "b", "abc", "%%%a", 100, "a%ac", 1},
		{"final percent is NUL", "b", "abc", "%", 100, "a\x00c", 1},
		{"empty matches", "", "abc", "-", 100, "-a-b-c-", 4},
		{"empty after non-empty", "%w*", "abc", "-", 100, "--", 2},
		{"anchored once", "^a", "aaa", "b", 100, "baa", 1},
		{"end anchor", "$", "abc", "!", 100, "abc!", 1},
		{"no match", "x", "abc", "y", 100, "abc", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := MustCompile(tt.pat).GsubString(tt.s, tt.repl, tt.max, nil)
			if err != nil || got != tt.want || n != tt.n {
				t.Errorf("gsub(%q, %q, %q, %d) = %q, %d, %v; want %q, %d", tt.s, tt.pat, tt.repl, tt.max, got, n, err, tt.want, tt.n)
			}
		})
	}
	if _, _, err := MustCompile("(b)").GsubString("abc", "%2", 10, nil); !errors.Is(err, ErrInvalidCaptureIndex) {
		t.Errorf("gsub with %%2 of one capture = %v, want ErrInvalidCaptureIndex", err)
	}
}

func TestGsubFunc(t *testing.T) {
	p := MustCompile("%$(%w+)")
	vars := map[string]string{"name": "Lua", "v": "5.1"}
	var m Match
	out, n, err := p.Gsub(nil, "$name $v $none", 100, &m, nil, func(dst []byte, m *Match) ([]byte, error) {
		s := "$name $v $none"
		if v, ok := vars[m.Capture(0).Text(s)]; ok {
			return append(dst, v...), nil
		}
		return append(dst, s[m.Start:m.End]...), nil // nil: keep the match
	})
	if err != nil || string(out) != "Lua 5.1 $none" || n != 3 {
		t.Errorf("Gsub = %q, %d, %v", out, n, err)
	}
	boom := errors.New("boom")
	_, _, err = p.Gsub(nil, "$x", 100, &m, nil, func(dst []byte, m *Match) ([]byte, error) { return dst, boom })
	if !errors.Is(err, boom) {
		t.Errorf("Gsub callback error = %v, want boom", err)
	}
}

func TestGmatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   []string
	}{
		{"%a+", "one two three", []string{`"one"`, `"two"`, `"three"`}},
		{"(%w+)=(%w+)", "a=1, b=2", []string{`"a" "1"`, `"b" "2"`}},
		{"%a*", "abc", []string{`"abc"`, `""`}},
		{"", "ab", []string{`""`, `""`, `""`}},
		{"^a", "^a^a", []string{`"^a"`, `"^a"`}}, // '^' is literal in 5.1's gmatch
		{"()", "ab", []string{"1", "2", "3"}},
		{"x", "abc", nil},
	}
	for _, tt := range tests {
		it := MustCompile(tt.pat).Gmatch(tt.s)
		var got []string
		for it.Next(nil) {
			got = append(got, joinValues(tt.s, it.Match().Values()))
		}
		if it.Err() != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("gmatch(%q, %q) = %v, %v; want %v", tt.s, tt.pat, got, it.Err(), tt.want)
		}
		if it.Next(nil) {
			t.Errorf("gmatch(%q, %q): Next after the end returned true", tt.s, tt.pat)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	p := MustCompile("^(%w+)%s*=%s*(%w+)$")
	manyItems := MustCompile(strings.Repeat("a?", stackLocal+8) + "(b)")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var m Match
			for range 200 {
				ok, err := p.Match("key = value", 0, &m, nil)
				if !ok || err != nil || m.Capture(1).Text("key = value") != "value" {
					t.Errorf("goroutine %d: %v %v", i, ok, err)
					return
				}
				ok, err = manyItems.Match("aaab", 0, &m, nil)
				if !ok || err != nil || m.Capture(0).Text("aaab") != "b" {
					t.Errorf("goroutine %d: many items: %v %v", i, ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
