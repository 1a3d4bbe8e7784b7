package matcher

import (
	"testing"
)

// TestMatchAllocatesNothing checks that evaluation allocates nothing, for
// every kind of test, hit or miss.
func TestMatchAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	full, minimal := view(t, fullMessage(t)), view(t, minimalMessage(t))
	exprs := []string{
		// Headers.
		`Type == "nginx.access"`,
		`Type != "x" && Logger >= "a" && Hostname < "z" && EnvVersion <= "2" && Payload > ""`,
		`Type == NIL || Pid == NIL`,
		`Severity == 6 && Pid > 4000`,
		`Timestamp >= "2014-02-10T08:46:41-08:00" && Timestamp < 1.5e18`,
		`Uuid == "0c1e9271-6b7c-451e-aa05-63cdaf14cf10"`,
		`Uuid =~ "^0c1e%x+"`,
		// Fields of each type.
		`Fields[foo][1][1] == "second"`,
		`Fields[bytes] >= "data"`,
		`Fields[int][0][1] == 1024 && Fields[double] < 100`,
		`Fields[bool] == TRUE && Fields[one] != FALSE`,
		`Fields[missing] == NIL && Fields[widget] != NIL`,
		// Patterns, plain and Lua.
		`Payload =~ "error%d+"`,
		`Payload =~ "error42"`,
		`Fields[host] =~ "foo.example.com"%`,
		`Payload !~ "^POST" && Fields[foo] =~ "^b.r$"`,
	}
	for _, expr := range exprs {
		m := mustCompile(t, expr)
		if n := testing.AllocsPerRun(100, func() { m.Match(full) }); n != 0 {
			t.Errorf("%s on the full message: %v allocations", expr, n)
		}
		if n := testing.AllocsPerRun(100, func() { m.Match(minimal) }); n != 0 {
			t.Errorf("%s on the minimal message: %v allocations", expr, n)
		}
	}
}
