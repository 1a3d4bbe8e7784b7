package clf

import (
	"fmt"
	"strings"
	"time"
)

// The timestamp grammars of the reference's lpeg.date_time module, as far
// as common_log_format uses them: clf_timestamp ($time_local, %t),
// rfc3339 ($time_iso8601) and build_strftime_grammar (%{format}t, the
// error log's time, upstream_cache_last_modified); and time_to_ns, which
// turns what they capture into nanoseconds.

// tm is what a timestamp grammar captures: the reference's date table.
type tm struct {
	has              tmHas
	year, month, day int
	hour, min, sec   int
	offHour, offMin  int
	offPlus          bool // offset_sign "+"
	pm               bool // period "PM" (else "AM")
	frac             float64
	timeT            float64
}

type tmHas uint16

const (
	hasYear tmHas = 1 << iota
	hasMonth
	hasDay
	hasHour
	hasMin
	hasSec
	hasFrac
	hasOffset
	hasPeriod
	hasTimeT
)

// two returns the number of the two digits at s[i:], which the caller has
// checked.
func two(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// mday is date_mday: "0" [1-9] / [12] [0-9] / "3" [01].
func (t *tm) mday(s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	if (c0 == '0' && c1 >= '1' && c1 <= '9') || ((c0 == '1' || c0 == '2') && isDigit(c1)) ||
		(c0 == '3' && (c1 == '0' || c1 == '1')) {
		t.day, t.has = two(s, i), t.has|hasDay
		return i + 2, true
	}
	return i, false
}

// mdaySp is date_mday_sp: " " [1-9] / [12] digit / "3" [01].
func (t *tm) mdaySp(s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	switch {
	case c0 == ' ' && c1 >= '1' && c1 <= '9':
		t.day = int(c1 - '0')
	case (c0 == '1' || c0 == '2') && isDigit(c1), c0 == '3' && (c1 == '0' || c1 == '1'):
		t.day = two(s, i)
	default:
		return i, false
	}
	t.has |= hasDay
	return i + 2, true
}

// month is date_month: "0" [1-9] / "1" [0-2].
func (t *tm) month2(s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	if (c0 == '0' && c1 >= '1' && c1 <= '9') || (c0 == '1' && c1 >= '0' && c1 <= '2') {
		t.month, t.has = two(s, i), t.has|hasMonth
		return i + 2, true
	}
	return i, false
}

var monthAbbr = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
var monthFull = [12]string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}
var dayAbbr = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
var dayFull = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// monthName matches the first of names found at s[i:] (date_mabbr,
// date_mfull).
func (t *tm) monthName(s string, i int, names *[12]string) (int, bool) {
	for k, n := range names {
		if strings.HasPrefix(s[i:], n) {
			t.month, t.has = k+1, t.has|hasMonth
			return i + len(n), true
		}
	}
	return i, false
}

func oneOf(s string, i int, names []string) (int, bool) {
	for _, n := range names {
		if strings.HasPrefix(s[i:], n) {
			return i + len(n), true
		}
	}
	return i, false
}

// fullYear is date_fullyear: four digits.
func (t *tm) fullYear(s string, i int) (int, bool) {
	if i+4 <= len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
		t.year, t.has = two(s, i)*100+two(s, i+2), t.has|hasYear
		return i + 4, true
	}
	return i, false
}

// century is what the reference puts before a two-digit year (%y): the
// first two digits of the current year.
var century = time.Now().Year() / 100

// year2 is %y: two digits, prefixed by the century.
func (t *tm) year2(s string, i int) (int, bool) {
	if isDigit(byteAt(s, i)) && isDigit(byteAt(s, i+1)) {
		t.year, t.has = century*100+two(s, i), t.has|hasYear
		return i + 2, true
	}
	return i, false
}

// hour24 is time_hour: [01] digit / "2" [0-3].
func (t *tm) hour24(s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	if ((c0 == '0' || c0 == '1') && isDigit(c1)) || (c0 == '2' && c1 >= '0' && c1 <= '3') {
		t.hour, t.has = two(s, i), t.has|hasHour
		return i + 2, true
	}
	return i, false
}

// minute is time_minute: [0-5] digit.
func (t *tm) minute(s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	if c0 >= '0' && c0 <= '5' && isDigit(c1) {
		t.min, t.has = two(s, i), t.has|hasMin
		return i + 2, true
	}
	return i, false
}

// second is time_second: [0-5] digit / "60".
func (t *tm) second(s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	if (c0 >= '0' && c0 <= '5' && isDigit(c1)) || (c0 == '6' && c1 == '0') {
		t.sec, t.has = two(s, i), t.has|hasSec
		return i + 2, true
	}
	return i, false
}

