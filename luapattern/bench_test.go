package luapattern

import (
	"strings"
	"testing"
)

var benchText = strings.Repeat("lorem ipsum dolor sit amet, consectetur ", 26)[:1024]

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`^(%d+)-(%d+)%s+([%a_][%w_]*)%b()$`); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindPlain(b *testing.B) {
	p := MustCompile("consectetur")
	var m Match
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := p.Find(benchText, 0, &m, nil); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchCaptures(b *testing.B) {
	p := MustCompile("^(%d+)-(%d+)")
	var m Match
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := p.Match("2024-0611 rest of line", 0, &m, nil); !ok {
			b.Fatal("no match")
		}
	}
}

// BenchmarkMiss1K searches 1 KB for patterns that are not there.
func BenchmarkMiss1K(b *testing.B) {
	for _, pat := range []string{"(%d+)-(%d+)", "%a+%d", "[xyz]+q", "dolor%s+x", ".-q"} {
		b.Run(pat, func(b *testing.B) {
			p := MustCompile(pat)
			b.ReportAllocs()
			b.SetBytes(int64(len(benchText)))
			for b.Loop() {
				ok, err := p.MatchString(benchText, nil)
				if ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

func BenchmarkGsub(b *testing.B) {
	p := MustCompile("(%w+)")
	b.ReportAllocs()
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		if _, _, err := p.GsubString(benchText, "<%1>", len(benchText)+1, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGmatch(b *testing.B) {
	p := MustCompile("%a+")
	b.ReportAllocs()
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		it := p.Gmatch(benchText)
		for it.Next(nil) {
		}
	}
}
