package matcher

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// MaxStringLen is the longest string literal, in bytes after unescaping.
const MaxStringLen = 255

// stringLit scans the quoted string at p.pos (which must be a quote) and
// returns its unescaped contents. Inside either kind of quotes, \" \' and
// \\ stand for the character after the backslash; any other backslash is
// itself.
func (p *parser) stringLit() (string, error) {
	start := p.pos
	q := p.src[start]
	var b strings.Builder
	escaped := false
	i := start + 1
	for ; i < len(p.src) && p.src[i] != q; i++ {
		if p.src[i] == '\\' && i+1 < len(p.src) && isEscapable(p.src[i+1]) {
			if !escaped {
				b.WriteString(p.src[start+1 : i])
				escaped = true
			}
			i++
		}
		if escaped {
			b.WriteByte(p.src[i])
		}
	}
	if i == len(p.src) {
		return "", p.errAt(start, "unterminated string (no closing %c)", q)
	}
	s := p.src[start+1 : i]
	if escaped {
		s = b.String()
	}
	if len(s) > MaxStringLen {
		return "", p.errAt(start, "string literal of %d bytes is longer than %d", len(s), MaxStringLen)
	}
	p.pos = i + 1
	return s, nil
}

func isEscapable(c byte) bool { return c == '"' || c == '\'' || c == '\\' }

// literalOffset returns the offset in the expression of byte k of the
// unescaped contents of the string literal that starts (with its quote) at
// start.
func literalOffset(src string, start, k int) int {
	i := start + 1
	for ; k > 0 && i < len(src); k-- {
		if src[i] == '\\' && i+1 < len(src) && isEscapable(src[i+1]) {
			i++
		}
		i++
	}
	return i
}

// numberLit scans a number at p.pos with the grammar
// [-+]? ("0" | [1-9][0-9]*) ("." [0-9]+)? ([eE] [-+]? [0-9]+)?
// and returns its text.
func (p *parser) numberLit() (string, error) {
	s, start := p.src, p.pos
	i := start
	digits := func() int {
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i - j
	}
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && isDigit(s[i]):
		digits()
	default:
		return "", p.errAt(start, "expected a number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return "", p.errAt(start, "malformed number: no digits after '.'")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return "", p.errAt(start, "malformed number: no digits in the exponent")
		}
	}
	if i < len(s) && (isAlnum(s[i]) || s[i] == '.') {
		return "", p.errAt(start, "malformed number")
	}
	p.pos = i
	return s[start:i], nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// parseFloat converts a number literal (already checked by numberLit) to
// the double the comparison uses; out-of-range values become ±Inf or ±0,
// as strtod makes them in the reference.
func parseFloat(text string) float64 {
	f, _ := strconv.ParseFloat(text, 64)
	return f
}

// exact is a numeric literal placed exactly among the int64 values, for
// the Timestamp test: the value lies in [lo, lo+1), strictly inside when
// frac is set. A value above MaxInt64 is (MaxInt64, frac); one below
// MinInt64 sets below.
type exact struct {
	lo    int64
	frac  bool
	below bool
}

// compare applies op to the timestamp ts and the literal e, without
// rounding either to a double.
func (e exact) compare(op cmpOp, ts int64) bool {
	if e.below {
		return op == opNE || op == opGT || op == opGE
	}
	switch op {
	case opEQ:
		return !e.frac && ts == e.lo
	case opNE:
		return e.frac || ts != e.lo
	case opLT:
		if e.frac {
			return ts <= e.lo
		}
		return ts < e.lo
	case opLE:
		return ts <= e.lo
	case opGT:
		return ts > e.lo
	case opGE:
		if e.frac {
			return ts > e.lo
		}
		return ts >= e.lo
	}
	return false
}

var (
	bigMaxInt64 = big.NewInt(math.MaxInt64)
	bigMinInt64 = big.NewInt(math.MinInt64)
)

// exactFromInt places an integer value, with frac set when the true value
// is a little (less than one) above it.
func exactFromInt(v *big.Int, frac bool) exact {
	switch {
	case v.Cmp(bigMaxInt64) > 0:
		return exact{lo: math.MaxInt64, frac: true}
	case v.Cmp(bigMinInt64) < 0:
		return exact{below: true}
	}
	return exact{lo: v.Int64(), frac: frac}
}

