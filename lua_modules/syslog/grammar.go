package syslog

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sightline/sightline/lua_modules/datetime"
)

// Kind says what a Capture holds.
type Kind uint8

// The kinds of capture, with the Lua value each becomes.
const (
	String Kind = iota // Str: a string
	Number             // Num: a number
	Pri                // %PRI%: {facility=Num, severity=Num2}
	Tag                // %syslogtag%: {programname=Str, pid=Num (when HasPid)}
	SD                 // %STRUCTURED-DATA%: see StructuredData
)

// Capture is one named capture of a template match.
type Capture struct {
	Name   string
	Kind   Kind
	Str    string
	Num    float64
	Num2   float64
	HasPid bool
	SD     *StructuredData
}

// StructuredData is what %STRUCTURED-DATA% captures: the reference's
// table {id=<SD-ID>, _<param>=<value>, ...}. With several SD elements (the
// reference matches one), IDs holds each element's id and Params every
// element's parameters (a name given again replaces its value).
type StructuredData struct {
	IDs    []string
	Params []Param
	names  map[string]string // param name -> "_" + name, so that repeated names do not allocate
}

// paramName returns "_" + name.
func (sd *StructuredData) paramName(name string) string {
	if p, ok := sd.names[name]; ok {
		return p
	}
	p := "_" + name
	if sd.names == nil || len(sd.names) >= 1024 {
		sd.names = make(map[string]string)
	}
	sd.names[strings.Clone(name)] = p
	return p
}

// Param is one SD-PARAM, its name prefixed with "_" as the reference does.
type Param struct {
	Name, Value string
}

func (sd *StructuredData) reset() {
	sd.IDs = sd.IDs[:0]
	sd.Params = sd.Params[:0]
}

func (sd *StructuredData) set(name, value string) {
	for i := range sd.Params {
		if sd.Params[i].Name == name {
			sd.Params[i].Value = value
			return
		}
	}
	sd.Params = append(sd.Params, Param{Name: name, Value: value})
}

// Captures are the captures of a template match in the order their names
// were first captured, as the keys of the reference's capture table (a
// name captured again replaces its value in place). Deleted entries keep
// their place, as gopher-lua's tables keep a key's place when it is set to
// nil and set again.
type Captures struct {
	list    []Capture
	deleted []bool
	sd      StructuredData // the storage of the SD capture
	m       matcher        // reused by Match
}

// Len returns the number of entries, deleted ones included.
func (c *Captures) Len() int { return len(c.list) }

// At returns entry i and whether it is present.
func (c *Captures) At(i int) (*Capture, bool) { return &c.list[i], !c.deleted[i] }

// Get returns the capture named name.
func (c *Captures) Get(name string) (*Capture, bool) {
	for i := range c.list {
		if c.list[i].Name == name && !c.deleted[i] {
			return &c.list[i], true
		}
	}
	return nil, false
}

// Set sets the capture of its name, in place when the name was captured
// (or deleted) before, else at the end.
func (c *Captures) Set(cp Capture) {
	for i := range c.list {
		if c.list[i].Name == cp.Name {
			c.list[i] = cp
			c.deleted[i] = false
			return
		}
	}
	c.list = append(c.list, cp)
	c.deleted = append(c.deleted, false)
}

// Delete removes the capture named name (t[name] = nil).
func (c *Captures) Delete(name string) {
	for i := range c.list {
		if c.list[i].Name == name {
			c.deleted[i] = true
		}
	}
}

func (c *Captures) reset() {
	c.list = c.list[:0]
	c.deleted = c.deleted[:0]
	c.sd.reset()
}

// propFunc matches a property at pos and captures it under name.
type propFunc func(m *matcher, pos int, name string) (int, bool)

// matcher is the state of one match.
type matcher struct {
	s   string
	c   *Captures
	tc  datetime.Captures // scratch for timestamps
	err error             // an error raised by a capture (the match fails)
}

// element is one item of a compiled template.
type element struct {
	kind    elemKind
	literal string
	name    string // property: the capture name
	prop    propFunc
	stop    byte // msg: the byte it stops before
}

type elemKind uint8

