package matcher

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sightline/sightline/message"
)

// TestSpecExamples runs every example of spec §5 on a message they all
// match.
func TestSpecExamples(t *testing.T) {
	m := fullMessage(t)
	m.SetType("test")
	m.SetSeverity(6)
	m.SetPayload("Test Payload")
	m.Timestamp = 1464048000000000000 // 2016-05-24T00:00:00Z
	m.Fields = []message.Field{
		{Name: "foo", Strings: []string{"bar"}},
		{Name: "foo", Strings: []string{"alternate"}},
		{Name: "created", Strings: []string{"2015-06-01T00:00:00Z"}},
		{Name: "string", Strings: []string{"foo.example.com"}},
		{Name: "widget", Type: message.ValueDouble, Doubles: []float64{1}},
	}
	v := view(t, m)
	for _, expr := range []string{
		`TRUE`,
		`Type == "test" && Severity == 6`,
		`(Severity == 7 || Payload == "Test Payload") && Type == "test"`,
		`Fields[foo][1][0] == "alternate"`,
		`Fields[created] =~ "^2015"`,
		`Fields[string] =~ "foo.example.com"%`,
		`Fields[widget] != NIL`,
		`Timestamp >= "2016-05-24T00:00:00Z"`,
		`Timestamp >= 1464048000000000000`,
	} {
		if !mustCompile(t, expr).Match(v) {
			t.Errorf("%s: no match", expr)
		}
	}
}

