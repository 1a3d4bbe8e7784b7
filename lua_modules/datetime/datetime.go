package datetime

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Value is one captured value: a string, or a number when IsNum.
type Value struct {
	Str   string
	Num   float64
	IsNum bool
}

// Capture is one named capture of a match.
type Capture struct {
	Name string
	Value
}

// Captures are the named captures of a match, in the order their names
// were first captured. Capturing a name again replaces its value in place,
// as assigning an existing key of a Lua table keeps its place.
type Captures []Capture

// SetStr captures the string s under name.
func (c *Captures) SetStr(name, s string) { c.set(name, Value{Str: s}) }

// SetNum captures the number n under name.
func (c *Captures) SetNum(name string, n float64) { c.set(name, Value{Num: n, IsNum: true}) }

func (c *Captures) set(name string, v Value) {
	for i := range *c {
		if (*c)[i].Name == name {
			(*c)[i].Value = v
			return
		}
	}
	*c = append(*c, Capture{Name: name, Value: v})
}

// Get returns the value captured under name.
func (c Captures) Get(name string) (Value, bool) {
	for i := range c {
		if c[i].Name == name {
			return c[i].Value, true
		}
	}
	return Value{}, false
}

// item matches one part of a grammar at pos, adding its captures to c, and
// returns the position after it.
type item func(s string, pos int, c *Captures) (int, bool)

// Grammar is a timestamp grammar: a sequence of items matched from the
// start of the subject (the subject need not end where the grammar does).
type Grammar struct {
	items []item
}

// Match matches g against s from byte offset pos. On success it returns the
// offset after the match, with c holding the captures (c is reset first).
func (g *Grammar) Match(s string, pos int, c *Captures) (int, bool) {
	*c = (*c)[:0]
	return g.match(s, pos, c)
}

// match is Match without resetting c: the captures are added to c.
func (g *Grammar) match(s string, pos int, c *Captures) (int, bool) {
	for _, it := range g.items {
		var ok bool
		if pos, ok = it(s, pos, c); !ok {
			return pos, false
		}
	}
	return pos, true
}

// MatchInto matches g against s from pos, adding its captures to c.
// On failure c may hold partial captures: the caller discards them.
func (g *Grammar) MatchInto(s string, pos int, c *Captures) (int, bool) {
	return g.match(s, pos, c)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// isSpace is the C locale's isspace, LPeg's l.space.
func isSpace(b byte) bool { return b == ' ' || b >= '\t' && b <= '\r' }

func in(s string, pos int, lo, hi byte) bool {
	return pos < len(s) && s[pos] >= lo && s[pos] <= hi
}

func at(s string, pos int, b byte) bool { return pos < len(s) && s[pos] == b }

// two matches two-character alternatives given as (first-range, second-range)
// quadruples, in order, and returns the end.
func two(s string, pos int, alts ...byte) (int, bool) {
	for i := 0; i+3 < len(alts); i += 4 {
		if in(s, pos, alts[i], alts[i+1]) && in(s, pos+1, alts[i+2], alts[i+3]) {
			return pos + 2, true
		}
	}
	return pos, false
}

// capture wraps a matcher of plain text as a named string capture.
func capture(name string, f func(s string, pos int) (int, bool)) item {
	return func(s string, pos int, c *Captures) (int, bool) {
		end, ok := f(s, pos)
		if ok {
			c.SetStr(name, s[pos:end])
		}
		return end, ok
	}
}

// plain wraps a matcher without captures.
func plain(f func(s string, pos int) (int, bool)) item {
	return func(s string, pos int, _ *Captures) (int, bool) { return f(s, pos) }
}

func lit(l string) item {
	return func(s string, pos int, _ *Captures) (int, bool) {
		if strings.HasPrefix(s[pos:], l) {
			return pos + len(l), true
		}
		return pos, false
	}
}

func space1(s string, pos int, _ *Captures) (int, bool) {
	if pos < len(s) && isSpace(s[pos]) {
		return pos + 1, true
	}
	return pos, false
}

func digits(n int) func(s string, pos int) (int, bool) {
	return func(s string, pos int) (int, bool) {
		for i := range n {
			if !in(s, pos+i, '0', '9') {
				return pos, false
			}
		}
		return pos + n, true
	}
}

// The building blocks of the reference's grammars.
var (
	fullYear = capture("year", digits(4))
	month    = capture("month", func(s string, pos int) (int, bool) { return two(s, pos, '0', '0', '1', '9', '1', '1', '0', '2') })
	mday     = capture("day", func(s string, pos int) (int, bool) {
		return two(s, pos, '0', '0', '1', '9', '1', '2', '0', '9', '3', '3', '0', '1')
	})
	mdaySp = capture("day", func(s string, pos int) (int, bool) {
		return two(s, pos, ' ', ' ', '1', '9', '1', '2', '0', '9', '3', '3', '0', '1')
	})
	hourPlain = func(s string, pos int) (int, bool) { return two(s, pos, '0', '1', '0', '9', '2', '2', '0', '3') }
	hour      = capture("hour", hourPlain)
	minPlain  = func(s string, pos int) (int, bool) { return two(s, pos, '0', '5', '0', '9') }
	minute    = capture("min", minPlain)
	second    = capture("sec", func(s string, pos int) (int, bool) { return two(s, pos, '0', '5', '0', '9', '6', '6', '0', '0') })
	// %S allows 60 and 61.
	secondS = capture("sec", func(s string, pos int) (int, bool) { return two(s, pos, '0', '5', '0', '9', '6', '6', '0', '1') })
	hour12  = capture("hour", func(s string, pos int) (int, bool) { return two(s, pos, '0', '0', '0', '9', '1', '1', '0', '2') })
	colon   = lit(":")
)

var monthAbbr = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

var monthFull = [...]string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}