// exactNumber converts a number literal (already checked by numberLit) to
// an exact, without going through a double.
func exactNumber(text string) exact {
	neg := false
	if text[0] == '-' || text[0] == '+' {
		neg = text[0] == '-'
		text = text[1:]
	}
	mant, expText, _ := strings.Cut(strings.ToLower(text), "e")
	intDigits, fracDigits, _ := strings.Cut(mant, ".")
	exp := 0
	if expText != "" {
		// Saturate: anything beyond a few hundred digits either way is
		// out of range or below one in magnitude.
		n, err := strconv.ParseInt(expText, 10, 32)
		switch {
		case err == nil && n > 1000:
			exp = 1000
		case err == nil && n < -1000:
			exp = -1000
		case err == nil:
			exp = int(n)
		case strings.HasPrefix(expText, "-"):
			exp = -1000
		default:
			exp = 1000
		}
	}
	digits := strings.TrimLeft(intDigits+fracDigits, "0")
	if digits == "" {
		return exact{}
	}
	scale := exp - len(fracDigits) // value = digits × 10^scale
	intLen := len(digits) + scale
	var ip, fp string // integer and fractional digits of the magnitude
	switch {
	case intLen > 19: // at least 10^19 > MaxInt64
		if neg {
			return exact{below: true}
		}
		return exact{lo: math.MaxInt64, frac: true}
	case intLen <= 0:
		ip, fp = "0", digits
	case scale >= 0:
		ip = digits + strings.Repeat("0", scale)
	default:
		ip, fp = digits[:intLen], digits[intLen:]
	}
	v, _ := new(big.Int).SetString(ip, 10)
	frac := strings.Trim(fp, "0") != ""
	if neg {
		v.Neg(v)
		if frac {
			v.Sub(v, big.NewInt(1)) // floor of a negative non-integer
		}
	}
	return exactFromInt(v, frac)
}

// rfc3339 parses the contents of a quoted Timestamp literal, which starts
// at offset off of the expression:
//
//	YYYY-MM-DD "T" hh:mm:ss ("." digits)? ("Z" | [+-]hh:mm | [+-]hhmm)
//
// 'T' and 'Z' may be lower case (RFC 3339 §5.6). The offset is applied with
// its sign (local time minus offset is UTC), unlike the reference, which
// adds its magnitude whatever the sign. A second of 60 (a leap second)
// counts as the first second of the next minute. Fractions finer than a
// nanosecond are kept exactly.
func (p *parser) rfc3339(s string, off int) (exact, error) {
	i := 0
	bad := func(what string) error {
		return p.errAt(off+i, "bad RFC 3339 timestamp %q: %s", s, what)
	}
	num := func(n, lo, hi int, what string) (int, error) {
		if i+n > len(s) {
			return 0, bad("expected " + what)
		}
		v := 0
		for j := range n {
			c := s[i+j]
			if !isDigit(c) {
				return 0, bad("expected " + what)
			}
			v = v*10 + int(c-'0')
		}
		if v < lo || v > hi {
			return 0, bad(what + " out of range")
		}
		i += n
		return v, nil
	}
	sep := func(c byte, alt byte) error {
		if i >= len(s) || s[i] != c && s[i] != alt {
			return bad("expected '" + string(c) + "'")
		}
		i++
		return nil
	}
	year, err := num(4, 0, 9999, "4-digit year")
	if err != nil {
		return exact{}, err
	}
	if err := sep('-', '-'); err != nil {
		return exact{}, err
	}
	month, err := num(2, 1, 12, "2-digit month")
	if err != nil {
		return exact{}, err
	}
	if err := sep('-', '-'); err != nil {
		return exact{}, err
	}
	day, err := num(2, 1, daysIn(year, month), "2-digit day")
	if err != nil {
		return exact{}, err
	}
	if err := sep('T', 't'); err != nil {
		return exact{}, err
	}
	hour, err := num(2, 0, 23, "2-digit hour")
	if err != nil {
		return exact{}, err
	}
	if err := sep(':', ':'); err != nil {
		return exact{}, err
	}
	minute, err := num(2, 0, 59, "2-digit minute")
	if err != nil {
		return exact{}, err
	}
	if err := sep(':', ':'); err != nil {
		return exact{}, err
	}
	sec, err := num(2, 0, 60, "2-digit second")
	if err != nil {
		return exact{}, err
	}
	var ns int64
	frac := false
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return exact{}, bad("expected digits after '.'")
		}
		d := s[j:i]
		if len(d) > 9 {
			frac = strings.Trim(d[9:], "0") != ""
			d = d[:9]
		}
		ns, _ = strconv.ParseInt(d+strings.Repeat("0", 9-len(d)), 10, 64)
	}
	offset := 0 // seconds east of UTC
	switch {
	case i < len(s) && (s[i] == 'Z' || s[i] == 'z'):
		i++
	case i < len(s) && (s[i] == '+' || s[i] == '-'):
		sign := 1
		if s[i] == '-' {
			sign = -1
		}
		i++
		oh, err := num(2, 0, 23, "2-digit offset hour")
		if err != nil {
			return exact{}, err
		}
		if i < len(s) && s[i] == ':' {
			i++
		}
		om, err := num(2, 0, 59, "2-digit offset minute")
		if err != nil {
			return exact{}, err
		}
		offset = sign * (oh*3600 + om*60)
	default:
		return exact{}, bad("expected 'Z' or an offset +hh:mm, -hh:mm, +hhmm or -hhmm")
	}
	if i != len(s) {
		return exact{}, bad("unexpected text after the offset")
	}
	unix := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Unix() - int64(offset)
	v := new(big.Int).Mul(big.NewInt(unix), big.NewInt(1e9))
	v.Add(v, big.NewInt(ns))
	return exactFromInt(v, frac), nil
}

// daysIn returns the number of days of month in year (proleptic Gregorian).
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
