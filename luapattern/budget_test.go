package luapattern

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCatastrophicPatternsHitBudget(t *testing.T) {
	mb := strings.Repeat("a", 1<<20)
	tests := []struct {
		name, pat, s string
	}{
		{"nested lazy", strings.Repeat("a-", 12) + "b", strings.Repeat("a", 30)},
		{"nested greedy", strings.Repeat("a*", 12) + "b", strings.Repeat("a", 30)},
		{"lazy any on 1 MB", ".-x", mb},
		{"greedy any on 1 MB", ".*x", mb},
		{"back-reference on 1 MB", "(a*)%1x", mb},
		{"balance on 1 MB", "%bab", strings.Repeat("a", 1<<16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MustCompile(tt.pat)
			var m Match
			start := time.Now()
			ok, err := p.Find(tt.s, 0, &m, nil)
			if !errors.Is(err, ErrStepBudget) || ok {
				t.Fatalf("Find = %v, %v; want ErrStepBudget", ok, err)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v to run out of %d steps", d, DefaultSteps)
			}
			// A small budget ends it sooner and is left at zero.
			b := Budget{Steps: 1000}
			if _, err := p.Find(tt.s, 0, &m, &b); !errors.Is(err, ErrStepBudget) || b.Steps != 0 {
				t.Errorf("Find with 1000 steps = %v, %d steps left", err, b.Steps)
			}
		})
	}
}

func TestBudgetSharedAcrossCalls(t *testing.T) {
	p := MustCompile("(%d+)")
	b := Budget{Steps: 100}
	var m Match
	ok, err := p.Match("abc123", 0, &m, &b)
	if !ok || err != nil {
		t.Fatalf("Match = %v, %v", ok, err)
	}
	if b.Steps <= 0 || b.Steps >= 100 {
		t.Fatalf("Steps = %d after one call, want some spent", b.Steps)
	}
	spent := 100 - b.Steps
	for b.Steps >= spent {
		if _, err := p.Match("abc123", 0, &m, &b); err != nil {
			t.Fatalf("Match with %d steps left: %v", b.Steps, err)
		}
	}
	if _, err := p.Match("abc123", 0, &m, &b); !errors.Is(err, ErrStepBudget) {
		t.Fatalf("Match with %d steps left = %v, want ErrStepBudget", b.Steps, err)
	}
	// gsub charges the whole loop to one budget.
	b = Budget{Steps: 50}
	if _, _, err := MustCompile("%d").GsubString(strings.Repeat("1", 100), "x", 1000, &b); !errors.Is(err, ErrStepBudget) {
		t.Errorf("gsub over 100 matches with 50 steps = %v, want ErrStepBudget", err)
	}
	// An iterator's calls each draw on the budget they are given.
	b = Budget{Steps: 30}
	it := MustCompile("%d").Gmatch(strings.Repeat("1", 100))
	n := 0
	for it.Next(&b) {
		n++
	}
	if !errors.Is(it.Err(), ErrStepBudget) || n == 0 || n >= 100 {
		t.Errorf("gmatch with 30 steps: %d matches, %v", n, it.Err())
	}
}

func TestLongSubjectsDoNotRecurse(t *testing.T) {
	mb := strings.Repeat("ab ", 1<<20/3) + "needle"
	var m Match
	for _, pat := range []string{"n(e+)dle", "(%a+)$", "%f[%a]needle", "e-dle$"} {
		ok, err := MustCompile(pat).Find(mb, 0, &m, &Budget{Steps: 1 << 30})
		if !ok || err != nil || mb[m.Start:m.End] == "" {
			t.Errorf("Find(%q) on 1 MB = %v, %v", pat, ok, err)
		}
	}
	// Every quantifier of a long pattern is a live choice point at once.
	long := strings.Repeat("a?", 5000) + "$"
	ok, err := MustCompile(long).Match(strings.Repeat("a", 5000), 0, &m, nil)
	if !ok || err != nil || m.End != 5000 {
		t.Errorf("long optional pattern = %v, %v, end %d", ok, err, m.End)
	}
}

func TestNoAllocation(t *testing.T) {
	subject := strings.Repeat("lorem ipsum dolor sit amet ", 40)
	tests := []struct {
		name, pat, s string
	}{
		{"miss", "(%d+)-(%d+)", subject},
		{"hit with captures", "^(%d+)-(%d+)", "12-34"},
		{"plain", "dolor", subject},
		{"prefix", "dolor (%a+)", subject},
		{"frontier and balance", "%f[%a]%b()", "x (a) y"},
	}
	for _, tt := range tests {
		p := MustCompile(tt.pat)
		var m Match
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := p.Match(tt.s, 0, &m, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := p.MatchString(tt.s, nil); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, allocs)
		}
	}
	p := MustCompile("x")
	if allocs := testing.AllocsPerRun(100, func() { _, _, _ = p.GsubString(subject, "y", 1000, nil) }); allocs != 0 {
		t.Errorf("gsub without a match: %v allocations per run, want 0", allocs)
	}
}