var monthNum = [...]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}

func names(list []string, capName string, values []string) item {
	return func(s string, pos int, c *Captures) (int, bool) {
		for i, n := range list {
			if strings.HasPrefix(s[pos:], n) {
				if capName != "" {
					c.SetStr(capName, values[i])
				}
				return pos + len(n), true
			}
		}
		return pos, false
	}
}

var (
	mabbr = names(monthAbbr[:], "month", monthNum[:])
	mfull = names(monthFull[:], "month", monthNum[:])
	wabbr = names([]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}, "", nil)
	wfull = names([]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}, "", nil)
)

// secFrac is "." digits, captured as the number tonumber(".ddd").
func secFrac(s string, pos int, c *Captures) (int, bool) {
	if !at(s, pos, '.') || !in(s, pos+1, '0', '9') {
		return pos, false
	}
	end := pos + 1
	for end < len(s) && isDigit(s[end]) {
		end++
	}
	f, _ := strconv.ParseFloat(s[pos:end], 64)
	c.SetNum("sec_frac", f)
	return end, true
}

// fraction is %f: digits, captured as the fraction they write after a
// decimal point.
func fraction(s string, pos int, c *Captures) (int, bool) {
	end := pos
	for end < len(s) && isDigit(s[end]) {
		end++
	}
	if end == pos {
		return pos, false
	}
	f, _ := strconv.ParseFloat("0."+s[pos:end], 64)
	c.SetNum("sec_frac", f)
	return end, true
}

// numOffset is [+-]HH[:]MM, with offset_hour and offset_min as numbers.
func numOffset(withColon bool) item {
	return func(s string, pos int, c *Captures) (int, bool) {
		if pos >= len(s) || s[pos] != '+' && s[pos] != '-' {
			return pos, false
		}
		h, ok := hourPlain(s, pos+1)
		if !ok {
			return pos, false
		}
		m := h
		if withColon {
			if !at(s, h, ':') {
				return pos, false
			}
			m++
		}
		end, ok := minPlain(s, m)
		if !ok {
			return pos, false
		}
		c.SetStr("offset_sign", s[pos:pos+1])
		c.SetNum("offset_hour", float64(atoi(s[pos+1:h])))
		c.SetNum("offset_min", float64(atoi(s[m:end])))
		return end, true
	}
}

var (
	rfc3339NumOffset = numOffset(true)
	tzOffset         = numOffset(false)
)

func rfc3339Offset(s string, pos int, c *Captures) (int, bool) {
	if at(s, pos, 'Z') {
		return pos + 1, true
	}
	return rfc3339NumOffset(s, pos, c)
}

