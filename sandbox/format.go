package sandbox

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox/luamsg"
)

// strFormat is Lua 5.1's string.format: the C printf conversions
// c d i o u x X e E f g G q s and %%, flags "-+ #0", width and precision
// of at most two digits each. Numbers print as C prints them (inf, nan),
// not as Go does.
func strFormat(L *lua.LState) int {
	f := L.CheckString(1)
	arg := 1
	top := L.GetTop()
	var out []byte
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(f) {
			L.RaiseError("invalid option '%%' to 'format'")
		}
		if f[i] == '%' {
			out = append(out, '%')
			continue
		}
		// Parse the spec as Lua's scanformat does.
		start := i
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			L.RaiseError("invalid format (repeated flags)")
		}
		flags := f[start:i]
		width, prec := -1, -1
		digits := 0
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			if width < 0 {
				width = 0
			}
			width = width*10 + int(f[i]-'0')
			i++
			digits++
		}
		if digits > 2 {
			L.RaiseError("invalid format (width or precision too long)")
		}
		if i < len(f) && f[i] == '.' {
			i++
			prec, digits = 0, 0
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				prec = prec*10 + int(f[i]-'0')
				i++
				digits++
			}
			if digits > 2 {
				L.RaiseError("invalid format (width or precision too long)")
			}
		}
		if i >= len(f) {
			L.RaiseError("invalid option '%%' to 'format'")
		}
		conv := f[i]
		arg++
		if arg > top && conv != '%' {
			L.ArgError(arg, "no value")
		}
		sp := spec{flags: flags, width: width, prec: prec}
		switch conv {
		case 'c':
			out = sp.pad(out, []byte{byte(L.CheckInt(arg))}, false)
		case 'd', 'i':
			n := L.CheckNumber(arg)
			out = sp.integer(out, luamsg.TruncInt64(float64(n)), false, 10, false)
		case 'o':
			out = sp.integer(out, luamsg.TruncInt64(float64(L.CheckNumber(arg))), true, 8, false)
		case 'u':
			out = sp.integer(out, luamsg.TruncInt64(float64(L.CheckNumber(arg))), true, 10, false)
		case 'x', 'X':
			out = sp.integer(out, luamsg.TruncInt64(float64(L.CheckNumber(arg))), true, 16, conv == 'X')
		case 'e', 'E', 'f', 'g', 'G':
			out = sp.float(out, float64(L.CheckNumber(arg)), conv)
		case 'q':
			out = appendQuoted(out, L.CheckString(arg))
		case 's':
			v := L.Get(arg)
			var str string
			switch v := v.(type) {
			case lua.LString:
				str = string(v)
			case lua.LNumber:
				str = numberString(float64(v))
			default:
				str = L.CheckString(arg) // raises the argument error
			}
			if sp.prec >= 0 && sp.prec < len(str) {
				str = str[:sp.prec]
			}
			out = sp.pad(out, []byte(str), false)
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", conv)
		}
		if len(out) > 1<<20 {
			checkAlloc(L, int64(len(out)))
		}
	}
	checkAlloc(L, int64(len(out)))
	L.Push(lua.LString(out))
	return 1
}

// spec is one parsed conversion.
type spec struct {
	flags       string
	width, prec int
}

func (sp spec) has(c byte) bool { return strings.IndexByte(sp.flags, c) >= 0 }

// pad appends body padded to the width; zeroOK allows '0' padding (after
// any sign or 0x prefix, which numeric callers pass in body).
func (sp spec) pad(out, body []byte, zeroOK bool) []byte {
	n := sp.width - len(body)
	if n <= 0 {
		return append(out, body...)
	}
	if sp.has('-') {
		out = append(out, body...)
		return append(out, strings.Repeat(" ", n)...)
	}
	if zeroOK && sp.has('0') {
		lead := 0
		if len(body) > 0 && (body[0] == '-' || body[0] == '+' || body[0] == ' ') {
			lead = 1
		}
		if len(body) > lead+1 && body[lead] == '0' && (body[lead+1] == 'x' || body[lead+1] == 'X') {
			lead += 2
		}
		out = append(out, body[:lead]...)
		out = append(out, strings.Repeat("0", n)...)
		return append(out, body[lead:]...)
	}
	out = append(out, strings.Repeat(" ", n)...)
	return append(out, body...)
}