// hms is %T: hour ":" minute ":" second.
func (t *tm) hms(s string, i int) (int, bool) {
	j, ok := t.hour24(s, i)
	if ok && byteAt(s, j) == ':' {
		if j, ok = t.minute(s, j+1); ok && byteAt(s, j) == ':' {
			return t.second(s, j+1)
		}
	}
	return i, false
}

// numOffset is timezone_offset (%z): [+-] hour minute, or with colon the
// RFC 3339 form [+-] hour ":" minute.
func (t *tm) numOffset(s string, i int, colon bool) (int, bool) {
	c := byteAt(s, i)
	if c != '+' && c != '-' {
		return i, false
	}
	var u tm
	j, ok := u.hour24(s, i+1)
	if !ok {
		return i, false
	}
	if colon {
		if byteAt(s, j) != ':' {
			return i, false
		}
		j++
	}
	if j, ok = u.minute(s, j); !ok {
		return i, false
	}
	t.offPlus, t.offHour, t.offMin, t.has = c == '+', u.hour, u.min, t.has|hasOffset
	return j, true
}

// secFrac is time_secfrac: "." digit+, as a number.
func (t *tm) secFrac(s string, i int) int {
	if byteAt(s, i) != '.' || !isDigit(byteAt(s, i+1)) {
		return i
	}
	j := digits(s, i+1)
	t.frac, t.has = toNumber(s[i:j]), t.has|hasFrac
	return j
}

// clfTimestamp is clf_timestamp: %d/%b/%Y:%H:%M:%S %z.
func (t *tm) clfTimestamp(s string, i int) (int, bool) {
	j, ok := t.mday(s, i)
	if !ok || byteAt(s, j) != '/' {
		return i, false
	}
	if j, ok = t.monthName(s, j+1, &monthAbbr); !ok || byteAt(s, j) != '/' {
		return i, false
	}
	if j, ok = t.fullYear(s, j+1); !ok || byteAt(s, j) != ':' {
		return i, false
	}
	if j, ok = t.hms(s, j+1); !ok || byteAt(s, j) != ' ' {
		return i, false
	}
	return t.numOffset(s, j+1, false)
}

// rfc3339 is the reference's rfc3339: full-date "T" partial-time
// ("Z" / [+-] hh ":" mm).
func (t *tm) rfc3339(s string, i int) (int, bool) {
	j, ok := t.fullYear(s, i)
	if !ok || byteAt(s, j) != '-' {
		return i, false
	}
	if j, ok = t.month2(s, j+1); !ok || byteAt(s, j) != '-' {
		return i, false
	}
	if j, ok = t.mday(s, j+1); !ok || byteAt(s, j) != 'T' {
		return i, false
	}
	if j, ok = t.hms(s, j+1); !ok {
		return i, false
	}
	j = t.secFrac(s, j)
	if byteAt(s, j) == 'Z' {
		return j + 1, true
	}
	return t.numOffset(s, j, true)
}

// errMissingField is os.time's error for a date table without day, month
// or year.
type errMissingField string

func (e errMissingField) Error() string {
	return fmt.Sprintf("field '%s' missing in date table", string(e))
}

// timeToNS is the reference's time_to_ns: os.time of the captured date (in
// UTC; hour defaults to 12, minute and second to 0, and day, month and year
// are required), plus the fraction, plus the offset, times 1e9, computed in
// doubles in the reference's order. A time_t capture (%s) is taken as it
// is.
func (t *tm) timeToNS() (float64, error) {
	if t.has&hasTimeT != 0 {
		return t.timeT * 1e9, nil
	}
	offset := 0
	if t.has&hasOffset != 0 {
		offset = t.offHour*3600 + t.offMin*60
		if t.offPlus {
			offset = -offset
		}
	}
	hour := 12
	if t.has&hasHour != 0 {
		hour = t.hour
	}
	if t.has&hasPeriod != 0 {
		if t.has&hasHour == 0 {
			return 0, fmt.Errorf("bad argument #1 to 'tonumber' (value expected)")
		}
		if !t.pm && hour == 12 {
			hour = 0
		} else if t.pm && hour < 12 {
			hour += 12
		}
	}
	switch {
	case t.has&hasDay == 0:
		return 0, errMissingField("day")
	case t.has&hasMonth == 0:
		return 0, errMissingField("month")
	case t.has&hasYear == 0:
		return 0, errMissingField("year")
	}
	min, sec := 0, 0
	if t.has&hasMin != 0 {
		min = t.min
	}
	if t.has&hasSec != 0 {
		sec = t.sec
	}
	ost := (daysFromCivil(t.year, t.month, 1)+int64(t.day-1))*86400 + int64(hour*3600+min*60+sec)
	if ost == -1 { // mktime's error value: os.time returns nil, time_to_ns 0
		return 0, nil
	}
	frac := 0.0
	if t.has&hasFrac != 0 {
		frac = t.frac
	}
	return (float64(ost) + frac + float64(offset)) * 1e9, nil
}

