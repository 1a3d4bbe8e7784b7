package luamsg

import (
	"math"
	"strconv"
	"strings"
)

// appendPayloadNumber appends f as add_to_payload formats numbers (spec
// §4.3): an integer in the int32 range without decimals, another number in
// that range with up to 8 fractional digits (rounded, trailing zeros
// dropped), anything else as C's "%.17g". Infinities and NaN, which the
// reference leaves to the C library, are "inf", "-inf" and "nan" (glibc's
// "%.17g"); -0 is "0".
func appendPayloadNumber(dst []byte, f float64) []byte {
	switch {
	case f != f:
		return append(dst, "nan"...)
	case f > math.MaxInt32 || f < math.MinInt32:
		if math.IsInf(f, 0) {
			if f < 0 {
				return append(dst, "-inf"...)
			}
			return append(dst, "inf"...)
		}
		return strconv.AppendFloat(dst, f, 'g', 17, 64)
	case f == math.Trunc(f):
		return strconv.AppendInt(dst, int64(f), 10)
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 8, 64)
	i := len(dst)
	for dst[i-1] == '0' {
		i--
	}
	if dst[i-1] == '.' {
		i--
	}
	dst = dst[:i]
	if string(dst[n:]) == "-0" { // a tiny negative number rounded away
		dst = append(dst[:n], '0')
	}
	return dst
}

// formatNumber formats f as Lua 5.1's tostring does ("%.14g").
func formatNumber(f float64) string {
	switch {
	case f != f:
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// parseNumber converts a numeric string as Lua 5.1 does: a decimal number
// or a hexadecimal integer, with surrounding white space.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, true
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		if u, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
			return float64(u), true
		}
	}
	return 0, false
}
