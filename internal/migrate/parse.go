package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// value is the right-hand side of one assignment in hindsight.cp.
type value struct {
	isString bool
	str      string
	num      float64
}

// describe names v's type for error messages.
func (v value) describe() string {
	if v.isString {
		return "a string"
	}
	return "a number"
}

// assignment is one line "_G[key] = value" of hindsight.cp.
type assignment struct {
	line int
	key  string
	val  value
}

// parse reads hindsight.cp (see the package documentation for what it
// accepts). file names the file in errors, which are *LineError values.
func parse(file string, data []byte) ([]assignment, error) {
	var out []assignment
	seen := make(map[string]int)
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		a, ok, err := parseLine(string(line))
		if err != nil {
			return nil, &LineError{File: file, Line: n, Err: err}
		}
		if !ok {
			continue
		}
		if first, dup := seen[a.key]; dup {
			return nil, &LineError{File: file, Line: n, Err: fmt.Errorf("%w: %q, first on line %d", ErrDuplicateKey, a.key, first)}
		}
		seen[a.key] = n
		a.line = n
		out = append(out, a)
	}
	return out, nil
}

// parseLine parses one line; ok is false for a blank or comment line.
func parseLine(line string) (a assignment, ok bool, err error) {
	sc := scanner{s: line}
	sc.space()
	if sc.i == len(sc.s) || sc.comment() {
		return assignment{}, false, sc.checkComment()
	}
	if !sc.eat("_G") {
		return assignment{}, false, sc.malformed("want _G['<key>'] = <value>")
	}
	sc.space()
	if !sc.eat("[") {
		return assignment{}, false, sc.malformed("want [ after _G")
	}
	sc.space()
	key, single, err := sc.str()
	if err != nil {
		return assignment{}, false, err
	}
	sc.space()
	if !sc.eat("]") {
		return assignment{}, false, sc.afterString(single, "want ] after the key")
	}
	sc.space()
	if !sc.eat("=") || sc.peek() == '=' {
		return assignment{}, false, sc.malformed("want = after the key")
	}
	sc.space()
	v, single, err := sc.value()
	if err != nil {
		return assignment{}, false, err
	}
	sc.space()
	sc.eat(";")
	sc.space()
	if single && strings.IndexByte(sc.s[sc.i:], '\'') >= 0 {
		// Even in a comment: "'a' -- b'" is the checkpoint "a' -- b" cut
		// short.
		return assignment{}, false, quoteError(sc.i + 1)
	}
	if sc.i < len(sc.s) && !sc.comment() {
		return assignment{}, false, sc.malformed("want the end of the line after the value")
	}
	if err := sc.checkComment(); err != nil {
		return assignment{}, false, err
	}
	return assignment{key: key, val: v}, true, nil
}

// scanner reads one line of hindsight.cp.
type scanner struct {
	s string
	i int
}

func (sc *scanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

// space skips what Lua counts as white space within a line.
func (sc *scanner) space() {
	for sc.i < len(sc.s) && strings.IndexByte(" \t\r\v\f", sc.s[sc.i]) >= 0 {
		sc.i++
	}
}

func (sc *scanner) eat(tok string) bool {
	if strings.HasPrefix(sc.s[sc.i:], tok) {
		sc.i += len(tok)
		return true
	}
	return false
}

// comment reports whether a "--" comment starts here.
func (sc *scanner) comment() bool { return strings.HasPrefix(sc.s[sc.i:], "--") }

// longComment matches the start of a Lua long comment, which may span
// lines and is not accepted.
var longComment = regexp.MustCompile(`^--\[=*\[`)

// checkComment refuses a long comment at the scanner's position.
func (sc *scanner) checkComment() error {
	if longComment.MatchString(sc.s[sc.i:]) {
		return sc.malformed("long comments --[[ ]] are not accepted")
	}
	return nil
}

// malformed returns ErrMalformed with the column and what was wanted.
func (sc *scanner) malformed(want string) error {
	return fmt.Errorf("%w: column %d: %s, got %s", ErrMalformed, sc.i+1, want, excerpt(sc.s[sc.i:]))
}

// afterString is the error for unexpected text after a string: when the
// string was single-quoted and the text holds another "'", the string
// most likely held an unescaped quote, the reference's bug.
func (sc *scanner) afterString(singleQuoted bool, want string) error {
	if singleQuoted && strings.IndexByte(sc.s[sc.i:], '\'') >= 0 {
		return quoteError(sc.i + 1)
	}
	return sc.malformed(want)
}

// quoteError is ErrUnescapedQuote at col, with what to do about it.
func quoteError(col int) error {
	return fmt.Errorf("%w at column %d: Hindsight does not escape ' in input checkpoints, so this line cannot be read back, by Hindsight either; escape the quote as \\' by hand", ErrUnescapedQuote, col)
}

// excerpt quotes the start of s for an error message.
func excerpt(s string) string {
	if s == "" {
		return "the end of the line"
	}
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// str reads a Lua 5.1 short string; single reports a single-quoted one.
func (sc *scanner) str() (s string, single bool, err error) {
	q := sc.peek()
	if q != '\'' && q != '"' {
		return "", false, sc.malformed("want a quoted string")
	}
	start := sc.i
	sc.i++
	var b strings.Builder
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == q:
			sc.i++
			return b.String(), q == '\'', nil
		case c == '\r':
			sc.i = len(sc.s) // Lua ends a string at a raw CR too
		case c == '\\':
			if err := sc.escape(&b); err != nil {
				return "", false, err
			}
		default:
			b.WriteByte(c)
			sc.i++
		}
	}
	sc.i = start
	return "", false, sc.malformed("unfinished string")
}

