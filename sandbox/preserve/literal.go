package preserve

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// appendNumber appends a Lua expression that evaluates to exactly f in
// both Lua 5.1 and gopher-lua:
//
//   - integers below 1e21 in plain digits ("42", "-7", "9007199254740992");
//   - other finite values in the shortest form that parses back to the
//     same float64 ("0.1", "1e+21", "5e-324");
//   - +Inf, -Inf and NaN as 1/0, -1/0 and 0/0, as the reference writes them;
//   - negative zero as -"0": both compilers fold a literal -0 into a
//     constant that they then merge with an earlier 0 in the same function,
//     losing the sign, whereas negating the string happens at run time.
func appendNumber(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "0/0"...)
	case math.IsInf(f, 1):
		return append(b, "1/0"...)
	case math.IsInf(f, -1):
		return append(b, "-1/0"...)
	case f == 0 && math.Signbit(f):
		return append(b, `-"0"`...)
	case f == math.Trunc(f) && math.Abs(f) < 1e21:
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendKeyNumber appends a number used as a table key. A key cannot be
// NaN, and Lua does not tell 0 from -0 as keys, so -0 is written as 0.
func appendKeyNumber(b []byte, f float64) []byte {
	if f == 0 {
		f = 0 // drops the sign of -0
	}
	return appendNumber(b, f)
}

// appendString appends s as a double-quoted Lua 5.1 string literal that
// both Lua 5.1 and gopher-lua read back byte for byte. Only escapes common
// to both are used:
//
//   - \" and \\ for the quote and the backslash;
//   - \n, \r, \t for newline, carriage return and tab, so every statement
//     stays on one line;
//   - \ddd (always three decimal digits, so a following digit cannot be
//     taken into the escape) for the other control bytes 0x00-0x1F and
//     0x7F;
//   - bytes 0x80-0xFF as they are when s is valid UTF-8 (so text stays
//     readable), as \ddd otherwise (so the file is always valid UTF-8).
func appendString(b []byte, s string) []byte {
	raw8 := utf8.ValidString(s)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x7f || (c >= 0x80 && !raw8):
			b = append(b, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