// TestMatch evaluates each expression on a message with every header and
// many fields (full) and on one with only Uuid and Timestamp (minimal).
func TestMatch(t *testing.T) {
	full, minimal := view(t, fullMessage(t)), view(t, minimalMessage(t))
	tests := []struct {
		expr          string
		full, minimal bool
	}{
		{`TRUE`, true, true},
		{`FALSE`, false, false},

		// String headers; an absent one sorts below every string.
		{`Type == "nginx.access"`, true, false},
		{`Type == 'nginx.access'`, true, false},
		{`Type != "nginx.access"`, false, true},
		{`Type != "other"`, true, true},
		{`Type < "nginx.b"`, true, true},
		{`Type < "nginx.access"`, false, true},
		{`Type < "nginx.accessa"`, true, true},
		{`Type <= "nginx.access"`, true, true},
		{`Type <= "nginx.accesr"`, false, true},
		{`Type > "nginx"`, true, false},
		{`Type > "nginx.acces"`, true, false},
		{`Type > "nginx.access"`, false, false},
		{`Type >= "nginx.access"`, true, false},
		{`Type >= "nginx.accesz"`, false, false},
		{`Type >= ""`, true, false},
		{`Type == ""`, false, false},
		{`Type == NIL`, false, true},
		{`Type != NIL`, true, false},
		{`Type =~ "access"`, true, false},
		{`Type =~ "^nginx%."`, true, false},
		{`Type =~ "^access"`, false, false},
		{`Type =~ "access$"`, true, false},
		{`Type =~ "nginx.access"`, true, false},
		{`Type =~ "nginxXaccess"`, false, false},
		{`Type =~ "nginx.acce"%`, true, false},
		{`Type =~ "x.a"%`, true, false},
		{`Type =~ "x%.a"`, true, false},
		{`Type =~ ""`, true, false},
		{`Type =~ "."`, true, false},
		{`Type !~ "access"`, false, true},
		{`Type !~ "zzz"`, true, true},
		{`Type !~ "^$"`, true, true},
		{`Logger == "input.nginx"`, true, false},
		{`Logger == NIL`, false, true},
		{`Logger =~ "^input%."`, true, false},
		{`Logger !~ "^input"`, false, true},
		{`Hostname == "web-1.example.com"`, true, false},
		{`Hostname != NIL`, true, false},
		// '-' makes it a pattern ("b-" is a lazy repetition): the classic
		// trap the % modifier avoids.
		{`Hostname =~ "web-1"`, false, false},
		{`Hostname =~ "web-1"%`, true, false},
		{`Hostname =~ "web%-1"`, true, false},
		{`EnvVersion == "1.2"`, true, false},
		{`EnvVersion >= "1.10"`, true, false},
		{`EnvVersion < "1.10"`, false, true},
		{`Payload =~ "error%d+"`, true, false},
		{`Payload =~ "^GET /%S+ 2%d%d "`, true, false},
		{`Payload =~ "error%d+x"`, false, false},
		{`Payload !~ "error%d+"`, false, true},
		{`Payload =~ "(%d+) (error)"`, true, false},
		{`Payload =~ "%f[%w]done$"`, true, false},
		{`Payload =~ "index.html"`, true, false},
		{`Payload == NIL`, false, true},

		// Uuid compares its canonical text form.
		{`Uuid == "0c1e9271-6b7c-451e-aa05-63cdaf14cf10"`, true, true},
		{`Uuid == "0C1E9271-6B7C-451E-AA05-63CDAF14CF10"`, true, true},
		{`Uuid != "0c1e9271-6b7c-451e-aa05-63cdaf14cf11"`, true, true},
		{`Uuid < "0c1e9271-6b7c-451e-aa05-63cdaf14cf11"`, true, true},
		{`Uuid <= "0c1e9271-6b7c-451e-aa05-63cdaf14cf10"`, true, true},
		{`Uuid > "0c1e9271-6b7c-451e-aa05-63cdaf14cf0f"`, true, true},
		{`Uuid >= "0c1e9271-6b7c-451e-aa05-63cdaf14cf11"`, false, false},
		{`Uuid == "0c1e9271"`, false, false},
		{`Uuid != "00000000-0000-0000-0000-0000000000-0"`, true, true},
		{`Uuid == "0c1e9271-6b7c-451e-aa05-63cdaf14cf1g"`, false, false},
		{`Uuid =~ "^0c1e"`, true, true},
		{`Uuid =~ "cf10$"`, true, true},
		{`Uuid =~ "^%x+%-%x+"`, true, true},
		{`Uuid !~ "^0c1e"`, false, false},
		{`Uuid =~ "6b7c-451e"%`, true, true},

		// Severity: 6, or 7 when absent.
		{`Severity == 6`, true, false},
		{`Severity == 7`, false, true},
		{`Severity != 6`, false, true},
		{`Severity < 7`, true, false},
		{`Severity <= 6`, true, false},
		{`Severity > 5`, true, true},
		{`Severity >= 7`, false, true},
		{`Severity == 6.0`, true, false},
		{`Severity == 6e0`, true, false},
		{`Severity == 60e-1`, true, false},
		{`Severity == +6`, true, false},
		{`Severity > -1`, true, true},

		// Pid: absent sorts below every number.
		{`Pid == 4242`, true, false},
		{`Pid != 4242`, false, true},
		{`Pid == NIL`, false, true},
		{`Pid != NIL`, true, false},
		{`Pid > 0`, true, false},
		{`Pid >= 0`, true, false},
		{`Pid == 0`, false, false},
		{`Pid < 5000`, true, true},
		{`Pid <= 4242`, true, true},

		// Timestamp, compared exactly (not as a double).
		{`Timestamp == 1392050801000000000`, true, true},
		{`Timestamp == 1.392050801e18`, true, true},
		{`Timestamp == 1392050801000000001`, false, false},
		{`Timestamp < 1392050801000000001`, true, true},
		{`Timestamp > 1392050800999999999`, true, true},
		{`Timestamp >= 1392050801000000000.5`, false, false},
		{`Timestamp <= 1392050801000000000.5`, true, true},
		{`Timestamp < 1392050801000000000.5`, true, true},
		{`Timestamp > 1392050800999999999.5`, true, true},
		{`Timestamp != 1392050801000000000.5`, true, true},
		{`Timestamp == "2014-02-10T16:46:41Z"`, true, true},
		{`Timestamp == '2014-02-10T16:46:41.000Z'`, true, true},
		{`Timestamp == "2014-02-10T08:46:41-08:00"`, true, true},
		{`Timestamp == "2014-02-10T08:46:41-0800"`, true, true},
		{`Timestamp == "2014-02-11T00:46:41+08:00"`, true, true},
		{`Timestamp == "2014-02-10T08:46:41+08:00"`, false, false},
		{`Timestamp >= "2014-02-10T16:46:41.000000001Z"`, false, false},
		{`Timestamp > "2014-02-10T16:46:40.999999999Z"`, true, true},
		{`Timestamp > 0`, true, true},
		{`Timestamp < 1e300`, true, true},
		{`Timestamp > -1e300`, true, true},
		{`Timestamp > "1000-01-01T00:00:00Z"`, true, true},
		{`Timestamp < "9999-12-31T23:59:59Z"`, true, true},

		// Fields: STRING and BYTES compare with strings.
		{`Fields[foo] == "bar"`, true, false},
		{`Fields[foo][0] == "bar"`, true, false},
		{`Fields[foo][0][0] == "bar"`, true, false},
		{`Fields[foo][1] == "alternate"`, true, false},
		{`Fields[foo][1][0] == "alternate"`, true, false},
		{`Fields[foo][1][1] == "second"`, true, false},
		{`Fields[foo][0][1] == "bar"`, false, false},
		{`Fields[foo][1][1] != NIL`, true, false},
		{`Fields[foo][1][2] == NIL`, true, true},
		{`Fields[foo][2] == NIL`, true, true},
		{`Fields[foo] != "bar"`, false, false},
		{`Fields[foo] != "baz"`, true, false},
		{`Fields[foo] < "barx"`, true, false},
		{`Fields[foo] <= "bar"`, true, false},
		{`Fields[foo] <= "ba"`, false, false},
		{`Fields[foo] > "baq"`, true, false},
		{`Fields[foo] >= "bar"`, true, false},
		{`Fields[foo] =~ "^b"`, true, false},
		{`Fields[foo] !~ "^b"`, false, false},
		{`Fields[foo] !~ "^x"`, true, false},
		{`Fields[foo] == 1`, false, false},
		{`Fields[foo] == TRUE`, false, false},
		{`Fields[bytes] == "data"`, true, false},
		{`Fields[bytes] =~ "^da"`, true, false},
		{`Fields[empty] == ""`, true, false},
		{`Fields[empty] != NIL`, true, false},
		{`Fields[novalues] == NIL`, true, true},
		{`Fields[novalues] == ""`, false, false},
		{`Fields[string] == "43"`, true, false},
		{`Fields[string] == 43`, false, false},
		{`Fields[host] =~ "foo.example.com"`, true, false},
		{`Fields[hostx] =~ "foo.example.com"`, true, false},
		{`Fields[hostx] =~ "foo.example.com"%`, false, false},
		{`Fields[host] =~ "foo.example.com"%`, true, false},
		{`Fields[created] =~ "^2015"`, true, false},
		{`Fields[with space] == "x"`, true, false},
		{`Fields[a[b] == "y"`, true, false},
		{`Fields[] == "unnamed"`, true, false},
		{`Fields[quote] == "it's \"q\" \\ done"`, true, false},
		{`Fields[quote] == 'it\'s "q" \ done'`, true, false},
		{`Fields[quote] =~ "\\"`, true, false},
		{`Fields[quote] =~ '"q"'`, true, false},

		// INTEGER and DOUBLE compare with numbers, as doubles.
		{`Fields[int] == 999`, true, false},
		{`Fields[int][0][1] == 1024`, true, false},
		{`Fields[int][0][1] == 1.024e3`, true, false},
		{`Fields[int] != 998`, true, false},
		{`Fields[int] > 998.5`, true, false},
		{`Fields[int] =~ "999"`, false, false},
		{`Fields[int] == "999"`, false, false},
		{`Fields[int] != "999"`, false, false},
		{`Fields[double] == 99.9`, true, false},
		{`Fields[double][0][1] < 0`, true, false},
		{`Fields[double][0][1] == -0.5`, true, false},
		{`Fields[double] == "99.9"`, false, false},
		{`Fields[zero] == 0`, true, false},
		{`Fields[zero] == "0"`, false, false},
		{`Fields[status] == 304`, true, false},
		{`Fields[status] == "304"`, false, false},
		{`Fields[big] == 9007199254740992`, true, false},

		// BOOL compares with TRUE and FALSE, and numbers as 1 and 0.
		{`Fields[bool] == TRUE`, true, false},
		{`Fields[bool] != FALSE`, true, false},
		{`Fields[bool] == FALSE`, false, false},
		{`Fields[bool] != TRUE`, false, false},
		{`Fields[bool][0][1] == FALSE`, true, false},
		{`Fields[falsy] == FALSE`, true, false},
		{`Fields[bool] == 1`, false, false},
		{`Fields[bool] == "true"`, false, false},
		{`Fields[one] == TRUE`, true, false},
		{`Fields[zero] == FALSE`, true, false},
		{`Fields[two] == TRUE`, false, false},
		{`Fields[two] != TRUE`, true, false},
		{`Fields[two] != FALSE`, true, false},

		// Absent fields.
		{`Fields[missing] == NIL`, true, true},
		{`Fields[missing] != NIL`, false, false},
		{`Fields[missing] != "x"`, false, false},
		{`Fields[missing] !~ "x"`, false, false},
		{`Fields[missing] != 1`, false, false},
		{`Fields[missing] != TRUE`, false, false},
		{`Fields[widget] != NIL`, true, false},

		// Precedence, grouping, whitespace.
		{`FALSE && FALSE || TRUE`, true, true},
		{`TRUE || TRUE && FALSE`, true, true},
		{`(TRUE || TRUE) && FALSE`, false, false},
		{`FALSE && (FALSE || TRUE)`, false, false},
		{`FALSE || FALSE || FALSE || TRUE`, true, true},
		{`TRUE && TRUE && TRUE && FALSE`, false, false},
		{`((((TRUE))))`, true, true},
		{`(FALSE || (TRUE && (FALSE || TRUE))) && TRUE`, true, true},
		{`Type == "nginx.access" && Severity == 6 || Pid == NIL`, true, true},
		{`(Severity == 7 || Payload =~ "done$") && Type != NIL`, true, false},
		{"Type\n==\t'nginx.access'\r\n&&\nSeverity==6", true, false},
		{"  TRUE  ", true, true},
		{"Severity==6&&Pid==4242", true, false},
		{"(Severity==6)&&(Pid==4242)", true, false},
	}
	for _, tt := range tests {
		m := mustCompile(t, tt.expr)
		if got := m.Match(full); got != tt.full {
			t.Errorf("%s on the full message = %v, want %v", tt.expr, got, tt.full)
		}
		if got := m.Match(minimal); got != tt.minimal {
			t.Errorf("%s on the minimal message = %v, want %v", tt.expr, got, tt.minimal)
		}
		// The canonical form means the same.
		c := mustCompile(t, m.String())
		if c.Match(full) != tt.full || c.Match(minimal) != tt.minimal {
			t.Errorf("%s: canonical form %s evaluates differently", tt.expr, m.String())
		}
		if c.String() != m.String() {
			t.Errorf("%s: canonical form %q is not stable: %q", tt.expr, m.String(), c.String())
		}
	}
}

