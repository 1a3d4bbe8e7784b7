package clf

import (
	"errors"
	"strings"
)

// A Grammar is a compiled nginx log_format or Apache LogFormat: a list of
// operations run left to right over a line, each a literal, a run of
// white space or one variable's scanner. Scanners are greedy and never
// give back what they consumed, which is what the reference's LPeg
// grammar does (its choices commit and its repetitions are possessive),
// so a line matches here exactly when it matches there, with the same
// captures. A Grammar is immutable and safe for concurrent use; the
// captures of one match live in a State.
type Grammar struct {
	kind   string // "nginx", "apache", "nginx_error"
	format string
	ops    []op
	// names are the captured field names in the order the reference's
	// table gets its keys (the first capture of each).
	names []string
	// timeSlot is the slot of "time", -1 if the format captures none;
	// uaSlot that of http_user_agent.
	timeSlot, uaSlot int
	// custom, when set, replaces ops (the error log grammar).
	custom func(s string, i int, st *State) (int, bool, error)
}

// ErrFormat is matched (errors.Is) by the errors of a log format the
// builders cannot parse.
var ErrFormat = errors.New("clf: invalid log format")

// FormatError is a log format the builders refuse. Its message is the
// reference's ("could not parse the log_format configuration", "unknown
// variable: z", ...), which Lua callers see as the error.
type FormatError struct {
	Format string
	Msg    string
}

