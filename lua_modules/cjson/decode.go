package cjson

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// Token types, named as Lua CJSON names them in its errors.
type tokenType uint8

const (
	tObjBegin tokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var tokenNames = [...]string{
	"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
	"T_WHITESPACE", "T_ERROR", "T_UNKNOWN",
}

// char2token classifies the first byte of a token.
var char2token = func() (t [256]tokenType) {
	for i := range t {
		t[i] = tError
	}
	t['{'], t['}'], t['['], t[']'] = tObjBegin, tObjEnd, tArrBegin, tArrEnd
	t[','], t[':'], t[0] = tComma, tColon, tEnd
	t[' '], t['\t'], t['\n'], t['\r'] = tWhitespace, tWhitespace, tWhitespace, tWhitespace
	for _, c := range "fiInNt\"+-0123456789" {
		t[c] = tUnknown
	}
	return t
}()

// escape2char maps the byte after a backslash to what it stands for; 0
// is an invalid escape, 'u' a Unicode escape.
var escape2char = func() (t [256]byte) {
	t['"'], t['\\'], t['/'] = '"', '\\', '/'
	t['b'], t['t'], t['n'], t['f'], t['r'] = '\b', '\t', '\n', '\f', '\r'
	t['u'] = 'u'
	return t
}()

type token struct {
	typ   tokenType
	index int    // 0-based offset of the token (of the error for tError)
	str   string // tString: the value; tError: the error
	owned bool   // tString: str is a copy, not a slice of the text
	num   float64
	b     bool
}

// decoder parses one JSON text into Lua values. It is reused between
// calls: stack holds the values of the containers being built, tmp the
// bytes of a string with escapes, keys the object keys seen recently
// (their strings are reused).
type decoder struct {
	st       *state
	L        *lua.LState
	data     string
	pos      int
	depth    int
	stack    []lua.LValue // values of the containers being built
	keyStack []string     // keys of the objects being built
	tmp      []byte
	keys     map[string]string
}

// maxKeyCache bounds the object keys decode keeps to reuse their strings.
const (
	maxKeyCache = 512
	maxKeyLen   = 64
)

// decode returns the Lua value of a JSON text; errors are raised in L.
func (d *decoder) decode(L *lua.LState, text string) lua.LValue {
	d.L, d.data, d.pos, d.depth = L, text, 0, 0
	defer d.reset()
	// Only the first character of a JSON text is sure to be ASCII, which
	// is enough to tell UTF-16 and UTF-32 (RFC 4627 §3).
	if len(text) >= 2 && (text[0] == 0 || text[1] == 0) {
		L.RaiseError("JSON parser does not support UTF-16 or UTF-32")
	}
	var tok token
	d.next(&tok)
	v := d.value(&tok)
	d.next(&tok)
	if tok.typ != tEnd {
		d.fail("the end", &tok)
	}
	return v
}

func (d *decoder) reset() {
	d.L, d.data = nil, ""
	clear(d.stack)
	clear(d.keyStack)
	d.stack, d.keyStack = d.stack[:0], d.keyStack[:0]
	if cap(d.stack) > 4096 {
		d.stack = nil
	}
	if cap(d.keyStack) > 4096 {
		d.keyStack = nil
	}
	if cap(d.tmp) > keepBuffer {
		d.tmp = nil
	}
}

// at returns the byte at i, 0 past the end: the text is read as the C
// string Lua CJSON reads.
func (d *decoder) at(i int) byte {
	if i < len(d.data) {
		return d.data[i]
	}
	return 0
}

func (d *decoder) fail(expected string, tok *token) {
	found := tokenNames[tok.typ]
	if tok.typ == tError {
		found = tok.str
	}
	d.L.RaiseError("Expected %s but found %s at character %d", expected, found, tok.index+1)
}

func (d *decoder) setError(tok *token, msg string) {
	tok.typ, tok.index, tok.str = tError, d.pos, msg
}

// next reads the token at d.pos.
func (d *decoder) next(tok *token) {
	var c byte
	for {
		c = d.at(d.pos)
		tok.typ = char2token[c]
		if tok.typ != tWhitespace {
			break
		}
		d.pos++
	}
	tok.index = d.pos
	switch tok.typ {
	case tError:
		d.setError(tok, "invalid token")
		return
	case tEnd:
		return
	case tUnknown:
	default:
		d.pos++
		return
	}
	rest := d.data[d.pos:]
	switch {
	case c == '"':
		d.stringToken(tok)
	case c == '-' || ('0' <= c && c <= '9'):
		if !d.st.decodeInvalid && invalidNumber(rest) {
			d.setError(tok, "invalid number")
			return
		}
		d.numberToken(tok)
	case hasPrefix(rest, "true"):
		tok.typ, tok.b = tBoolean, true
		d.pos += 4
	case hasPrefix(rest, "false"):
		tok.typ, tok.b = tBoolean, false
		d.pos += 5
	case hasPrefix(rest, "null"):
		tok.typ = tNull
		d.pos += 4
	case d.st.decodeInvalid && invalidNumber(rest):
		d.numberToken(tok)
	default:
		d.setError(tok, "invalid token")
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func (d *decoder) numberToken(tok *token) {
	f, n := strtod(d.data[d.pos:])
	if n == 0 {
		d.setError(tok, "invalid number")
		return
	}
	tok.typ, tok.num = tNumber, f
	d.pos += n
}

// stringToken reads a string; d.pos is at its opening quote.
func (d *decoder) stringToken(tok *token) {
	d.pos++
	start := d.pos
	s := d.data
	// Fast path: no escapes.
	i := start
	for i < len(s) && s[i] != '"' && s[i] != '\\' && s[i] != 0 {
		i++
	}
	if i < len(s) && s[i] == '"' {
		tok.typ, tok.str, tok.owned = tString, s[start:i], false
		d.pos = i + 1
		return
	}
	b := append(d.tmp[:0], s[start:i]...)
	d.pos = i
	for {
		c := d.at(d.pos)
		if c == '"' {
			break
		}
		if c == 0 {
			d.tmp = b
			d.setError(tok, "unexpected end of string")
			return
		}
		if c != '\\' {
			b = append(b, c)
			d.pos++
			continue
		}
		esc := escape2char[d.at(d.pos+1)]
		if esc == 'u' {
			var ok bool
			if b, ok = d.unicodeEscape(b); !ok {
				d.tmp = b
				d.setError(tok, "invalid unicode escape code")
				return
			}
			continue
		}
		if esc == 0 {
			d.tmp = b
			d.setError(tok, "invalid escape code")
			return
		}
		b = append(b, esc)
		d.pos += 2
	}
	d.pos++
	d.tmp = b
	tok.typ, tok.str, tok.owned = tString, string(b), true
}

// unicodeEscape appends the UTF-8 of the \uXXXX escape (or surrogate
// pair) at d.pos and moves past it.
func (d *decoder) unicodeEscape(b []byte) ([]byte, bool) {
	cp := d.hex4(d.pos + 2)
	if cp < 0 {
		return b, false
	}
	n := 6
	if cp&0xF800 == 0xD800 {
		// A surrogate: it must be a high one followed by a low one.
		if cp&0x400 != 0 || d.at(d.pos+6) != '\\' || d.at(d.pos+7) != 'u' {
			return b, false
		}
		lo := d.hex4(d.pos + 8)
		if lo < 0 || lo&0xFC00 != 0xDC00 {
			return b, false
		}
		cp = ((cp&0x3FF)<<10 | lo&0x3FF) + 0x10000
		n = 12
	}
	d.pos += n
	return utf8.AppendRune(b, rune(cp)), true
}

func (d *decoder) hex4(i int) int {
	v := 0
	for k := range 4 {
		c := d.at(i + k)
		var h int
		switch {
		case '0' <= c && c <= '9':
			h = int(c - '0')
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			h = int(c|0x20-'a') + 10
		default:
			return -1
		}
		v = v<<4 | h
	}
	return v
}

// descend enters a container, raising the nesting error when too deep.
func (d *decoder) descend() {
	d.depth++
	if d.depth <= d.st.decodeMaxDepth && d.depth <= maxNesting {
		return
	}
	d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, d.pos)
}

// value turns the token just read, and what follows it for a container,
// into a Lua value. LNil stands for a dropped null.
func (d *decoder) value(tok *token) lua.LValue {
	switch tok.typ {
	case tString:
		if tok.owned {
			return lua.LString(tok.str)
		}
		// A copy, so the value does not keep the whole text alive.
		return lua.LString(strings.Clone(tok.str))
	case tNumber:
		return number(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tObjBegin:
		return d.object()
	case tArrBegin:
		return d.array()
	case tNull:
		if d.st.decodeNull {
			return d.st.null
		}
		return lua.LNil
	}
	d.fail("value", tok)
	return nil
}

func (d *decoder) object() lua.LValue {
	d.descend()
	base, kbase := len(d.stack), len(d.keyStack)
	var tok token
	d.next(&tok)
	if tok.typ != tObjEnd {
		for {
			if tok.typ != tString {
				d.fail("object key string", &tok)
			}
			d.keyStack = append(d.keyStack, d.key(&tok))
			d.next(&tok)
			if tok.typ != tColon {
				d.fail("colon", &tok)
			}
			d.next(&tok)
			// A dropped null is kept too: setting it removes an earlier
			// value of the same key, as Lua CJSON's rawset does.
			d.stack = append(d.stack, d.value(&tok))
			d.next(&tok)
			if tok.typ == tObjEnd {
				break
			}
			if tok.typ != tComma {
				d.fail("comma or object end", &tok)
			}
			d.next(&tok)
		}
	}
	d.depth--
	keys, vals := d.keyStack[kbase:], d.stack[base:]
	t := d.L.CreateTable(0, len(vals))
	for i, k := range keys {
		t.RawSetString(k, vals[i])
	}
	clear(keys)
	clear(vals)
	d.keyStack, d.stack = d.keyStack[:kbase], d.stack[:base]
	return t
}

// key returns the object key tok holds, reusing the string of a key seen
// before.
func (d *decoder) key(tok *token) string {
	s := tok.str
	if len(s) > maxKeyLen {
		if tok.owned {
			return s
		}
		return strings.Clone(s)
	}
	if k, ok := d.keys[s]; ok {
		return k
	}
	if !tok.owned {
		s = strings.Clone(s)
	}
	if d.keys == nil {
		d.keys = make(map[string]string)
	}
	if len(d.keys) >= maxKeyCache {
		clear(d.keys)
	}
	d.keys[s] = s
	return s
}

func (d *decoder) array() lua.LValue {
	d.descend()
	base := len(d.stack)
	var tok token
	d.next(&tok)
	if tok.typ != tArrEnd {
		for {
			d.stack = append(d.stack, d.value(&tok))
			d.next(&tok)
			if tok.typ == tArrEnd {
				break
			}
			if tok.typ != tComma {
				d.fail("comma or array end", &tok)
			}
			d.next(&tok)
		}
	}
	d.depth--
	vs := d.stack[base:]
	// At least one slot, so an empty array keeps an array part and
	// encodes as [] again.
	t := d.L.CreateTable(max(len(vs), 1), 0)
	for i, v := range vs {
		if v != lua.LNil {
			t.RawSetInt(i+1, v)
		}
	}
	clear(vs)
	d.stack = d.stack[:base]
	return t
}

// smallInts are the boxed values of the integers 0..1023, shared so that
// decoding common numbers (status codes, counts) allocates nothing.
var smallInts = func() (t [1024]lua.LValue) {
	for i := range t {
		t[i] = lua.LNumber(i)
	}
	return t
}()

func number(f float64) lua.LValue {
	if f >= 0 && f < float64(len(smallInts)) {
		if i := int(f); float64(i) == f && (i != 0 || !math.Signbit(f)) {
			return smallInts[i]
		}
	}
	return lua.LNumber(f)
}

// strtod reads the longest prefix of s that C's strtod reads as a number
// (in the C locale) and returns its value and length, 0 when there is
// none: decimal with optional fraction and exponent, hexadecimal
// (0x1.8p3), inf, infinity and nan(chars), each with an optional sign.
func strtod(s string) (float64, int) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	// Fast path: a plain integer that float64 holds exactly.
	j, v := i, int64(0)
	for j < len(s) && j-i < 15 && '0' <= s[j] && s[j] <= '9' {
		v = v*10 + int64(s[j]-'0')
		j++
	}
	if j > i && (j == len(s) || !continuesNumber(s[j])) {
		f := float64(v)
		if neg {
			f = -f
		}
		return f, j
	}
	switch {
	case hasPrefixFold(s[i:], "inf"):
		n := i + 3
		if hasPrefixFold(s[n:], "inity") {
			n += 5
		}
		f, _ := strconv.ParseFloat(s[:i]+"inf", 64)
		return f, n
	case hasPrefixFold(s[i:], "nan"):
		n := i + 3
		if n < len(s) && s[n] == '(' {
			k := n + 1
			for k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				n = k + 1
			}
		}
		f, _ := strconv.ParseFloat("nan", 64)
		return f, n
	case i+1 < len(s) && s[i] == '0' && s[i+1]|0x20 == 'x':
		if n := hexFloatLen(s[i+2:]); n > 0 {
			end := i + 2 + n
			lit := s[:end]
			if !containsFold(lit[i+2:], 'p') {
				lit += "p0"
			}
			// Out of range is ±Inf or 0, as from strtod.
			f, _ := strconv.ParseFloat(lit, 64)
			return f, end
		}
		// "0x" with no hex digits: strtod reads the 0.
		if neg {
			return negZero(), i + 1
		}
		return 0, i + 1
	}
	n := decimalLen(s[i:])
	if n == 0 {
		return 0, 0
	}
	// ParseFloat rounds as strtod does; an out-of-range value comes back
	// as ±Inf or 0 with an error, which strtod also returns.
	f, _ := strconv.ParseFloat(s[:i+n], 64)
	return f, i + n
}

// continuesNumber reports whether c after digits makes a longer number.
func continuesNumber(c byte) bool {
	return c == '.' || c == 'e' || c == 'E' || c == 'x' || c == 'X' || ('0' <= c && c <= '9')
}

func negZero() float64 {
	f, _ := strconv.ParseFloat("-0", 64)
	return f
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') }

func isAlnum(c byte) bool { return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'z') }

// decimalLen is the length of digits [. digits] [e [sign] digits] at the
// start of s, with at least one digit before the exponent; 0 if none.
func decimalLen(s string) int {
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	return i + exponentLen(s[i:], 'e')
}

// hexFloatLen is the length of hexdigits [. hexdigits] [p [sign] digits]
// at the start of s, with at least one hex digit; 0 if none.
func hexFloatLen(s string) int {
	i, digits := 0, 0
	for i < len(s) && isHex(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isHex(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	return i + exponentLen(s[i:], 'p')
}

// exponentLen is the length of an exponent (mark [sign] digits) at the
// start of s, 0 if there is none.
func exponentLen(s string, mark byte) int {
	if len(s) == 0 || s[0]|0x20 != mark {
		return 0
	}
	i := 1
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == start {
		return 0
	}
	return i
}

func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if s[i]|0x20 != p[i] {
			return false
		}
	}
	return true
}

func containsFold(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 == c {
			return true
		}
	}
	return false
}

// invalidNumber reports what Lua CJSON's json_is_invalid_number does:
// a leading '+', hexadecimal, a leading zero, inf or nan, which strtod
// accepts and strict JSON does not.
func invalidNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '+' {
		return true
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	c := byte(0)
	if i < len(s) {
		c = s[i]
	}
	if c == '0' {
		c2 := byte(0)
		if i+1 < len(s) {
			c2 = s[i+1]
		}
		return c2|0x20 == 'x' || isDigit(c2)
	}
	if c <= '9' {
		return false
	}
	return hasPrefixFold(s[i:], "inf") || hasPrefixFold(s[i:], "nan")
}

// luaNumberString is a number as Lua 5.1's tostring writes it (%.14g),
// for decode given a number.
func luaNumberString(f float64) string {
	switch {
	case f != f:
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return string(appendNumber(nil, f, 14))
}