// TestTimestampLiterals checks the exact value of RFC 3339 literals, in
// every offset form and with both signs.
func TestTimestampLiterals(t *testing.T) {
	const base = 1392050801000000000 // 2014-02-10T16:46:41Z
	tests := []struct {
		lit  string
		want exact
	}{
		{"2014-02-10T16:46:41Z", exact{lo: base}},
		{"2014-02-10t16:46:41z", exact{lo: base}},
		{"2014-02-10T16:46:41+00:00", exact{lo: base}},
		{"2014-02-10T16:46:41-0000", exact{lo: base}},
		{"2014-02-10T08:46:41-08:00", exact{lo: base}},
		{"2014-02-10T08:46:41-0800", exact{lo: base}},
		{"2014-02-11T00:46:41+08:00", exact{lo: base}},
		{"2014-02-11T00:46:41+0800", exact{lo: base}},
		{"2014-02-10T08:46:41+08:00", exact{lo: base - 16*3600e9}},
		{"2014-02-10T22:16:41+05:30", exact{lo: base}},
		{"2014-02-10T12:16:41-0430", exact{lo: base}},
		{"2014-02-10T16:46:41.5Z", exact{lo: base + 5e8}},
		{"2014-02-10T16:46:41.123456789Z", exact{lo: base + 123456789}},
		{"2014-02-10T16:46:41.1234567890Z", exact{lo: base + 123456789}},
		{"2014-02-10T16:46:41.1234567891Z", exact{lo: base + 123456789, frac: true}},
		{"2014-02-10T08:46:41.25-08:00", exact{lo: base + 25e7}},
		{"1970-01-01T00:00:00Z", exact{}},
		{"1969-12-31T23:59:59.999999999Z", exact{lo: -1}},
		{"1969-12-31T23:59:59.9999999999Z", exact{lo: -1, frac: true}},
		{"2016-12-31T23:59:60Z", exact{lo: 1483228800e9}}, // leap second
		{"2016-02-29T00:00:00Z", exact{lo: 1456704000e9}},
		{"2262-04-11T23:47:16.854775807Z", exact{lo: 1<<63 - 1}},
		{"2262-04-11T23:47:16.854775808Z", exact{lo: 1<<63 - 1, frac: true}},
		{"1677-09-21T00:12:43.145224192Z", exact{lo: -1 << 63}},
		{"1677-09-21T00:12:43.145224191Z", exact{below: true}},
		{"0000-01-01T00:00:00Z", exact{below: true}},
	}
	for _, tt := range tests {
		p := parser{src: `"` + tt.lit + `"`}
		got, err := p.rfc3339(tt.lit, 1)
		if err != nil || got != tt.want {
			t.Errorf("%s = %+v, %v; want %+v", tt.lit, got, err, tt.want)
		}
	}
}