func (e *FormatError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

type opKind uint8

const (
	opLit        opKind = iota // lit, exactly
	opSpace                    // one or more white-space characters
	opString                   // a string up to the stop rule
	opPattern                  // pat, captured as the string it matched
	opInt                      // an integer, as a number
	opIntRep                   // {value=integer, representation=rep}
	opIntDash                  // Apache %b: an integer or "-" (0), rep "B"
	opDoubleRep                // {value=double, representation=rep}
	opStatus                   // three digits, as a number
	opHost                     // {value=host, representation=ipv4|ipv6|hostname}
	opMsec                     // seconds.millis, in ns
	opTimeLocal                // clf_timestamp, in ns
	opTimeISO                  // rfc3339, in ns
	opApacheTime               // "[" clf_timestamp "]", in ns
	opStrftime                 // sf, in ns
	opSecT                     // digits: seconds, in ns
	opMsecT                    // digits: milliseconds, in ns
	opUsecT                    // digits: microseconds, in ns
	opFracT                    // digits: a fraction of a second
	opHexTid                   // hex digits, as a number
	opUpAddr                   // upstream_addr: a list of strings
	opUpCacheLM                // upstream_cache_last_modified: ns or "-"
	opUpRespLen                // upstream_response_length: {value={...}, representation="B"} or "-"
	opUpRespTime               // upstream_response_time: {value={...}, representation="s"}
	opUpStatus                 // upstream_status: a list of numbers
)

// stop rules of a generic string variable: what the literal before it
// ends with.
const (
	stopSpace = iota // any white space
	stopByte         // one byte
	stopQuote        // '"', and \" does not stop it
)

type op struct {
	kind  opKind
	slot  int
	stop  uint8
	stopc byte
	lit   string
	rep   string
	pat   func(s string, i int) (int, bool)
	sf    *strftime
}

// value kinds: what a slot holds after a match.
type vkind uint8

const (
	vNone       vkind = iota
	vStr              // s[a:b]
	vNum              // n
	vStrRep           // {value=s[a:b], representation=rep}
	vNumRep           // {value=n, representation=rep}
	vStrList          // {spans[a:b]...}
	vNumList          // {nums[a:b]...}
	vNumListRep       // {value={nums[a:b]...}, representation=rep}
)

type value struct {
	kind vkind
	rep  string
	a, b int
	n    float64
}

// State holds the captures of one match; reuse it to match without
// allocating.
type State struct {
	vals  []value
	spans [][2]int
	nums  []float64
	tm    tm
}

func (st *State) reset(n int) {
	if cap(st.vals) < n {
		st.vals = make([]value, n)
	}
	st.vals = st.vals[:n]
	for i := range st.vals {
		st.vals[i].kind = vNone
	}
	st.spans, st.nums = st.spans[:0], st.nums[:0]
}

func (st *State) setStr(slot, a, b int) { st.vals[slot] = value{kind: vStr, a: a, b: b} }

func (st *State) setNum(slot int, n float64) { st.vals[slot] = value{kind: vNum, n: n} }

// Names returns the field names the grammar captures, in the order of the
// reference's table.
func (g *Grammar) Names() []string { return g.names }

// Format returns the format the grammar was built from.
func (g *Grammar) Format() string { return g.format }

// Match matches line from its start (the reference's grammars match a
// prefix: what follows the format's last item is ignored) and reports
// whether it matched; st then holds the captures. An error is what the
// reference raises while matching (a strftime time without a day, month or
// year).
func (g *Grammar) Match(line string, st *State) (bool, error) {
	return g.matchAt(line, 0, st)
}

func (g *Grammar) matchAt(s string, i int, st *State) (bool, error) {
	st.reset(len(g.names))
	if g.custom != nil {
		_, ok, err := g.custom(s, i, st)
		return ok, err
	}
	for k := range g.ops {
		o := &g.ops[k]
		j, ok, err := o.exec(s, i, st)
		if err != nil || !ok {
			return false, err
		}
		i = j
	}
	return true, nil
}

// exec runs one operation at s[i:].
func (o *op) exec(s string, i int, st *State) (int, bool, error) {
	switch o.kind {
	case opLit:
		if len(o.lit) == 1 {
			if i < len(s) && s[i] == o.lit[0] {
				return i + 1, true, nil
			}
			return i, false, nil
		}
		if len(s)-i < len(o.lit) || s[i:i+len(o.lit)] != o.lit {
			return i, false, nil
		}
		return i + len(o.lit), true, nil
	case opSpace:
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		return j, j > i, nil
	case opString:
		j := o.scanString(s, i)
		st.setStr(o.slot, i, j)
		return j, true, nil
	case opPattern:
		j, ok := o.pat(s, i)
		if ok {
			st.setStr(o.slot, i, j)
		}
		return j, ok, nil
	case opInt, opIntRep:
		j, ok := integer(s, i)
		if !ok {
			return i, false, nil
		}
		if o.kind == opInt {
			st.setNum(o.slot, toNumber(s[i:j]))
		} else {
			st.vals[o.slot] = value{kind: vNumRep, n: toNumber(s[i:j]), rep: o.rep}
		}
		return j, true, nil
	case opIntDash:
		if j, ok := integer(s, i); ok {
			st.vals[o.slot] = value{kind: vNumRep, n: toNumber(s[i:j]), rep: o.rep}
			return j, true, nil
		}
		if i < len(s) && s[i] == '-' {
			st.vals[o.slot] = value{kind: vNumRep, n: 0, rep: o.rep}
			return i + 1, true, nil
		}
		return i, false, nil
	case opDoubleRep, opMsec:
		j, ok := double(s, i)
		if !ok {
			return i, false, nil
		}
		if o.kind == opMsec {
			st.setNum(o.slot, toNumber(s[i:j])*1e9)
		} else {
			st.vals[o.slot] = value{kind: vNumRep, n: toNumber(s[i:j]), rep: o.rep}
		}
		return j, true, nil
	case opStatus:
		j, ok := status(s, i)
		if ok {
			st.setNum(o.slot, toNumber(s[i:j]))
		}
		return j, ok, nil
	case opHost:
		j, rep, ok := host(s, i)
		if ok {
			st.vals[o.slot] = value{kind: vStrRep, a: i, b: j, rep: rep}
		}
		return j, ok, nil
	case opTimeLocal, opTimeISO, opApacheTime, opStrftime:
		return o.timestamp(s, i, st)
	case opSecT, opMsecT, opUsecT, opFracT:
		j := digits(s, i)
		if j == i {
			return i, false, nil
		}
		switch o.kind {
		case opSecT:
			st.setNum(o.slot, toNumber(s[i:j])*1e9)
		case opMsecT:
			st.setNum(o.slot, toNumber(s[i:j])*1e6)
		case opUsecT:
			st.setNum(o.slot, toNumber(s[i:j])*1e3)
		default:
			st.setNum(o.slot, fraction(s[i:j]))
		}
		return j, true, nil
	case opHexTid:
		j := i
		var n float64
		for j < len(s) && isXDigit(s[j]) {
			n = n*16 + float64(hexVal(s[j]))
			j++
		}
		if j == i {
			return i, false, nil
		}
		st.setNum(o.slot, n)
		return j, true, nil
	case opUpAddr:
		return upstreamAddr(s, i, o.slot, st)
	case opUpCacheLM:
		if j, ok := o.sf.match(s, i, &st.tm); ok {
			ns, err := st.tm.timeToNS()
			if err != nil {
				return i, false, err
			}
			st.setNum(o.slot, ns)
			return j, true, nil
		}
		if i < len(s) && s[i] == '-' {
			st.setStr(o.slot, i, i+1)
			return i + 1, true, nil
		}
		return i, false, nil
	case opUpRespLen, opUpRespTime, opUpStatus:
		return o.upstreamNumbers(s, i, st)
	}
	panic("clf: unknown operation")
}

// scanString scans a generic variable: everything up to the stop rule.
func (o *op) scanString(s string, i int) int {
	switch o.stop {
	case stopByte:
		if k := strings.IndexByte(s[i:], o.stopc); k >= 0 {
			return i + k
		}
		return len(s)
	case stopQuote:
		j := i
		for {
			k := strings.IndexByte(s[j:], '"')
			if k < 0 {
				return len(s)
			}
			j += k
			if j > i && s[j-1] == '\\' {
				j++
				continue
			}
			return j
		}
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	return j
}

// timestamp runs the timestamp operations.
func (o *op) timestamp(s string, i int, st *State) (int, bool, error) {
	t := &st.tm
	*t = tm{}
	var j int
	var ok bool
	switch o.kind {
	case opTimeLocal:
		j, ok = t.clfTimestamp(s, i)
	case opTimeISO:
		j, ok = t.rfc3339(s, i)
	case opApacheTime:
		if i < len(s) && s[i] == '[' {
			if j, ok = t.clfTimestamp(s, i+1); ok {
				if ok = j < len(s) && s[j] == ']'; ok {
					j++
				}
			}
		}
	default:
		j, ok = o.sf.match(s, i, t)
	}
	if !ok {
		return i, false, nil
	}
	ns, err := t.timeToNS()
	if err != nil {
		return i, false, err
	}
	st.setNum(o.slot, ns)
	return j, true, nil
}

// integer is "-"? digit+.
func integer(s string, i int) (int, bool) {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	k := digits(s, j)
	return k, k > j
}

// double is digit+ "." digit+.
func double(s string, i int) (int, bool) {
	j := digits(s, i)
	if j == i || j+1 >= len(s) || s[j] != '.' || !isDigit(s[j+1]) {
		return i, false
	}
	return digits(s, j+1), true
}

// status is three digits.
func status(s string, i int) (int, bool) {
	if i+3 <= len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
		return i + 3, true
	}
	return i, false
}

// fraction is tonumber("." .. d) for a run of digits d.
func fraction(d string) float64 {
	if len(d) <= 15 {
		var m uint64
		for k := 0; k < len(d); k++ {
			m = m*10 + uint64(d[k]-'0')
		}
		return float64(m) / pow10[len(d)]
	}
	return toNumber("0." + d)
}

func hexVal(c byte) int {
	if isDigit(c) {
		return int(c - '0')
	}
	return int(c|0x20) - 'a' + 10
}

// The upstream module's lists: values separated by ", " within a group,
// groups separated by " : ".
const (
	upSep  = ", "
	upGSep = " : "
)

// upstreamAddr is upstream_addr: addresses (runs of characters other than
// ',' and ' ') separated by ", " or " : ", as a list. (The reference's
// alternative "-" never applies: "-" is an address, so it gives {"-"}.)
func upstreamAddr(s string, i, slot int, st *State) (int, bool, error) {
	addr := func(j int) (int, bool) {
		k := j
		for k < len(s) && s[k] != ',' && s[k] != ' ' {
			k++
		}
		return k, k > j
	}
	j, ok := addr(i)
	if !ok {
		return i, false, nil
	}
	first := len(st.spans)
	st.spans = append(st.spans, [2]int{i, j})
	for {
		var sep string
		switch {
		case strings.HasPrefix(s[j:], upSep):
			sep = upSep
		case strings.HasPrefix(s[j:], upGSep):
			sep = upGSep
		default:
			st.vals[slot] = value{kind: vStrList, a: first, b: len(st.spans)}
			return j, true, nil
		}
		k, ok := addr(j + len(sep))
		if !ok {
			st.vals[slot] = value{kind: vStrList, a: first, b: len(st.spans)}
			return j, true, nil
		}
		st.spans = append(st.spans, [2]int{j + len(sep), k})
		j = k
	}
}

// upstreamNumbers is upstream_response_length (integers, or "-" for the
// whole variable), upstream_response_time (doubles, "-" as 0) and
// upstream_status (three-digit statuses, "-" as 0): lists separated by
// ", " and " : ".
func (o *op) upstreamNumbers(s string, i int, st *State) (int, bool, error) {
	item := func(j int) (int, float64, bool) {
		var k int
		var ok bool
		switch o.kind {
		case opUpRespLen:
			k, ok = integer(s, j)
		case opUpRespTime:
			k, ok = double(s, j)
		default:
			k, ok = status(s, j)
		}
		if ok {
			return k, toNumber(s[j:k]), true
		}
		if o.kind != opUpRespLen && j < len(s) && s[j] == '-' {
			return j + 1, 0, true
		}
		return j, 0, false
	}
	first := len(st.nums)
	j, n, ok := item(i)
	if !ok {
		if o.kind == opUpRespLen && i < len(s) && s[i] == '-' {
			st.setStr(o.slot, i, i+1)
			return i + 1, true, nil
		}
		return i, false, nil
	}
	st.nums = append(st.nums, n)
	for {
		sep := ""
		switch {
		case strings.HasPrefix(s[j:], upSep):
			sep = upSep
		case strings.HasPrefix(s[j:], upGSep):
			sep = upGSep
		}
		if sep == "" {
			break
		}
		k, n, ok := item(j + len(sep))
		if !ok {
			break
		}
		st.nums = append(st.nums, n)
		j = k
	}
	switch o.kind {
	case opUpStatus:
		st.vals[o.slot] = value{kind: vNumList, a: first, b: len(st.nums)}
	case opUpRespLen:
		st.vals[o.slot] = value{kind: vNumListRep, a: first, b: len(st.nums), rep: "B"}
	default:
		st.vals[o.slot] = value{kind: vNumListRep, a: first, b: len(st.nums), rep: "s"}
	}
	return j, true, nil
}