// escape reads one backslash escape of a Lua 5.1 string into b.
func (sc *scanner) escape(b *strings.Builder) error {
	sc.i++ // the backslash
	if sc.i >= len(sc.s) {
		return nil // the caller reports the unfinished string
	}
	c := sc.s[sc.i]
	if i := strings.IndexByte("abfnrtv", c); i >= 0 {
		b.WriteByte("\a\b\f\n\r\t\v"[i])
		sc.i++
		return nil
	}
	if c < '0' || c > '9' {
		b.WriteByte(c) // \\, \", \' and, as in Lua 5.1, any other byte
		sc.i++
		return nil
	}
	n := 0
	for k := 0; k < 3 && sc.i < len(sc.s) && '0' <= sc.s[sc.i] && sc.s[sc.i] <= '9'; k++ {
		n = n*10 + int(sc.s[sc.i]-'0')
		sc.i++
	}
	if n > 255 {
		return sc.malformed(fmt.Sprintf("escape sequence \\%d too large", n))
	}
	b.WriteByte(byte(n))
	return nil
}

// numeral matches a Lua 5.1 numeral: decimal with optional fraction and
// exponent, or a hexadecimal integer.
var numeral = regexp.MustCompile(`^(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+)$`)

// value reads a string or an optionally negated number. Besides Lua
// numerals it takes inf, -inf, nan and -nan: what the reference's "%.17g"
// writes for those numbers.
func (sc *scanner) value() (v value, single bool, err error) {
	if q := sc.peek(); q == '\'' || q == '"' {
		s, single, err := sc.str()
		return value{isString: true, str: s}, single, err
	}
	start := sc.i
	neg := false
	if sc.peek() == '-' && !sc.comment() {
		neg = true
		sc.i++
		sc.space()
	}
	j := sc.i
	for j < len(sc.s) {
		c := sc.s[j]
		if c == '.' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			j++
		} else if (c == '+' || c == '-') && j > sc.i && (sc.s[j-1] == 'e' || sc.s[j-1] == 'E') && !strings.HasPrefix(sc.s[sc.i:], "0x") && !strings.HasPrefix(sc.s[sc.i:], "0X") {
			j++
		} else {
			break
		}
	}
	word := sc.s[sc.i:j]
	var f float64
	switch {
	case word == "inf":
		f = math.Inf(1)
	case word == "nan":
		f = math.NaN()
	case numeral.MatchString(word):
		f, err = parseNumeral(word)
		if err != nil {
			sc.i = start
			return value{}, false, sc.malformed(err.Error())
		}
	default:
		sc.i = start
		return value{}, false, sc.malformed("want a quoted string or a number")
	}
	sc.i = j
	if neg {
		f = -f
	}
	return value{num: f}, false, nil
}

// parseNumeral converts a string that numeral matches. Out-of-range values
// become ±Inf or 0, as Lua's strtod makes them.
func parseNumeral(w string) (float64, error) {
	if len(w) > 2 && (w[1] == 'x' || w[1] == 'X') {
		u, err := strconv.ParseUint(w[2:], 16, 64)
		if errors.Is(err, strconv.ErrRange) {
			return math.Inf(1), nil
		}
		return float64(u), err
	}
	f, err := strconv.ParseFloat(w, 64)
	if errors.Is(err, strconv.ErrRange) {
		err = nil
	}
	return f, err
}