const (
	elemSpace   elemKind = iota // one whitespace character
	elemLiteral                 // literal text
	elemSpaces                  // sp-if-no-1st-sp: one or more spaces
	elemMsg                     // %msg%: everything up to stop
	elemProp                    // any other property
)

// Template is a compiled rsyslog template: what build_rsyslog_grammar
// returns.
type Template struct {
	text  string
	elems []element
}

// String returns the template text.
func (t *Template) String() string { return t.text }

// ErrTemplate reports a template that cannot be parsed.
var ErrTemplate = errors.New("could not parse the rsyslog template")

// Compile compiles an rsyslog template as build_rsyslog_grammar does (see
// the package documentation).
func Compile(template string) (*Template, error) {
	if template == "" {
		return nil, ErrTemplate
	}
	t := &Template{text: template}
	last := byte('\n')
	for i := 0; i < len(template); {
		if isSpace(template[i]) {
			t.elems = append(t.elems, element{kind: elemSpace})
			i++
			continue
		}
		if p, end, ok := parseProperty(template, i); ok {
			el, err := lookupProperty(p, last)
			if err != nil {
				return nil, err
			}
			if el.kind != elemSpaces {
				last = '\n'
			}
			t.elems = append(t.elems, el)
			i = end
			continue
		}
		j := i + 1
		for j < len(template) && !isSpace(template[j]) {
			if _, _, ok := parseProperty(template, j); ok {
				break
			}
			j++
		}
		lit, err := unescape(template[i:j])
		if err != nil {
			return nil, err
		}
		if lit != "" {
			last = lit[len(lit)-1]
			t.elems = append(t.elems, element{kind: elemLiteral, literal: lit})
		}
		i = j
	}
	return t, nil
}

// property is a parsed %name:from:to:options% reference.
type property struct {
	name, options string
	hasOptions    bool
}

// parseProperty parses a property at i as the reference's LPeg pattern
// does: "%" name [":" from ":" to] [":" options] "%", where name is
// letters, digits, '-' and '$', from runs to the next ':', to and options
// to the next '%' (to also stops at ':').
func parseProperty(t string, i int) (property, int, bool) {
	var p property
	if i >= len(t) || t[i] != '%' {
		return p, i, false
	}
	j := i + 1
	for j < len(t) && (isAlnum(t[j]) || t[j] == '-' || t[j] == '$') {
		j++
	}
	if j == i+1 {
		return p, i, false
	}
	p.name = t[i+1 : j]
	// substr: ":" (not ':')* ":" (not ':' or '%')*
	if j < len(t) && t[j] == ':' {
		k := j + 1
		for k < len(t) && t[k] != ':' {
			k++
		}
		if k < len(t) {
			k++
			for k < len(t) && t[k] != ':' && t[k] != '%' {
				k++
			}
			j = k
		}
	}
	if j < len(t) && t[j] == ':' {
		k := j + 1
		for k < len(t) && t[k] != '%' {
			k++
		}
		p.options, p.hasOptions = t[j+1:k], true
		j = k
	}
	if j >= len(t) || t[j] != '%' {
		return p, i, false
	}
	return p, j + 1, true
}

var escapes = map[byte]byte{'t': '\t', 'n': '\n', 'r': '\r', '"': '"', '\'': '\'', '\\': '\\', '%': '%',
	'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}

// unescape applies the template's backslash escapes to a literal.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) {
			if e, ok := escapes[s[i+1]]; ok {
				b.WriteByte(e)
				i++
				continue
			}
		}
		j := i + 1
		for j < len(s) && j-i <= 3 && isDigit(s[j]) {
			j++
		}
		if j == i+1 {
			return "", fmt.Errorf("invalid escape sequence in the rsyslog template: %q", s[i:min(i+2, len(s))])
		}
		n, _ := strconv.Atoi(s[i+1 : j])
		if n > 255 {
			return "", fmt.Errorf("invalid escape sequence in the rsyslog template: %q", s[i:j])
		}
		b.WriteByte(byte(n))
		i = j - 1
	}
	return b.String(), nil
}

