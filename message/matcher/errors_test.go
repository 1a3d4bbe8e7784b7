package matcher

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSyntaxErrors(t *testing.T) {
	long := strings.Repeat("x", 256)
	ops := func(n int) string { return "TRUE" + strings.Repeat(" && TRUE", n) }
	unbalanced := `Type == 'test' && (Severity==7 || Payload == 'Test Payload'`
	tests := []struct {
		name   string
		expr   string
		offset int
		msg    string // a substring of the message
	}{
		{"empty", ``, 0, "expected a test"},
		{"blank", "  \n", 3, "expected a test"},
		{"variable on the right", `'x' == Type`, 0, "variable goes on the left"},
		{"number on the left", `6 == Severity`, 0, "variable goes on the left"},
		{"variable as value", `Type == Type`, 8, "variable goes on the left"},
		{"unknown variable", `Bogus == 'x'`, 0, `unknown variable "Bogus"`},
		{"lower-case variable", `type == 'x'`, 0, `unknown variable "type"`},
		{"Uuid == NIL", `Uuid == NIL`, 8, "Uuid is always present"},
		{"Severity == NIL", `Severity == NIL`, 12, "Severity is always present"},
		{"Timestamp != NIL", `Timestamp != NIL`, 13, "Timestamp is always present"},
		{"NIL alone", `NIL`, 0, "NIL goes on the right"},
		{"NIL with >", `Type > NIL`, 7, "NIL goes only with == or !="},
		{"field NIL with >", `Fields[test] > NIL`, 15, "NIL goes only with == or !="},
		{"missing quote", `Type =~ 'test`, 8, "unterminated string"},
		{"mismatched quotes", `Type != 'test"`, 8, "unterminated string"},
		{"escaped closing quote", `Type == 'test\'`, 8, "unterminated string"},
		{"literal over 255 bytes", `Type == '` + long + `'`, 8, "longer than 255"},
		{"pattern over 255 bytes", `Fields[a] =~ "` + long + `"`, 13, "longer than 255"},
		{"128 operators", ops(128), 4 + 127*8 + 1, "more than 127"},
		{"128 operators with ||", strings.ReplaceAll(ops(128), "&&", "||"), 4 + 127*8 + 1, "more than 127"},
		{"field index 256", `Fields[x][256] == 1`, 10, "field index 256"},
		{"array index 256", `Fields[x][0][256] == 1`, 13, "array index 256"},
		{"index 1000", `Fields[x][1000] == 1`, 10, "field index 1000"},
		{"leading zero index", `Fields[x][01] == 1`, 10, "leading zeros"},
		{"empty index", `Fields[test][] == 1`, 12, "expected a field index"},
		{"letter index", `Fields[test][a] == 1`, 12, "expected a field index"},
		{"empty array index", `Fields[test][0][] == 1`, 15, "expected an array index"},
		{"three indices", `Fields[test][0][0][0] == 1`, 18, "too many indices"},
		{"unmatched index bracket", `Fields[test][xxxx`, 12, "expected a field index"},
		{"unmatched name bracket", `Fields[test == 1`, 6, "missing ']'"},
		{"Fields without name", `Fields == 1`, 6, "expected '['"},
		{"Fields without test", `Fields[]`, 8, "expected a relational operator"},
		{"NUL byte", "Type == 'a\x00'", 10, "NUL byte"},
		{"NUL byte first", "\x00", 0, "NUL byte"},
		{"trailing garbage", `TRUE FALSE`, 5, "expected '&&', '||', ')'"},
		{"trailing word", `Type == 'a' x`, 12, "expected '&&', '||', ')'"},
		{"single |", `Type == "x" | TRUE`, 12, "expected '&&', '||', ')'"},
		{"triple &", `TRUE &&& TRUE`, 7, "expected a test"},
		{"operator at the end", `Type == 'x' &&`, 14, "expected a test"},
		{"operator first", `&& TRUE`, 0, "expected a test"},
		{"empty parentheses", `()`, 1, "expected a test"},
		{"missing operator", `Severity == 6 Severity == 7`, 14, "expected '&&'"},
		{"bad RFC 3339 date only", `Timestamp == '2015-04-11'`, 24, "bad RFC 3339"},
		{"bad RFC 3339 basic format", `Timestamp > "20150411T173026"`, 17, "expected '-'"},
		{"bad RFC 3339 offset hour", `Timestamp == "2014-02-10T08:46:41+8:00"`, 34, "offset hour"},
		{"bad RFC 3339 offset minute", `Timestamp == "2014-02-10T08:46:41+08:60"`, 37, "offset minute out of range"},
		{"bad RFC 3339 month", `Timestamp == "2014-13-10T00:00:00Z"`, 19, "month out of range"},
		{"bad RFC 3339 day", `Timestamp == "2014-02-29T00:00:00Z"`, 22, "day out of range"},
		{"bad RFC 3339 hour", `Timestamp == "2014-02-10T24:00:00Z"`, 25, "hour out of range"},
		{"bad RFC 3339 second", `Timestamp == "2014-02-10T23:00:61Z"`, 31, "second out of range"},
		{"bad RFC 3339 fraction", `Timestamp == "2014-02-10T23:00:00.Z"`, 34, "digits after '.'"},
		{"RFC 3339 without offset", `Timestamp == "2014-02-10T23:00:00"`, 33, "expected 'Z' or an offset"},
		{"RFC 3339 trailing text", `Timestamp == "2014-02-10T23:00:00Zx"`, 34, "unexpected text"},
		{"RFC 3339 with a space", `Timestamp == "2014-02-10 23:00:00Z"`, 24, "expected 'T'"},
		{"missing ')'", `(TRUE`, 5, "missing ')' for the '(' at offset 0"},
		{"missing ')' long", unbalanced, len(unbalanced), "missing ')' for the '(' at offset 18"},
		{"extra ')'", `TRUE)`, 4, "unbalanced ')'"},
		{"extra ')' later", `(TRUE)) || TRUE`, 6, "unbalanced ')'"},
		{"single =", `Type = 'test'`, 5, "expected a relational operator"},
		{"no operator", `Type`, 4, "expected a relational operator"},
		{"Pid with a string", `Pid == 'test='`, 7, "Pid compares with a number"},
		{"Severity with a string", `Severity < "3"`, 11, "Severity compares with a number"},
		{"Type with a number", `Type == 5`, 8, "Type compares with a quoted string"},
		{"Uuid with a number", `Uuid == 5`, 8, "Uuid compares with a quoted string"},
		{"Timestamp with a word", `Timestamp == now`, 13, `expected a value, found "now"`},
		{"Pid =~", `Pid =~ '6'`, 4, "Pid does not take =~"},
		{"Pid !~", `Pid !~ '6'`, 4, "Pid does not take =~"},
		{"Severity =~", `Severity =~ 6`, 9, "Severity does not take =~"},
		{"Timestamp =~", `Timestamp =~ '2015'`, 10, "Timestamp does not take =~"},
		{"field =~ number", `Fields[x] =~ 5`, 13, "take a quoted pattern"},
		{"TRUE with >", `Fields[x] > TRUE`, 12, "TRUE and FALSE go only with == or !="},
		{"header == TRUE", `Type == TRUE`, 8, "only Fields compare with TRUE"},
		{"% after a space", `Type =~ 'x' %`, 12, "must follow the closing quote"},
		{"% after ==", `Type == 'x'%`, 11, "must follow the closing quote"},
		{"bad pattern set", `Payload =~ "[a"`, 12, "missing ']'"},
		{"bad pattern escape", `Payload =~ "a%"`, 13, "ends with '%'"},
		{"bad pattern after escapes", `Payload =~ "\"\"[a"`, 16, "missing ']'"},
		{"bad pattern capture", `Payload =~ "^(a"`, 15, "unfinished capture"},
		{"leading zero", `Severity == 01`, 12, "malformed number"},
		{"dot without digits", `Severity == 1.`, 12, "no digits after '.'"},
		{"exponent without digits", `Severity == 1e`, 12, "no digits in the exponent"},
		{"leading dot", `Severity == .5`, 12, "expected a value"},
		{"number with letters", `Severity == 6x`, 12, "malformed number"},
		{"sign alone", `Fields[x] == -`, 13, "expected a number"},
		{"no value", `Fields[x] ==`, 12, "expected a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) = %v, %v; want a *SyntaxError", tt.expr, m, err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) || se.Expr != tt.expr {
				t.Errorf("Compile(%q): offset %d %q; want offset %d %q", tt.expr, se.Offset, se.Msg, tt.offset, tt.msg)
			}
			if want := fmt.Sprintf("matcher: offset %d: %s", se.Offset, se.Msg); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

// TestLimits checks that the limits are exactly where documented.
func TestLimits(t *testing.T) {
	ok := []string{
		"TRUE" + strings.Repeat(" && TRUE", MaxOperators),
		"TRUE" + strings.Repeat(" || TRUE", MaxOperators),
		`Type == '` + strings.Repeat("x", MaxStringLen) + `'`,
		// 255 bytes after unescaping, more in the source.
		`Type == '` + strings.Repeat(`\'`, MaxStringLen) + `'`,
		`Fields[x][255][255] == 1`,
		`Fields[x][0][0] == 1`,
		// Parentheses do not count, however deep.
		strings.Repeat("(", 100_000) + "TRUE" + strings.Repeat(")", 100_000),
	}
	for _, expr := range ok {
		if _, err := Compile(expr); err != nil {
			t.Errorf("Compile(%.40q...): %v", expr, err)
		}
	}
}