// daysFromCivil returns the days from 1970-01-01 to the given date of the
// proleptic Gregorian calendar (month 1..12), as mktime counts them.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// strftime is a grammar compiled from a strftime format
// (build_strftime_grammar): literal text, single white-space characters and
// conversion specifiers.
type strftime struct {
	items []sfItem
}

type sfItem struct {
	spec byte   // 0: literal; ' ': one white-space character
	lit  string // spec 0
}

// compileStrftime compiles a strftime format, with the reference's errors.
func compileStrftime(format string) (*strftime, error) {
	sf := &strftime{}
	for i := 0; i < len(format); {
		c := format[i]
		switch {
		case isSpace(c):
			sf.items = append(sf.items, sfItem{spec: ' '})
			i++
		case c == '%' && i+1 < len(format) && (isAlnum(format[i+1]) || format[i+1] == '%'):
			if !strings.ContainsRune(strftimeSpecs, rune(format[i+1])) {
				return nil, fmt.Errorf("unknown strftime specifier: %c", format[i+1])
			}
			sf.items = append(sf.items, sfItem{spec: format[i+1]})
			i += 2
		default:
			j := i + 1
			for j < len(format) && !isSpace(format[j]) &&
				(format[j] != '%' || j+1 >= len(format) || !(isAlnum(format[j+1]) || format[j+1] == '%')) {
				j++
			}
			sf.items = append(sf.items, sfItem{lit: format[i:j]})
			i = j
		}
	}
	if len(sf.items) == 0 {
		return nil, fmt.Errorf("could not parse the strftime format")
	}
	return sf, nil
}

// strftimeSpecs are the specifiers the reference knows (Unix variant).
const strftimeSpecs = "aAbBcCdDeFgGhHIjklmMnprRsStTuUVwWxXyYzZ%"

// match matches the grammar at s[i:], capturing into t (reset first).
func (sf *strftime) match(s string, i int, t *tm) (int, bool) {
	*t = tm{}
	for _, it := range sf.items {
		var ok bool
		switch it.spec {
		case 0:
			if !strings.HasPrefix(s[i:], it.lit) {
				return i, false
			}
			i += len(it.lit)
			continue
		case ' ':
			if !isSpace(byteAt(s, i)) {
				return i, false
			}
			i++
			continue
		}
		if i, ok = t.spec(it.spec, s, i); !ok {
			return i, false
		}
	}
	return i, true
}

// digitRange reports whether c is within lo..hi.
func digitRange(c, lo, hi byte) bool { return c >= lo && c <= hi }

