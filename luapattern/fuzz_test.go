package luapattern

import (
	"errors"
	"testing"
)

// fuzzSteps bounds each call in the fuzz targets, so a catastrophic
// pattern costs milliseconds rather than DefaultSteps.
const fuzzSteps = 200000

var budgetErr = "err " + quote(LuaMessage(ErrStepBudget))

func addSeeds(f *testing.F, add func(c tcase)) {
	for _, c := range handCases() {
		add(c)
	}
	for _, c := range genCases(60) {
		add(c)
	}
}

// FuzzCompile feeds arbitrary patterns to Compile: it must not panic, must
// report faults as a *SyntaxError wrapping a sentinel, and must accept a
// pattern exactly when the reference matcher, running it over a few
// subjects, raises no fault (or reaches none).
func FuzzCompile(f *testing.F) {
	addSeeds(f, func(c tcase) { f.Add(c.pat) })
	subjects := []string{"", "a", "ab(c)d 12 X\x00", "^$%[]()"}
	f.Fuzz(func(t *testing.T, pat string) {
		p, err := Compile(pat)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(pat) || se.Pattern != pat {
				t.Fatalf("Compile(%q) = %#v, want a *SyntaxError within the pattern", pat, err)
			}
			if LuaMessage(err) == se.Err.Error() {
				t.Fatalf("Compile(%q): sentinel %v lacks the package prefix", pat, se.Err)
			}
		} else if p.String() != pat {
			t.Fatalf("String() = %q, want %q", p.String(), pat)
		}
		if len(pat) > 40 {
			return // the reference is exponential
		}
		for _, s := range subjects {
			for _, fn := range []string{"match", "find"} {
				checkAgainstRef(t, tcase{fn: fn, pat: pat, s: s, max: noMax})
			}
		}
	})
}

// FuzzMatch runs string.find, match, gsub and gmatch on arbitrary patterns
// and subjects. It checks the results against the reference matcher
// (ref_test.go, itself checked against Lua 5.1) and the invariants of a
// match: 0 <= init <= start <= end <= len(s), captures inside the subject,
// an anchored match at init, gmatch moving forward.
func FuzzMatch(f *testing.F) {
	addSeeds(f, func(c tcase) { f.Add(c.pat, c.s, c.init, c.repl) })
	f.Fuzz(func(t *testing.T, pat, s string, init int, repl string) {
		if len(pat) > 40 || len(s) > 64 || len(repl) > 16 {
			return // the reference is exponential
		}
		init %= len(s) + 3
		for _, fn := range []string{"find", "match", "gsub"} {
			checkAgainstRef(t, tcase{fn: fn, pat: pat, s: s, init: init, repl: repl, max: noMax})
		}
		p, err := Compile(pat)
		if err != nil {
			return
		}
		var m Match
		off := StartOffset(init, len(s))
		b := &Budget{Steps: fuzzSteps}
		ok, err := p.Match(s, off, &m, b)
		if err == nil && ok {
			checkMatch(t, p, s, off, &m)
			if p.main.anchored && m.Start != off {
				t.Fatalf("anchored %q matched %q at %d, not at init %d", pat, s, m.Start, off)
			}
		}
		it := p.Gmatch(s)
		last := 0
		for n := 0; n <= len(s)+1 && it.Next(&Budget{Steps: fuzzSteps}); n++ {
			m := it.Match()
			checkMatch(t, p, s, last, m)
			if it.Pos() <= last && last <= len(s) {
				t.Fatalf("gmatch %q on %q did not move on from %d", pat, s, last)
			}
			last = it.Pos()
		}
	})
}

// checkAgainstRef compares this package with the reference on c, unless
// either ran out of steps.
func checkAgainstRef(t *testing.T, c tcase) {
	t.Helper()
	got := oursWithin(c, fuzzSteps)
	if got == budgetErr {
		return
	}
	want, ok := refCall(c)
	if !ok {
		return
	}
	if !agrees(c, got, want) {
		t.Fatalf("%s: got %s, reference (Lua 5.1) gives %s", c.key(), got, want)
	}
}

// checkMatch checks the invariants of a match found at or after from.
func checkMatch(t *testing.T, p *Pattern, s string, from int, m *Match) {
	t.Helper()
	if m.Start < from || m.Start > m.End || m.End > len(s) {
		t.Fatalf("%q on %q from %d: match [%d,%d)", p, s, from, m.Start, m.End)
	}
	if m.NumCaptures() != p.NumCaptures() {
		t.Fatalf("%q: %d captures, pattern has %d", p, m.NumCaptures(), p.NumCaptures())
	}
	for i, c := range m.Captures() {
		if c.Start < 0 || c.Start > c.End || c.End > len(s) || (c.Position && c.Start != c.End) {
			t.Fatalf("%q on %q: capture %d is %+v", p, s, i, c)
		}
	}
	if vals := m.Values(); len(vals) == 0 || (m.NumCaptures() == 0 && vals[0].Text(s) != s[m.Start:m.End]) {
		t.Fatalf("%q on %q: values %+v", p, s, vals)
	}
}