var zones = []struct {
	name string
	sign string
	hour float64
}{
	{"UTC", "+", 0}, {"PST", "-", 8}, {"PDT", "-", 7}, {"MST", "-", 7}, {"MDT", "-", 6},
	{"CST", "-", 6}, {"CDT", "-", 5}, {"EST", "-", 5}, {"EDT", "-", 4},
}

// timezone is %Z: a known zone name, or up to five letters read as UTC.
func timezone(s string, pos int, c *Captures) (int, bool) {
	sign, h, end := "+", 0.0, pos
	found := false
	for _, z := range zones {
		if strings.HasPrefix(s[pos:], z.name) {
			sign, h, end, found = z.sign, z.hour, pos+len(z.name), true
			break
		}
	}
	if !found {
		for end < len(s) && end-pos < 5 && isAlpha(s[end]) {
			end++
		}
	}
	c.SetStr("offset_sign", sign)
	c.SetNum("offset_hour", h)
	c.SetNum("offset_min", 0)
	return end, true
}

func seq(items ...item) item {
	return func(s string, pos int, c *Captures) (int, bool) {
		for _, it := range items {
			var ok bool
			if pos, ok = it(s, pos, c); !ok {
				return pos, false
			}
		}
		return pos, true
	}
}

// currentYear returns the current year, UTC, as os.date("%Y") does in
// sightline.
func currentYear() string {
	y := time.Now().UTC().Year()
	if c := yearCache.Load(); c != nil && c.year == y {
		return c.text
	}
	c := &cachedYear{year: y, text: strconv.Itoa(y)}
	yearCache.Store(c)
	return c.text
}

type cachedYear struct {
	year int
	text string
}

var yearCache atomic.Pointer[cachedYear]

// century is the first two digits of the current year (%y's century).
func century() string {
	y := currentYear()
	if len(y) < 2 {
		return "00"
	}
	return y[:len(y)-2]
}

var (
	timeT     = seq(hour, colon, minute, colon, second)
	fullDate  = seq(fullYear, lit("-"), month, lit("-"), mday)
	shortYear = func(s string, pos int, c *Captures) (int, bool) {
		end, ok := digits(2)(s, pos)
		if ok {
			c.SetStr("year", century()+s[pos:end])
		}
		return end, ok
	}
	dateD = seq(month, lit("/"), mday, lit("/"), shortYear)
)

// The grammars the reference exports.
var (
	// RFC3339 matches 1999-05-05T23:23:59.217-07:00.
	RFC3339 = &Grammar{items: []item{fullDate, lit("T"), hour, colon, minute, colon, second, optional(secFrac), rfc3339Offset}}
	// CLF matches the Common Log Format's 10/Feb/2014:08:46:36 -0800.
	CLF = &Grammar{items: []item{mday, lit("/"), mabbr, lit("/"), fullYear, colon, timeT, lit(" "), tzOffset}}
	// RFC3164 matches Feb 10 16:46:36 (any run of spaces between the parts,
	// so also the "buggy day" form Feb 03); the year is the current one.
	RFC3164 = &Grammar{items: []item{mabbr, spaces1, rfc3164Day, spaces1, timeT,
		func(s string, pos int, c *Captures) (int, bool) { c.SetStr("year", currentYear()); return pos, true }}}
	// MySQL matches 20140210164636.
	MySQL = &Grammar{items: []item{fullYear, month, mday, hour, minute, second}}
	// PgSQL matches 2014-02-10 16:46:36.
	PgSQL = &Grammar{items: []item{fullDate, lit(" "), timeT}}
)

// Building blocks of the grammars, for rsyslog properties that capture
// the text they match ($now, $year, ...).
var (
	FullDate = &Grammar{items: []item{fullDate}} // 2014-02-10
	FullYear = &Grammar{items: []item{fullYear}} // 2014
	Month    = &Grammar{items: []item{month}}    // 01..12
	MDay     = &Grammar{items: []item{mday}}     // 01..31
	Hour     = &Grammar{items: []item{hour}}     // 00..23
	Minute   = &Grammar{items: []item{minute}}   // 00..59
)

func optional(it item) item {
	return func(s string, pos int, c *Captures) (int, bool) {
		mark := len(*c)
		end, ok := it(s, pos, c)
		if !ok {
			*c = (*c)[:mark]
			return pos, true
		}
		return end, true
	}
}

