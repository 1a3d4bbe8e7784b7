package clf

import (
	"fmt"
	"strings"
)

// compiler builds a Grammar, tracking what the reference tracks in its
// module-level last_literal: the last character of the literal text before
// a generic variable (or white space), which decides where the variable's
// string ends.
type compiler struct {
	g         *Grammar
	slots     map[string]int
	lastSpace bool
	last      byte
}

func newCompiler(kind, format string) *compiler {
	return &compiler{
		g:         &Grammar{kind: kind, format: format, timeSlot: -1, uaSlot: -1},
		slots:     make(map[string]int),
		lastSpace: true,
	}
}

// slot returns the slot of a field name, adding it in first-capture order.
func (c *compiler) slot(name string) int {
	if k, ok := c.slots[name]; ok {
		return k
	}
	k := len(c.g.names)
	c.slots[name] = k
	c.g.names = append(c.g.names, name)
	switch name {
	case "time":
		c.g.timeSlot = k
	case "http_user_agent":
		c.g.uaSlot = k
	}
	return k
}

func (c *compiler) space() {
	c.g.ops = append(c.g.ops, op{kind: opSpace})
	c.lastSpace = true
}

func (c *compiler) literal(lit string) {
	c.g.ops = append(c.g.ops, op{kind: opLit, lit: lit})
	c.lastSpace, c.last = false, lit[len(lit)-1]
}

// str adds a generic variable: a string ending where the last literal's
// last character (or white space) appears.
func (c *compiler) str(name string) {
	o := op{kind: opString, slot: c.slot(name), stop: stopSpace}
	if !c.lastSpace {
		o.stop, o.stopc = stopByte, c.last
		if c.last == '"' {
			o.stop = stopQuote
		}
	}
	c.g.ops = append(c.g.ops, o)
}

func (c *compiler) add(kind opKind, name, rep string) {
	c.g.ops = append(c.g.ops, op{kind: kind, slot: c.slot(name), rep: rep})
}

func (c *compiler) pattern(name string, pat func(string, int) (int, bool)) {
	c.g.ops = append(c.g.ops, op{kind: opPattern, slot: c.slot(name), pat: pat})
}

// String patterns of the nginx variables captured as the text they match.

func patAny4(s string, i int) (int, bool) { return i + 4, len(s)-i >= 4 }

func optional(lit string) func(string, int) (int, bool) {
	return func(s string, i int) (int, bool) {
		if strings.HasPrefix(s[i:], lit) {
			return i + len(lit), true
		}
		return i, true
	}
}

func oneOfPat(lits ...string) func(string, int) (int, bool) {
	return func(s string, i int) (int, bool) { return oneOf(s, i, lits) }
}

func patVersion(s string, i int) (int, bool) { // digit+ "." digit+ "." digit+
	j, ok := double(s, i)
	if !ok || j+1 >= len(s) || s[j] != '.' || !isDigit(s[j+1]) {
		return i, false
	}
	return digits(s, j+1), true
}

func patMethod(s string, i int) (int, bool) {
	j := i
	for j < len(s) && methodChar[s[j]] {
		j++
	}
	return j, j > i
}

func patProtocol(s string, i int) (int, bool) { // "HTTP/" digit+ "." digit+
	if !strings.HasPrefix(s[i:], "HTTP/") {
		return i, false
	}
	j, ok := double(s, i+5)
	if !ok {
		return i, false
	}
	return j, true
}

func patConnStatus(s string, i int) (int, bool) {
	if i < len(s) && (s[i] == 'X' || s[i] == '+' || s[i] == '-') {
		return i + 1, true
	}
	return i, false
}

// cacheLastModified is the strftime grammar of
// upstream_cache_last_modified.
var cacheLastModified = func() *strftime {
	sf, err := compileStrftime("%a, %d %b %Y %T GMT")
	if err != nil {
		panic(err)
	}
	return sf
}()