// lookupProperty returns the element of a property; last is the last
// byte of the literal before it, where %msg% stops.
func lookupProperty(p property, last byte) (element, error) {
	if p.hasOptions && p.options == "sp-if-no-1st-sp" {
		return element{kind: elemSpaces}, nil
	}
	name := strings.ToLower(p.name)
	if name == "msg" {
		return element{kind: elemMsg, name: name, stop: last}, nil
	}
	switch name {
	case "timegenerated", "timereported", "timestamp":
		if name == "timereported" {
			name = "timestamp"
		}
		return element{kind: elemProp, name: name, prop: timeProp(strings.ToLower(p.options))}, nil
	}
	f, ok := properties[name]
	if !ok {
		return element{}, fmt.Errorf("invalid rsyslog property: '%s'", name)
	}
	return element{kind: elemProp, name: name, prop: f}, nil
}

// Match matches the template against s from byte offset pos, filling c
// (reset first). The error is one a capture raised (a PRI without digits,
// a timestamp without a day): the reference raises it from match.
func (t *Template) Match(s string, pos int, c *Captures) (bool, error) {
	c.reset()
	m := &c.m
	m.s, m.c, m.err, m.tc = s, c, nil, m.tc[:0]
	ok, err := t.match(m, pos)
	m.s = ""
	return ok, err
}