func spaces1(s string, pos int, _ *Captures) (int, bool) {
	end := pos
	for end < len(s) && s[end] == ' ' {
		end++
	}
	return end, end > pos
}

// rfc3164Day is up to two digits (possibly none), captured as day.
func rfc3164Day(s string, pos int, c *Captures) (int, bool) {
	end := pos
	for end < len(s) && end-pos < 2 && isDigit(s[end]) {
		end++
	}
	c.SetStr("day", s[pos:end])
	return end, true
}

// strftime returns the item of a strftime specifier.
func strftime(spec byte) (item, bool) {
	switch spec {
	case 'a':
		return wabbr, true
	case 'A':
		return wfull, true
	case 'b', 'h':
		return mabbr, true
	case 'B':
		return mfull, true
	case 'c':
		return seq(wabbr, lit(" "), mabbr, lit(" "), mdaySp, lit(" "), timeT, lit(" "), fullYear), true
	case 'C':
		return plain(digits(2)), true
	case 'd':
		return mday, true
	case 'D', 'x':
		return dateD, true
	case 'e':
		return mdaySp, true
	case 'f':
		return fraction, true
	case 'F':
		return fullDate, true
	case 'g', 'y':
		return shortYear, true
	case 'G', 'Y':
		return fullYear, true
	case 'H':
		return hour, true
	case 'I':
		return hour12, true
	case 'j':
		return plain(func(s string, pos int) (int, bool) {
			if strings.HasPrefix(s[pos:], "00") && in(s, pos+2, '1', '9') {
				return pos + 3, true
			}
			if e, ok := two(s, pos, '0', '0', '0', '9', '1', '2', '0', '9'); ok && in(s, e, '0', '9') {
				return e + 1, true
			}
			if e, ok := two(s, pos, '3', '3', '0', '5'); ok && in(s, e, '0', '9') {
				return e + 1, true
			}
			if strings.HasPrefix(s[pos:], "36") && in(s, pos+2, '0', '6') {
				return pos + 3, true
			}
			return pos, false
		}), true
	case 'k':
		return capture("hour", func(s string, pos int) (int, bool) {
			if pos < len(s) && (s[pos] == ' ' || s[pos] == '1') && in(s, pos+1, '0', '9') {
				return pos + 2, true
			}
			return two(s, pos, '2', '2', '0', '3')
		}), true
	case 'l':
		return capture("hour", func(s string, pos int) (int, bool) {
			if pos < len(s) && isSpace(s[pos]) && in(s, pos+1, '0', '9') {
				return pos + 2, true
			}
			return two(s, pos, '1', '1', '0', '2')
		}), true
	case 'm':
		return month, true
	case 'M':
		return minute, true
	case 'n':
		return lit("\n"), true
	case 'p':
		return capture("period", func(s string, pos int) (int, bool) {
			if strings.HasPrefix(s[pos:], "AM") || strings.HasPrefix(s[pos:], "PM") {
				return pos + 2, true
			}
			return pos, false
		}), true
	case 'r':
		return seq(hour12, colon, minute, colon, second, lit(" "), mustSpec('p')), true
	case 'R':
		return seq(hour, colon, minute), true
	case 's':
		return func(s string, pos int, c *Captures) (int, bool) {
			end := pos
			for end < len(s) && isDigit(s[end]) {
				end++
			}
			if end == pos {
				return pos, false
			}
			f, _ := strconv.ParseFloat(s[pos:end], 64)
			c.SetNum("time_t", f)
			return end, true
		}, true
	case 'S':
		return secondS, true
	case 't':
		return lit("\t"), true
	case 'T', 'X':
		return timeT, true
	case 'u':
		return plain(func(s string, pos int) (int, bool) { return pos + 1, in(s, pos, '1', '7') }), true
	case 'U', 'V', 'W':
		return plain(func(s string, pos int) (int, bool) { return two(s, pos, '0', '4', '0', '9', '5', '5', '0', '3') }), true
	case 'w':
		return plain(func(s string, pos int) (int, bool) { return pos + 1, in(s, pos, '0', '6') }), true
	case 'z':
		return tzOffset, true
	case 'Z':
		return timezone, true
	case '%':
		return lit("%"), true
	}
	return nil, false
}