// nginxVar adds the grammar of one nginx variable (the reference's
// nginx_format_variables; anything else is a generic string).
func (c *compiler) nginxVar(name string) {
	switch name {
	case "binary_remote_addr":
		c.pattern(name, patAny4)
	case "body_bytes_sent", "bytes_sent", "content_length", "request_length":
		c.add(opIntRep, name, "B")
	case "connection", "connection_requests", "pid", "remote_port", "server_port",
		"tcpinfo_rtt", "tcpinfo_rttvar", "tcpinfo_snd_cwnd", "tcpinfo_rcv_space":
		c.add(opInt, name, "")
	case "host", "hostname", "proxy_protocol_addr", "remote_addr", "server_addr", "server_name":
		c.add(opHost, name, "")
	case "https":
		c.pattern(name, optional("on"))
	case "is_args":
		c.pattern(name, optional("?"))
	case "msec":
		c.add(opMsec, "time", "")
	case "nginx_version":
		c.pattern(name, patVersion)
	case "pipe":
		c.pattern(name, oneOfPat("p", "."))
	case "request_completion":
		c.pattern(name, optional("OK"))
	case "request_method":
		c.pattern(name, patMethod)
	case "request_time":
		c.add(opDoubleRep, name, "s")
	case "scheme":
		c.pattern(name, oneOfPat("https", "http"))
	case "server_protocol":
		c.pattern(name, patProtocol)
	case "status":
		c.add(opStatus, name, "")
	case "time_iso8601":
		c.add(opTimeISO, "time", "")
	case "time_local":
		c.add(opTimeLocal, "time", "")
	case "upstream_addr":
		c.add(opUpAddr, name, "")
	case "upstream_cache_status":
		c.pattern(name, oneOfPat("HIT", "MISS", "EXPIRED", "BYPASS", "STALE", "UPDATING", "REVALIDATED", "-"))
	case "upstream_cache_last_modified":
		c.g.ops = append(c.g.ops, op{kind: opUpCacheLM, slot: c.slot(name), sf: cacheLastModified})
	case "upstream_response_length":
		c.add(opUpRespLen, name, "")
	case "upstream_response_time":
		c.add(opUpRespTime, name, "")
	case "upstream_status":
		c.add(opUpStatus, name, "")
	default:
		c.str(name)
	}
}

func isNameChar(c byte) bool { return isAlnum(c) || c == '_' }

// isNginxVar reports whether a variable ($ and a name) starts at s[i].
func isNginxVar(s string, i int) bool {
	return s[i] == '$' && i+1 < len(s) && isNameChar(s[i+1])
}

// BuildNginx compiles an nginx log_format string: $name variables, white
// space (one or more white-space characters in a line) and literal text.
func BuildNginx(format string) (*Grammar, error) {
	c := newCompiler("nginx", format)
	for i := 0; i < len(format); {
		switch {
		case isSpace(format[i]):
			for i < len(format) && isSpace(format[i]) {
				i++
			}
			c.space()
		case isNginxVar(format, i):
			j := i + 1
			for j < len(format) && isNameChar(format[j]) {
				j++
			}
			c.nginxVar(format[i+1 : j])
			i = j
		default:
			j := i + 1
			for j < len(format) && !isSpace(format[j]) && !isNginxVar(format, j) {
				j++
			}
			c.literal(format[i:j])
			i = j
		}
	}
	if len(c.g.ops) == 0 {
		return nil, &FormatError{Format: format, Msg: "could not parse the log_format configuration"}
	}
	return c.g, nil
}