// integer formats %d %o %u %x %X.
func (sp spec) integer(out []byte, v int64, unsigned bool, base int, upper bool) []byte {
	var digits string
	neg := false
	if unsigned {
		digits = strconv.FormatUint(uint64(v), base)
	} else {
		if v < 0 {
			neg = true
			digits = strconv.FormatUint(uint64(-v), base)
		} else {
			digits = strconv.FormatUint(uint64(v), base)
		}
	}
	if upper {
		digits = strings.ToUpper(digits)
	}
	if sp.prec >= 0 {
		if sp.prec == 0 && v == 0 {
			digits = ""
		}
		if len(digits) < sp.prec {
			digits = strings.Repeat("0", sp.prec-len(digits)) + digits
		}
	}
	var body []byte
	switch {
	case neg:
		body = append(body, '-')
	case !unsigned && sp.has('+'):
		body = append(body, '+')
	case !unsigned && sp.has(' '):
		body = append(body, ' ')
	}
	if sp.has('#') {
		switch {
		case base == 8 && (len(digits) == 0 || digits[0] != '0'):
			digits = "0" + digits
		case base == 16 && v != 0:
			if upper {
				body = append(body, "0X"...)
			} else {
				body = append(body, "0x"...)
			}
		}
	}
	body = append(body, digits...)
	return sp.pad(out, body, sp.prec < 0)
}

// float formats %e %E %f %g %G as C does.
func (sp spec) float(out []byte, v float64, conv byte) []byte {
	if math.IsInf(v, 0) || v != v {
		var body []byte
		switch {
		case v != v:
			if math.Signbit(v) {
				body = append(body, '-')
			} else if sp.has('+') {
				body = append(body, '+')
			} else if sp.has(' ') {
				body = append(body, ' ')
			}
			body = append(body, "nan"...)
		case v < 0:
			body = append(body, "-inf"...)
		default:
			if sp.has('+') {
				body = append(body, '+')
			} else if sp.has(' ') {
				body = append(body, ' ')
			}
			body = append(body, "inf"...)
		}
		if conv == 'E' || conv == 'G' {
			body = []byte(strings.ToUpper(string(body)))
		}
		return sp.pad(out, body, false)
	}
	prec := sp.prec
	if prec < 0 {
		prec = 6
	}
	var body []byte
	if !math.Signbit(v) {
		if sp.has('+') {
			body = append(body, '+')
		} else if sp.has(' ') {
			body = append(body, ' ')
		}
	}
	switch conv {
	case 'f':
		body = strconv.AppendFloat(body, v, 'f', prec, 64)
		if sp.has('#') && prec == 0 {
			body = append(body, '.')
		}
	case 'e', 'E':
		body = strconv.AppendFloat(body, v, 'e', prec, 64)
		if sp.has('#') && prec == 0 {
			body = insertPoint(body)
		}
		if conv == 'E' {
			body = []byte(strings.ToUpper(string(body)))
		}
	case 'g', 'G':
		body = append(body, formatG(v, prec, sp.has('#'))...)
		if conv == 'G' {
			body = []byte(strings.ToUpper(string(body)))
		}
	}
	return sp.pad(out, body, true)
}

// insertPoint adds a decimal point after the mantissa digit of an
// exponent form without one ("1e+05" → "1.e+05").
func insertPoint(b []byte) []byte {
	i := strings.IndexAny(string(b), "eE")
	if i < 0 {
		return append(b, '.')
	}
	return append(b[:i], append([]byte{'.'}, b[i:]...)...)
}

// formatG is C's %g: precision P significant digits (1 if 0), exponent
// form when the exponent is below -4 or at least P, trailing zeros removed
// unless alt.
func formatG(v float64, prec int, alt bool) string {
	if prec == 0 {
		prec = 1
	}
	e := strconv.FormatFloat(v, 'e', prec-1, 64)
	mant, expPart, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expPart)
	var s string
	if exp < -4 || exp >= prec {
		s = mant
		if !alt {
			s = trimZeros(s)
		} else if !strings.Contains(s, ".") {
			s += "."
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		return s + "e" + sign + es
	}
	s = strconv.FormatFloat(v, 'f', prec-1-exp, 64)
	if !alt {
		s = trimZeros(s)
	} else if !strings.Contains(s, ".") {
		s += "."
	}
	return s
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// appendQuoted is %q: a double-quoted string Lua 5.1 reads back.
func appendQuoted(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', '\n')
		case '\r':
			out = append(out, '\\', 'r')
		case 0:
			out = append(out, '\\', '0', '0', '0')
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}