func mustSpec(b byte) item {
	it, _ := strftime(b)
	return it
}

// ErrFormat reports a strftime format that cannot be parsed.
var ErrFormat = errors.New("could not parse the strftime format")

// BuildStrftime returns the grammar of a strftime format, as
// build_strftime_grammar does.
func BuildStrftime(format string) (*Grammar, error) {
	if format == "" {
		return nil, ErrFormat
	}
	g := &Grammar{}
	for i := 0; i < len(format); {
		b := format[i]
		switch {
		case isSpace(b):
			g.items = append(g.items, space1)
			i++
		case b == '%' && i+1 < len(format) && (isAlnum(format[i+1]) || format[i+1] == '%'):
			it, ok := strftime(format[i+1])
			if !ok {
				return nil, fmt.Errorf("unknown strftime specifier: %c", format[i+1])
			}
			g.items = append(g.items, it)
			i += 2
		default:
			j := i + 1
			for j < len(format) && !isSpace(format[j]) &&
				(format[j] != '%' || j+1 >= len(format) || !isAlnum(format[j+1]) && format[j+1] != '%') {
				j++
			}
			g.items = append(g.items, lit(format[i:j]))
			i = j
		}
	}
	return g, nil
}

func isAlnum(b byte) bool { return isDigit(b) || isAlpha(b) }

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// Number converts a captured value as Lua's tonumber does for the
// reference's time tables: a number, or a string holding one (surrounding
// whitespace allowed).
func (v Value) Number() (float64, bool) {
	if v.IsNum {
		return v.Num, true
	}
	s := strings.TrimSpace(v.Str)
	if s == "" {
		return 0, false
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		n, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(n), err == nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "_pP") || strings.EqualFold(s, "inf") || strings.EqualFold(s, "nan") {
		return 0, false
	}
	return f, true
}

// TimeToNs converts a time table to nanoseconds since the Unix epoch, as
// time_to_ns does (see the package documentation). The error is the one
// the reference raises for a table without a usable year, month or day.
func TimeToNs(c Captures) (float64, error) {
	if v, ok := c.Get("time_t"); ok {
		n, ok := v.Number()
		if !ok {
			return 0, errors.New("attempt to perform arithmetic on field 'time_t'")
		}
		return n * 1e9, nil
	}
	offset := 0.0
	if v, ok := c.Get("offset_hour"); ok {
		h, ok1 := v.Number()
		mv, _ := c.Get("offset_min")
		m, ok2 := mv.Number()
		if !ok1 || !ok2 {
			return 0, errors.New("attempt to perform arithmetic on field 'offset_min'")
		}
		offset = h*60*60 + m*60
		if s, _ := c.Get("offset_sign"); !s.IsNum && s.Str == "+" {
			offset = -offset
		}
	}
	field := func(name string, def int) (int, error) {
		v, ok := c.Get(name)
		if ok {
			if n, ok := v.Number(); ok {
				return int(truncInt(n)), nil
			}
		}
		if def < 0 {
			return 0, fmt.Errorf("field '%s' missing in date table", name)
		}
		return def, nil
	}
	hour, err := field("hour", 12)
	if err != nil {
		return 0, err
	}
	if p, ok := c.Get("period"); ok && !p.IsNum {
		switch p.Str {
		case "AM":
			if hour == 12 {
				hour = 0
			}
		case "PM":
			if hour < 12 {
				hour += 12
			}
		}
	}
	frac := 0.0
	if v, ok := c.Get("sec_frac"); ok {
		if n, ok := v.Number(); ok {
			frac = n
		}
	}
	// os.time's order: sec, min, hour, day, month, year.
	sec, err := field("sec", 0)
	if err != nil {
		return 0, err
	}
	minute, err := field("min", 0)
	if err != nil {
		return 0, err
	}
	day, err := field("day", -1)
	if err != nil {
		return 0, err
	}
	month, err := field("month", -1)
	if err != nil {
		return 0, err
	}
	year, err := field("year", -1)
	if err != nil {
		return 0, err
	}
	ost := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Unix()
	return (float64(ost) + frac + offset) * 1e9, nil
}

func truncInt(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int64(f)
}