func TestExactNumber(t *testing.T) {
	const max, min = 1<<63 - 1, -1 << 63
	tests := []struct {
		text string
		want exact
	}{
		{"0", exact{}},
		{"-0", exact{}},
		{"0.0e5", exact{}},
		{"1", exact{lo: 1}},
		{"+1", exact{lo: 1}},
		{"-1", exact{lo: -1}},
		{"1.5", exact{lo: 1, frac: true}},
		{"-1.5", exact{lo: -2, frac: true}},
		{"0.001", exact{lo: 0, frac: true}},
		{"-0.001", exact{lo: -1, frac: true}},
		{"1e3", exact{lo: 1000}},
		{"1.5e1", exact{lo: 15}},
		{"1.55e1", exact{lo: 15, frac: true}},
		{"150e-1", exact{lo: 15}},
		{"1392050801000000001", exact{lo: 1392050801000000001}},
		{"1.392050801000000001e18", exact{lo: 1392050801000000001}},
		{"9223372036854775807", exact{lo: max}},
		{"9223372036854775808", exact{lo: max, frac: true}},
		{"-9223372036854775808", exact{lo: min}},
		{"-9223372036854775808.5", exact{below: true}},
		{"-9223372036854775809", exact{below: true}},
		{"1e19", exact{lo: max, frac: true}},
		{"-1e19", exact{below: true}},
		{"1e999999999999999999999", exact{lo: max, frac: true}},
		{"1e-999999999999999999999", exact{lo: 0, frac: true}},
		{"-1e-999999999999999999999", exact{lo: -1, frac: true}},
	}
	for _, tt := range tests {
		if got := exactNumber(tt.text); got != tt.want {
			t.Errorf("exactNumber(%s) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

// TestShortCircuit shows that evaluation stops as soon as the result is
// known, with a pattern that always runs out of its budget.
func TestShortCircuit(t *testing.T) {
	msg := fullMessage(t)
	msg.SetPayload(strings.Repeat("a", 1000))
	v := view(t, msg)
	const slow = `Payload =~ "a-a-a-a-a-a-a-a-b"`
	tests := []struct {
		expr    string
		want    bool
		exceeds bool
	}{
		{"TRUE || " + slow, true, false},
		{"FALSE && " + slow, false, false},
		{"Severity == 6 || " + slow, true, false},
		{"Severity != 6 && " + slow, false, false},
		{"(TRUE || " + slow + ") && TRUE", true, false},
		{"FALSE || " + slow, false, true},
		{"TRUE && " + slow, false, true},
		{"FALSE || " + slow + " || TRUE", false, true},
		{"Payload !~ \"a-a-a-a-a-a-a-a-b\" || TRUE", false, true},
	}
	for _, tt := range tests {
		m, err := CompileOptions(tt.expr, Options{Steps: 10000})
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.MatchErr(v)
		if got != tt.want || errors.Is(err, ErrStepBudget) != tt.exceeds {
			t.Errorf("%s = %v, %v; want %v, budget exceeded %v", tt.expr, got, err, tt.want, tt.exceeds)
		}
		if got := m.Match(v); got != tt.want {
			t.Errorf("%s: Match = %v", tt.expr, got)
		}
		want := uint64(0)
		if tt.exceeds {
			want = 2
		}
		if n := m.BudgetExceeded(); n != want {
			t.Errorf("%s: BudgetExceeded = %d, want %d", tt.expr, n, want)
		}
	}
}

// TestBudgetSharedByPatterns checks that the patterns of one evaluation
// share one budget, and that each evaluation starts afresh.
func TestBudgetSharedByPatterns(t *testing.T) {
	msg := fullMessage(t)
	msg.SetPayload(strings.Repeat("x", 600))
	v := view(t, msg)
	one := `Payload =~ "^x*$"` // about 600 steps
	m1, err := CompileOptions(one, Options{Steps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	m3, err := CompileOptions(one+" && "+one+" && "+one, Options{Steps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if ok, err := m1.MatchErr(v); !ok || err != nil {
			t.Fatalf("one pattern: %v, %v", ok, err)
		}
		if ok, err := m3.MatchErr(v); ok || !errors.Is(err, ErrStepBudget) {
			t.Fatalf("three patterns: %v, %v; want ErrStepBudget", ok, err)
		}
	}
}

func TestDefaultBudget(t *testing.T) {
	msg := fullMessage(t)
	msg.SetPayload(strings.Repeat("a", 100_000))
	v := view(t, msg)
	// Linear in the payload: well within the default budget.
	for _, expr := range []string{`Payload =~ "^a*$"`, `Payload =~ "a+$"`, `Payload =~ "^%a+"`, `Payload !~ "^a*b"`} {
		if ok, err := mustCompile(t, expr).MatchErr(v); !ok || err != nil {
			t.Errorf("%s: %v, %v", expr, ok, err)
		}
	}
	// Exponential backtracking runs out.
	m := mustCompile(t, `Payload =~ "a-a-a-a-a-a-a-a-b"`)
	if ok, err := m.MatchErr(v); ok || !errors.Is(err, ErrStepBudget) {
		t.Fatalf("%v, %v; want ErrStepBudget", ok, err)
	}
}

func TestZeroView(t *testing.T) {
	var v message.View
	for _, expr := range []string{`Uuid == "x"`, `Type == NIL`, `Fields[x] == NIL`, `Timestamp == 0`, `Uuid =~ "."`} {
		mustCompile(t, expr).Match(&v) // must not panic
	}
}

func TestConcurrentUse(t *testing.T) {
	m := mustCompile(t, `Type == "nginx.access" && Payload =~ "error%d+" && Fields[int][0][1] == 1024`)
	msg := fullMessage(t)
	raw := msg.AppendTo(nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var v message.View
			if err := v.Reset(raw); err != nil {
				t.Error(err)
				return
			}
			for range 1000 {
				if !m.Match(&v) {
					t.Error("no match")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestString(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"TRUE", "TRUE"},
		{" ( ( TRUE ) ) ", "TRUE"},
		{"Type=='a'&&Severity<3", `Type == "a" && Severity < 3`},
		{"(TRUE||FALSE)&&TRUE", "(TRUE || FALSE) && TRUE"},
		{"TRUE||(FALSE&&TRUE)", "TRUE || FALSE && TRUE"},
		{"(TRUE||FALSE)||(TRUE||FALSE)", "TRUE || FALSE || TRUE || FALSE"},
		{"TRUE&&(FALSE&&TRUE)", "TRUE && FALSE && TRUE"},
		{"Fields[a][0][0]==1", "Fields[a] == 1"},
		{"Fields[a][2]==1", "Fields[a][2] == 1"},
		{"Fields[a][0][3]==1", "Fields[a][0][3] == 1"},
		{"Fields[a]!=NIL", "Fields[a] != NIL"},
		{"Fields[a]==FALSE", "Fields[a] == FALSE"},
		{`Type=~'a"b\'c\\d\e'%`, `Type =~ "a\"b'c\\d\\e"%`},
		{"Timestamp>='2014-02-10T08:46:41-08:00'", `Timestamp >= "2014-02-10T08:46:41-08:00"`},
		{"Timestamp<1.5e18", "Timestamp < 1.5e18"},
		{"Uuid=='0C1E9271-6B7C-451E-AA05-63CDAF14CF10'", `Uuid == "0c1e9271-6b7c-451e-aa05-63cdaf14cf10"`},
		{"Pid==NIL", "Pid == NIL"},
	}
	for _, tt := range tests {
		m := mustCompile(t, tt.expr)
		if got := m.String(); got != tt.want {
			t.Errorf("%s: String() = %s, want %s", tt.expr, got, tt.want)
		}
		if m.Expr() != tt.expr {
			t.Errorf("Expr() = %q, want %q", m.Expr(), tt.expr)
		}
	}
}
