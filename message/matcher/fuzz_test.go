package matcher

import (
	"errors"
	"strings"
	"testing"

	"github.com/sightline/sightline/message"
)

// fuzzSeeds are expressions covering every production of the grammar, and
// some near misses.
var fuzzSeeds = []string{
	`TRUE`,
	`FALSE || TRUE && FALSE`,
	`(Severity == 7 || Payload == "Test Payload") && Type == "test"`,
	`Type != 'x' && Logger >= "a" || Hostname < "z" && EnvVersion <= "2" || Payload > ""`,
	`Type == NIL || Logger != NIL`,
	`Uuid == "0c1e9271-6b7c-451e-aa05-63cdaf14cf10"`,
	`Uuid =~ "^0c1e"`,
	`Severity >= -1.5e+3 && Pid == NIL`,
	`Pid != 4242`,
	`Timestamp >= "2016-05-24T00:00:00Z"`,
	`Timestamp < '2014-02-10T08:46:41.123-08:00'`,
	`Timestamp > "2014-02-10T08:46:41+0800"`,
	`Timestamp >= 1464048000000000000`,
	`Fields[foo][1][0] == "alternate"`,
	`Fields[created] =~ "^2015"`,
	`Fields[string] =~ "foo.example.com"%`,
	`Fields[widget] != NIL`,
	`Fields[bool] == TRUE && Fields[one] != FALSE`,
	`Fields[int][0][1] == 1024`,
	`Fields[a[b] == 'it\'s \\ "q"'`,
	`Payload =~ "(%d+)%s+%bxy%f[%a]"`,
	`Payload !~ "a-a-a-a-a-a-b"`,
	"Type\n==\t'x'\r\n&&\n(Severity==6)",
	`'x' == Type`,
	`Type == 'abc`,
	`Fields[x][256] == 1`,
	`Timestamp == '2015-04-11'`,
	`(TRUE`,
	`TRUE)`,
	`Payload =~ "[a"`,
	`Severity == 01`,
	"Type == 'a\x00'",
}

// FuzzCompile checks that Compile never panics, that its errors carry an
// offset inside the expression, that a compiled matcher evaluates on a
// full and a minimal message without panicking, and that the canonical
// form compiles to a matcher with the same canonical form and the same
// results.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	full, minimal := view(f, fullMessage(f)), view(f, minimalMessage(f))
	opts := Options{Steps: 20000}
	f.Fuzz(func(t *testing.T, expr string) {
		m, err := CompileOptions(expr, opts)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q): %T %v, want *SyntaxError", expr, err, err)
			}
			if se.Offset < 0 || se.Offset > len(expr) || se.Expr != expr {
				t.Fatalf("Compile(%q): offset %d out of range", expr, se.Offset)
			}
			return
		}
		if strings.IndexByte(expr, 0) >= 0 {
			t.Fatalf("Compile(%q) accepted a NUL byte", expr)
		}
		canon := m.String()
		c, err := CompileOptions(canon, opts)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not compile: %v", canon, expr, err)
		}
		if c.String() != canon {
			t.Fatalf("canonical form of %q is not stable: %q then %q", expr, canon, c.String())
		}
		for name, v := range map[string]*message.View{"full": full, "minimal": minimal} {
			ok, err := m.MatchErr(v)
			cok, cerr := c.MatchErr(v)
			if ok != cok || (err == nil) != (cerr == nil) {
				t.Fatalf("%q on the %s message = %v, %v; canonical %q = %v, %v", expr, name, ok, err, canon, cok, cerr)
			}
		}
	})
}
