package matcher

import (
	"strings"
	"testing"
)

func benchMatch(b *testing.B, expr string, want bool) {
	v := view(b, fullMessage(b))
	m := mustCompile(b, expr)
	if m.Match(v) != want {
		b.Fatalf("%s: want %v", expr, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Match(v)
	}
}

func BenchmarkMatch(b *testing.B) {
	b.Run("Type==x", func(b *testing.B) { benchMatch(b, `Type == 'x'`, false) })
	b.Run("Type==hit", func(b *testing.B) { benchMatch(b, `Type == 'nginx.access'`, true) })
	b.Run("pattern", func(b *testing.B) { benchMatch(b, `Payload =~ "error%d+"`, true) })
	b.Run("pattern-miss", func(b *testing.B) { benchMatch(b, `Payload =~ "fatal%d+"`, false) })
	b.Run("plain", func(b *testing.B) { benchMatch(b, `Payload =~ "error42"`, true) })
	b.Run("and-chain-10", func(b *testing.B) {
		benchMatch(b, `Type == "nginx.access" && Logger == "input.nginx" && Hostname != "x" && `+
			`EnvVersion >= "1.0" && Severity <= 6 && Pid != NIL && Timestamp > 0 && `+
			`Uuid != "x" && Payload != NIL && Fields[status] == 304`, true)
	})
	b.Run("field-string", func(b *testing.B) { benchMatch(b, `Fields[host] == "foo.example.com"`, true) })
	b.Run("field-number", func(b *testing.B) { benchMatch(b, `Fields[status] == 304`, true) })
	b.Run("field-last-array", func(b *testing.B) { benchMatch(b, `Fields[int][0][1] == 1024`, true) })
}

// BenchmarkBudgetExhausted measures an evaluation that uses up the whole
// default step budget, the worst case a pattern can cost per message.
func BenchmarkBudgetExhausted(b *testing.B) {
	msg := fullMessage(b)
	msg.SetPayload(strings.Repeat("a", 100))
	v := view(b, msg)
	m := mustCompile(b, `Payload =~ "a-a-a-a-a-a-a-a-b"`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.MatchErr(v); err == nil {
			b.Fatal("budget not exhausted")
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`(Severity == 7 || Payload =~ "^Test") && Type == "test" && Fields[foo][1] != NIL`); err != nil {
			b.Fatal(err)
		}
	}
}