func (t *Template) match(m *matcher, pos int) (bool, error) {
	s := m.s
	for i := range t.elems {
		el := &t.elems[i]
		switch el.kind {
		case elemSpace:
			if pos >= len(s) || !isSpace(s[pos]) {
				return false, nil
			}
			pos++
		case elemLiteral:
			if !strings.HasPrefix(s[pos:], el.literal) {
				return false, nil
			}
			pos += len(el.literal)
		case elemSpaces:
			end := pos
			for end < len(s) && s[end] == ' ' {
				end++
			}
			if end == pos {
				return false, nil
			}
			pos = end
		case elemMsg:
			end := strings.IndexByte(s[pos:], el.stop)
			if end < 0 {
				end = len(s)
			} else {
				end += pos
			}
			m.c.Set(Capture{Name: el.name, Kind: String, Str: s[pos:end]})
			pos = end
		case elemProp:
			end, ok := el.prop(m, pos, el.name)
			if m.err != nil {
				return false, m.err
			}
			if !ok {
				return false, nil
			}
			pos = end
		}
	}
	return true, nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isAlnum(b byte) bool { return isDigit(b) || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func isSpace(b byte) bool { return b == ' ' || b >= '\t' && b <= '\r' }

func isPrint(b byte) bool { return b >= '!' && b <= '~' }

// str captures s[pos:end] as a string.
func (m *matcher) str(name string, pos, end int) (int, bool) {
	m.c.Set(Capture{Name: name, Kind: String, Str: m.s[pos:end]})
	return end, true
}

// run returns the end of the longest run (at most max, 0 = unlimited) of
// bytes at pos for which ok holds.
func (m *matcher) run(pos, max int, ok func(byte) bool) int {
	end := pos
	for end < len(m.s) && (max == 0 || end-pos < max) && ok(m.s[end]) {
		end++
	}
	return end
}

// nilOr is the reference's nilvalue + printusascii^-max: "-" when the
// field starts with '-', else up to max printable characters.
func nilOr(max int) propFunc {
	return func(m *matcher, pos int, name string) (int, bool) {
		if pos < len(m.s) && m.s[pos] == '-' {
			return m.str(name, pos, pos+1)
		}
		return m.str(name, pos, m.run(pos, max, isPrint))
	}
}

func isProgramChar(b byte) bool { return isPrint(b) && b != ':' && b != '[' }

// Severity and facility names (rsyslog's msg.c), tried in this order as
// the reference's ordered choice does (so "authpriv" matches "auth").
var severityNames = []struct {
	name string
	v    float64
}{
	{"debug", 7}, {"DEBUG", 7}, {"info", 6}, {"INFO", 6}, {"notice", 5}, {"NOTICE", 5},
	{"warning", 4}, {"WARNING", 4}, {"warn", 4}, {"WARN", 4}, {"error", 3}, {"ERROR", 3},
	{"err", 3}, {"ERR", 3}, {"crit", 2}, {"CRIT", 2}, {"alert", 1}, {"ALERT", 1},
	{"emerg", 0}, {"EMERG", 0}, {"panic", 0}, {"PANIC", 0},
}

var facilityNames = []struct {
	name string
	v    float64
}{
	{"kern", 0}, {"KERN", 0}, {"user", 1}, {"USER", 1}, {"mail", 2}, {"MAIL", 2}, {"daemon", 3}, {"DAEMON", 3},
	{"auth", 4}, {"AUTH", 4}, {"security", 4}, {"SECURITY", 4}, {"syslog", 5}, {"SYSLOG", 5},
	{"lpr", 6}, {"LPR", 6}, {"news", 7}, {"NEWS", 7}, {"uucp", 8}, {"UUCP", 8}, {"cron", 9}, {"CRON", 9},
	{"authpriv", 10}, {"AUTHPRIV", 10}, {"ftp", 11}, {"FTP", 11}, {"ntp", 12}, {"NTP", 12},
	{"audit", 13}, {"AUDIT", 13}, {"alert", 14}, {"ALERT", 14}, {"clock", 15}, {"CLOCK", 15},
	{"local0", 16}, {"LOCAL0", 16}, {"local1", 17}, {"LOCAL1", 17}, {"local2", 18}, {"LOCAL2", 18},
	{"local3", 19}, {"LOCAL3", 19}, {"local4", 20}, {"LOCAL4", 20}, {"local5", 21}, {"LOCAL5", 21},
	{"local6", 22}, {"LOCAL6", 22}, {"local7", 23}, {"LOCAL7", 23},
}

func nameValue(s string, pos int, list []struct {
	name string
	v    float64
}) (float64, int, bool) {
	for _, e := range list {
		if strings.HasPrefix(s[pos:], e.name) {
			return e.v, pos + len(e.name), true
		}
	}
	return 0, pos, false
}

// priDigits matches up to three digits and captures the PRI table; no
// digits raise the reference's arithmetic error.
func (m *matcher) pri(pos int, name string) (int, bool) {
	end := m.run(pos, 3, isDigit)
	if end == pos {
		m.err = errors.New("attempt to perform arithmetic on local 'pri' (a nil value)")
		return pos, false
	}
	n, _ := strconv.Atoi(m.s[pos:end])
	m.c.Set(Capture{Name: name, Kind: Pri, Num: float64(n / 8), Num2: float64(n % 8)})
	return end, true
}

var properties map[string]propFunc

func init() {
	properties = map[string]propFunc{
		"rawmsg":   func(m *matcher, pos int, name string) (int, bool) { return m.str(name, pos, len(m.s)) },
		"hostname": nilOr(255), "source": nilOr(255), "fromhost": nilOr(255),
		"fromhost-ip": func(m *matcher, pos int, name string) (int, bool) {
			end, ok := ipAddress(m.s, pos)
			if !ok {
				return pos, false
			}
			return m.str(name, pos, end)
		},
		"syslogtag": func(m *matcher, pos int, name string) (int, bool) {
			end := m.run(pos, 0, isProgramChar)
			cp := Capture{Name: name, Kind: Tag, Str: m.s[pos:end]}
			if end < len(m.s) && m.s[end] == '[' {
				d := m.run(end+1, 0, isDigit)
				if d > end+1 && d < len(m.s) && m.s[d] == ']' {
					n, _ := strconv.ParseFloat(m.s[end+1:d], 64)
					cp.Num, cp.HasPid = n, true
					end = d + 1
				}
			}
			if end < len(m.s) && m.s[end] == ':' {
				end++
			}
			m.c.Set(cp)
			return end, true
		},
		"programname": func(m *matcher, pos int, name string) (int, bool) {
			return m.str(name, pos, m.run(pos, 0, isProgramChar))
		},
		"pri": func(m *matcher, pos int, name string) (int, bool) { return m.pri(pos, name) },
		"pri-text": func(m *matcher, pos int, name string) (int, bool) {
			fac, end, ok := nameValue(m.s, pos, facilityNames)
			if !ok || end >= len(m.s) || m.s[end] != '.' {
				return pos, false
			}
			if _, end, ok = nameValue(m.s, end+1, severityNames); !ok || end >= len(m.s) || m.s[end] != '<' {
				return pos, false
			}
			// The group keeps its first value only: the facility.
			end, ok = m.pri(end+1, name)
			if !ok || end >= len(m.s) || m.s[end] != '>' {
				return pos, false
			}
			m.c.Set(Capture{Name: name, Kind: Number, Num: fac})
			return end + 1, true
		},
		"iut": func(m *matcher, pos int, name string) (int, bool) {
			end := m.run(pos, 0, isDigit)
			if end == pos {
				return pos, false
			}
			return m.str(name, pos, end)
		},
		"syslogfacility": func(m *matcher, pos int, name string) (int, bool) {
			end := m.run(pos, 3, isDigit)
			if end > pos {
				n, _ := strconv.Atoi(m.s[pos:end])
				m.c.Set(Capture{Name: name, Kind: Number, Num: float64(n)})
			}
			return end, true
		},
		"syslogfacility-text": textProp(facilityNames),
		"syslogseverity":      digitProp, "syslogpriority": digitProp,
		"syslogseverity-text": textProp(severityNames), "syslogpriority-text": textProp(severityNames),
		"protocol-version": func(m *matcher, pos int, name string) (int, bool) {
			end := m.run(pos, 0, isDigit)
			if end == pos {
				return pos, false
			}
			return m.str(name, pos, end)
		},
		"structured-data": structuredData,
		"app-name":        nilOr(48), "procid": nilOr(128), "msgid": nilOr(32),
		"inputname": func(m *matcher, pos int, name string) (int, bool) { return m.str(name, pos, m.run(pos, 0, isPrint)) },
		"$bom": func(m *matcher, pos int, name string) (int, bool) {
			if !strings.HasPrefix(m.s[pos:], "\xef\xbb\xbf") {
				return pos, false
			}
			return m.str(name, pos, pos+3)
		},
		"$now":    dateProp(datetime.FullDate),
		"$year":   dateProp(datetime.FullYear),
		"$month":  dateProp(datetime.Month),
		"$day":    dateProp(datetime.MDay),
		"$hour":   dateProp(datetime.Hour),
		"$minute": dateProp(datetime.Minute),
		"$hhour":  pairProp('0', '0', '0', '1'),
		"$qhour":  pairProp('0', '0', '0', '3'),
	}
}

func digitProp(m *matcher, pos int, name string) (int, bool) {
	if pos >= len(m.s) || !isDigit(m.s[pos]) {
		return pos, false
	}
	m.c.Set(Capture{Name: name, Kind: Number, Num: float64(m.s[pos] - '0')})
	return pos + 1, true
}

func textProp(list []struct {
	name string
	v    float64
}) propFunc {
	return func(m *matcher, pos int, name string) (int, bool) {
		v, end, ok := nameValue(m.s, pos, list)
		if ok {
			m.c.Set(Capture{Name: name, Kind: Number, Num: v})
		}
		return end, ok
	}
}

func pairProp(a0, a1, b0, b1 byte) propFunc {
	return func(m *matcher, pos int, name string) (int, bool) {
		if pos+1 < len(m.s) && m.s[pos] >= a0 && m.s[pos] <= a1 && m.s[pos+1] >= b0 && m.s[pos+1] <= b1 {
			return m.str(name, pos, pos+2)
		}
		return pos, false
	}
}

// dateProp captures the text a date_time building block matches (its own
// named captures give no value inside the property's group).
func dateProp(g *datetime.Grammar) propFunc {
	return func(m *matcher, pos int, name string) (int, bool) {
		end, ok := g.Match(m.s, pos, &m.tc)
		if !ok {
			return pos, false
		}
		return m.str(name, pos, end)
	}
}

// timeProp returns the matcher of a timestamp property with the given
// option (date-rfc3339, ...); the capture is nanoseconds.
func timeProp(option string) propFunc {
	var g *datetime.Grammar
	switch option {
	case "date-mysql":
		g = datetime.MySQL
	case "date-pgsql":
		g = datetime.PgSQL
	case "date-rfc3339":
		g = datetime.RFC3339
	case "date-unixtimestamp", "date-subseconds":
		unix := option == "date-unixtimestamp"
		return func(m *matcher, pos int, name string) (int, bool) {
			end := m.run(pos, 0, isDigit)
			if end == pos {
				return pos, false
			}
			n, _ := strconv.ParseFloat(m.s[pos:end], 64)
			if unix {
				n *= 1e9
			}
			m.c.Set(Capture{Name: name, Kind: Number, Num: n})
			return end, true
		}
	default:
		g = datetime.RFC3164
	}
	return func(m *matcher, pos int, name string) (int, bool) {
		end, ok := g.Match(m.s, pos, &m.tc)
		if !ok {
			return pos, false
		}
		ns, err := datetime.TimeToNs(m.tc)
		if err != nil {
			m.err = err
			return pos, false
		}
		m.c.Set(Capture{Name: name, Kind: Number, Num: ns})
		return end, true
	}
}

// structuredData matches "-" (an empty table) or SD elements.
func structuredData(m *matcher, pos int, name string) (int, bool) {
	sd := &m.c.sd
	sd.reset()
	if pos < len(m.s) && m.s[pos] == '-' {
		m.c.Set(Capture{Name: name, Kind: SD, SD: sd})
		return pos + 1, true
	}
	end, ok := sdElement(m.s, pos, sd)
	if !ok {
		return pos, false
	}
	for {
		e, ok := sdElement(m.s, end, sd)
		if !ok {
			break
		}
		end = e
	}
	m.c.Set(Capture{Name: name, Kind: SD, SD: sd})
	return end, true
}

func isSDNameChar(b byte) bool { return isPrint(b) && b != '=' && b != ']' && b != '"' }

// sdElement matches "[" SD-ID (" " name "=" quoted-value)* "]".
func sdElement(s string, pos int, sd *StructuredData) (int, bool) {
	if pos >= len(s) || s[pos] != '[' {
		return pos, false
	}
	nids, nparams := len(sd.IDs), len(sd.Params)
	p := pos + 1
	end := p
	for end < len(s) && end-p < 32 && isSDNameChar(s[end]) {
		end++
	}
	sd.IDs = append(sd.IDs, s[p:end])
	for {
		q := end
		if q >= len(s) || s[q] != ' ' {
			break
		}
		q++
		n := q
		for n < len(s) && n-q < 32 && isSDNameChar(s[n]) {
			n++
		}
		if !strings.HasPrefix(s[n:], `="`) {
			break
		}
		v := n + 2
		escaped := false
		for v < len(s) {
			b := s[v]
			if b == '\\' && v+1 < len(s) {
				escaped = true
				v += 2
				continue
			}
			if b == '"' || b == '\\' || b == ']' {
				break
			}
			v++
		}
		if v >= len(s) || s[v] != '"' {
			break
		}
		val := s[n+2 : v]
		if escaped {
			val = unescapeParam(val)
		}
		sd.set(sd.paramName(s[q:n]), val)
		end = v + 1
	}
	if end >= len(s) || s[end] != ']' {
		sd.IDs, sd.Params = sd.IDs[:nids], sd.Params[:nparams]
		return pos, false
	}
	return end + 1, true
}

// unescapeParam undoes \" \\ and \] in a PARAM-VALUE.
func unescapeParam(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\' || v[i+1] == ']') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// ipAddress matches an IPv4 address (dotted quad) or, failing that, the
// longest run of hex digits, ':' and '.' that parses as an IPv6 address.
func ipAddress(s string, pos int) (int, bool) {
	if end, ok := ipv4(s, pos); ok {
		return end, true
	}
	end := pos
	for end < len(s) && (isHex(s[end]) || s[end] == ':' || s[end] == '.') {
		end++
	}
	if a, err := netip.ParseAddr(s[pos:end]); err == nil && a.Is6() {
		return end, true
	}
	return pos, false
}

func isHex(b byte) bool { return isDigit(b) || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' }

func ipv4(s string, pos int) (int, bool) {
	p := pos
	for i := range 4 {
		if i > 0 {
			if p >= len(s) || s[p] != '.' {
				return pos, false
			}
			p++
		}
		n, e := 0, p
		for e < len(s) && e-p < 3 && isDigit(s[e]) && n*10+int(s[e]-'0') <= 255 {
			n = n*10 + int(s[e]-'0')
			e++
		}
		if e == p {
			return pos, false
		}
		p = e
	}
	return p, true
}