// apacheDirective parses the directive at s[i:], if one starts there: %
// with an optional < or > and a letter (or %), or % with optional status
// codes, a {argument} and a letter. It returns the directive's length.
func apacheDirective(s string, i int) (letter byte, arg string, hasArg bool, n int) {
	if s[i] != '%' {
		return 0, "", false, 0
	}
	j := i + 1
	if j < len(s) && (s[j] == '<' || s[j] == '>') {
		j++
	}
	if j < len(s) && (isAlpha(s[j]) || s[j] == '%') {
		return s[j], "", false, j + 1 - i
	}
	j = statusCodes(s, i+1)
	if j >= len(s) || s[j] != '{' {
		return 0, "", false, 0
	}
	k := strings.IndexByte(s[j+1:], '}')
	if k <= 0 {
		return 0, "", false, 0
	}
	arg = s[j+1 : j+1+k]
	j += k + 2
	if j < len(s) && (isAlpha(s[j]) || s[j] == '%') {
		return s[j], arg, true, j + 1 - i
	}
	return 0, "", false, 0
}

// statusCodes skips the optional condition of a directive: "!"? ddd
// ("," ddd)*; it returns i when there is none.
func statusCodes(s string, i int) int {
	j := i
	if j < len(s) && s[j] == '!' {
		j++
	}
	k, ok := status(s, j)
	if !ok {
		return i
	}
	for k < len(s) && s[k] == ',' {
		e, ok := status(s, k+1)
		if !ok {
			break
		}
		k = e
	}
	return k
}

// unescapeApache applies the escapes of Apache's LogFormat strings to a
// literal: \t, \n, \", \\ and \ followed by up to three decimal digits (a
// character code).
func unescapeApache(lit string) (string, error) {
	if strings.IndexByte(lit, '\\') < 0 {
		return lit, nil
	}
	var b strings.Builder
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' {
			b.WriteByte(lit[i])
			continue
		}
		if i+1 < len(lit) {
			switch lit[i+1] {
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case '"', '\\':
				b.WriteByte(lit[i+1])
				i++
				continue
			}
		}
		j := i + 1
		for j < len(lit) && j-i <= 3 && isDigit(lit[j]) {
			j++
		}
		if j == i+1 {
			return "", fmt.Errorf("invalid escape sequence in %q", lit)
		}
		n := 0
		for _, d := range lit[i+1 : j] {
			n = n*10 + int(d-'0')
		}
		if n > 255 {
			return "", fmt.Errorf("invalid escape sequence \\%s", lit[i+1:j])
		}
		b.WriteByte(byte(n))
		i = j - 1
	}
	return b.String(), nil
}

// apacheVar adds the grammar of a directive without argument (the
// reference's apache_format_variables).
func (c *compiler) apacheVar(v byte) error {
	switch v {
	case '%':
		c.g.ops = append(c.g.ops, op{kind: opLit, lit: "%"})
	case 'a', 'h':
		c.add(opHost, "remote_addr", "")
	case 'A':
		c.add(opHost, "server_addr", "")
	case 'B':
		c.add(opIntRep, "body_bytes_sent", "B")
	case 'b':
		c.add(opIntDash, "body_bytes_sent", "B")
	case 'D':
		c.add(opIntRep, "request_time", "us")
	case 'f':
		c.str("request_filename")
	case 'H':
		c.pattern("server_protocol", patProtocol)
	case 'k':
		c.add(opInt, "connection_requests", "")
	case 'l', 'u':
		c.str("remote_user")
	case 'L':
		c.str("request_log_id")
	case 'm':
		c.pattern("request_method", patMethod)
	case 'p':
		c.add(opInt, "server_port", "")
	case 'P':
		c.add(opInt, "pid", "")
	case 'q':
		c.str("query_string")
	case 'r':
		c.str("request")
	case 'R':
		c.str("request_handler")
	case 's':
		c.add(opStatus, "status", "")
	case 't':
		c.add(opApacheTime, "time", "")
	case 'T':
		c.add(opIntRep, "request_time", "s")
	case 'U':
		c.str("uri")
	case 'v', 'V':
		c.add(opHost, "server_name", "")
	case 'X':
		c.pattern("connection_status", patConnStatus)
	case 'I':
		c.add(opIntRep, "request_length", "B")
	case 'O':
		c.add(opIntRep, "response_length", "B")
	case 'S':
		c.add(opIntRep, "total_length", "B")
	default:
		return fmt.Errorf("unknown variable: %c", v)
	}
	return nil
}