// spec matches one conversion specifier at s[i:].
func (t *tm) spec(c byte, s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	seq := func(steps ...func(int) (int, bool)) (int, bool) {
		j := i
		for _, st := range steps {
			var ok bool
			if j, ok = st(j); !ok {
				return i, false
			}
		}
		return j, true
	}
	lit := func(l string) func(int) (int, bool) {
		return func(j int) (int, bool) {
			if strings.HasPrefix(s[j:], l) {
				return j + len(l), true
			}
			return j, false
		}
	}
	at := func(f func(string, int) (int, bool)) func(int) (int, bool) {
		return func(j int) (int, bool) { return f(s, j) }
	}
	switch c {
	case 'a':
		return oneOf(s, i, dayAbbr)
	case 'A':
		return oneOf(s, i, dayFull)
	case 'b', 'h':
		return t.monthName(s, i, &monthAbbr)
	case 'B':
		return t.monthName(s, i, &monthFull)
	case 'C':
		if isDigit(c0) && isDigit(c1) {
			return i + 2, true
		}
	case 'y', 'g':
		return t.year2(s, i)
	case 'd':
		return t.mday(s, i)
	case 'D', 'x':
		return seq(at(t.month2), lit("/"), at(t.mday), lit("/"), at(t.year2))
	case 'e':
		return t.mdaySp(s, i)
	case 'F':
		return seq(at(t.fullYear), lit("-"), at(t.month2), lit("-"), at(t.mday))
	case 'G', 'Y':
		return t.fullYear(s, i)
	case 'H':
		return t.hour24(s, i)
	case 'I':
		return t.hour12(s, i)
	case 'j':
		c2 := byteAt(s, i+2)
		switch {
		case c0 == '0' && c1 == '0' && digitRange(c2, '1', '9'),
			c0 == '0' && isDigit(c1) && isDigit(c2),
			(c0 == '1' || c0 == '2') && isDigit(c1) && isDigit(c2),
			c0 == '3' && digitRange(c1, '0', '5') && isDigit(c2),
			c0 == '3' && c1 == '6' && digitRange(c2, '0', '6'):
			return i + 3, true
		}
	case 'k':
		if ((c0 == ' ' || c0 == '1') && isDigit(c1)) || (c0 == '2' && digitRange(c1, '0', '3')) {
			return t.setHour(s, i)
		}
	case 'l':
		if (isSpace(c0) && isDigit(c1)) || (c0 == '1' && digitRange(c1, '0', '2')) {
			return t.setHour(s, i)
		}
	case 'm':
		return t.month2(s, i)
	case 'M':
		return t.minute(s, i)
	case 'n':
		if c0 == '\n' {
			return i + 1, true
		}
	case 'p':
		return t.period(s, i)
	case 'r':
		return seq(at(t.hour12), lit(":"), at(t.minute), lit(":"), at(t.second), lit(" "), at(t.period))
	case 'R':
		return seq(at(t.hour24), lit(":"), at(t.minute))
	case 's':
		if j := digits(s, i); j > i {
			t.timeT, t.has = toNumber(s[i:j]), t.has|hasTimeT
			return j, true
		}
	case 'S':
		if (digitRange(c0, '0', '5') && isDigit(c1)) || (c0 == '6' && (c1 == '0' || c1 == '1')) {
			t.sec, t.has = two(s, i), t.has|hasSec
			return i + 2, true
		}
	case 't':
		if c0 == '\t' {
			return i + 1, true
		}
	case 'T', 'X':
		return t.hms(s, i)
	case 'u':
		if digitRange(c0, '1', '7') {
			return i + 1, true
		}
	case 'U', 'V', 'W':
		if (digitRange(c0, '0', '4') && isDigit(c1)) || (c0 == '5' && digitRange(c1, '0', '3')) {
			return i + 2, true
		}
	case 'w':
		if digitRange(c0, '0', '6') {
			return i + 1, true
		}
	case 'z':
		return t.numOffset(s, i, false)
	case 'Z':
		return t.zone(s, i)
	case '%':
		if c0 == '%' {
			return i + 1, true
		}
	case 'c':
		return seq(func(j int) (int, bool) { return oneOf(s, j, dayAbbr) }, lit(" "),
			func(j int) (int, bool) { return t.monthName(s, j, &monthAbbr) }, lit(" "),
			at(t.mdaySp), lit(" "), at(t.hms), lit(" "), at(t.fullYear))
	}
	return i, false
}

// hour12 is %I: "0" digit / "1" [0-2].
func (t *tm) hour12(s string, i int) (int, bool) {
	c0, c1 := byteAt(s, i), byteAt(s, i+1)
	if (c0 == '0' && isDigit(c1)) || (c0 == '1' && digitRange(c1, '0', '2')) {
		return t.setHour(s, i)
	}
	return i, false
}

// setHour captures the two characters at s[i:] (digits, or a blank and a
// digit) as the hour, as os.time reads the string.
func (t *tm) setHour(s string, i int) (int, bool) {
	if isDigit(s[i]) {
		t.hour = two(s, i)
	} else {
		t.hour = int(s[i+1] - '0')
	}
	t.has |= hasHour
	return i + 2, true
}

// period is %p: AM / PM.
func (t *tm) period(s string, i int) (int, bool) {
	if strings.HasPrefix(s[i:], "AM") || strings.HasPrefix(s[i:], "PM") {
		t.pm, t.has = s[i] == 'P', t.has|hasPeriod
		return i + 2, true
	}
	return i, false
}

// zones are the time zone names %Z knows, with their offsets in hours
// (west negative); any other run of up to five letters is UTC.
var zones = []struct {
	name string
	off  int
}{{"UTC", 0}, {"PST", -8}, {"PDT", -7}, {"MST", -7}, {"MDT", -6}, {"CST", -6}, {"CDT", -5}, {"EST", -5}, {"EDT", -4}}

// zone is %Z.
func (t *tm) zone(s string, i int) (int, bool) {
	for _, z := range zones {
		if strings.HasPrefix(s[i:], z.name) {
			t.offPlus, t.offHour, t.offMin, t.has = z.off >= 0, max(z.off, -z.off), 0, t.has|hasOffset
			return i + len(z.name), true
		}
	}
	j := i
	for j < len(s) && j-i < 5 && isAlpha(s[j]) {
		j++
	}
	t.offPlus, t.offHour, t.offMin, t.has = true, 0, 0, t.has|hasOffset
	return j, true
}