// nginxName is Apache's header name in nginx's style: lower case, '-'
// replaced by '_'.
func nginxName(a string) string { return strings.ReplaceAll(strings.ToLower(a), "-", "_") }

// apacheArg adds the grammar of a directive with an argument.
func (c *compiler) apacheArg(v byte, a string) error {
	switch v {
	case 'a':
		c.add(opHost, "remote_addr", "")
	case 'C':
		c.str("cookie_" + a)
	case 'e':
		c.str("env_" + a)
	case 'i':
		c.str("http_" + nginxName(a))
	case 'n':
		c.str("module_" + a)
	case 'o':
		c.str("sent_http_" + nginxName(a))
	case 'x':
		c.str(nginxName(a))
	case 'p':
		switch a {
		case "canonical", "local":
			c.add(opInt, "server_port", "")
		case "remote":
			c.add(opInt, "remote_port", "")
		default:
			return fmt.Errorf("unknown port format: %s", a)
		}
	case 'P':
		switch a {
		case "pid":
			c.add(opInt, "pid", "")
		case "tid":
			c.add(opInt, "tid", "")
		case "hextid":
			c.add(opHexTid, "tid", "")
		default:
			return fmt.Errorf("unknown pid format: %s", a)
		}
	case 't':
		return c.apacheTime(a)
	default:
		return fmt.Errorf("unknown variable: %c", v)
	}
	return nil
}

// apacheTime adds %{format}t: sec, msec, usec, msec_frac, usec_frac (after
// an optional begin: or end:), or a strftime format.
func (c *compiler) apacheTime(a string) error {
	rest := a
	if r, ok := strings.CutPrefix(a, "end:"); ok {
		rest = r
	} else if r, ok := strings.CutPrefix(a, "begin:"); ok {
		rest = r
	}
	switch {
	case strings.HasPrefix(rest, "sec"):
		c.add(opSecT, "time", "")
	case strings.HasPrefix(rest, "msec_frac"), strings.HasPrefix(rest, "usec_frac"):
		c.add(opFracT, "sec_frac", "")
	case strings.HasPrefix(rest, "msec"):
		c.add(opMsecT, "time", "")
	case strings.HasPrefix(rest, "usec"):
		c.add(opUsecT, "time", "")
	default:
		sf, err := compileStrftime(a)
		if err != nil {
			return err
		}
		c.g.ops = append(c.g.ops, op{kind: opStrftime, slot: c.slot("time"), sf: sf})
	}
	return nil
}

// BuildApache compiles an Apache LogFormat string: %directives (with
// %{argument}x forms and ignored status-code conditions), white space and
// literal text with Apache's escapes. Field names follow nginx's (%h is
// remote_addr, %{User-Agent}i http_user_agent, %t time...).
func BuildApache(format string) (*Grammar, error) {
	c := newCompiler("apache", format)
	fail := func(err error) (*Grammar, error) {
		return nil, &FormatError{Format: format, Msg: err.Error()}
	}
	for i := 0; i < len(format); {
		if isSpace(format[i]) {
			for i < len(format) && isSpace(format[i]) {
				i++
			}
			c.space()
			continue
		}
		if v, arg, hasArg, n := apacheDirective(format, i); n > 0 {
			var err error
			if hasArg {
				err = c.apacheArg(v, arg)
			} else {
				err = c.apacheVar(v)
			}
			if err != nil {
				return fail(err)
			}
			i += n
			continue
		}
		j := i + 1
		for j < len(format) && !isSpace(format[j]) {
			if _, _, _, n := apacheDirective(format, j); n > 0 {
				break
			}
			j++
		}
		lit, err := unescapeApache(format[i:j])
		if err != nil {
			return fail(err)
		}
		c.literal(lit)
		i = j
	}
	if len(c.g.ops) == 0 {
		return nil, &FormatError{Format: format, Msg: "could not parse the log_format configuration"}
	}
	return c.g, nil
}
