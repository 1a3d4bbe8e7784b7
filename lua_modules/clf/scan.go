package clf

import (
	"math"
	"strconv"
)

// Character classes of LPeg's locale table in the C locale (ASCII only),
// which the reference's grammars use.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func isXDigit(c byte) bool { return isDigit(c) || ((c|0x20) >= 'a' && (c|0x20) <= 'f') }

// isSpace is C's isspace: space, \t, \n, \v, \f, \r.
func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// hostChar is the reference's unreserved and sub-delims characters (a
// host name is these and percent-encoded octets).
var hostChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c))
	}
	for _, c := range "-._~!$&'()*+,;=" {
		t[c] = true
	}
	return t
}()

// methodChar is the reference's request_method token character.
var methodChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c))
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// digits returns the end of the run of digits starting at i.
func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// toNumber converts a decimal number the grammar has checked (an optional
// '-', digits, optionally '.' and digits) as Lua's tonumber (strtod) does:
// the nearest double. Up to 15 significant digits the result is computed
// exactly from integers (Clinger's fast path); longer numbers go to
// strconv.
func toNumber(s string) float64 {
	neg := false
	i := 0
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	var m uint64
	nd, frac := 0, 0
	dot := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			dot = true
			continue
		}
		m = m*10 + uint64(c-'0')
		nd++
		if dot {
			frac++
		}
	}
	if nd > 15 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && f == 0 { // cannot happen for checked input
			return math.NaN()
		}
		return f
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f
}

// Lengths of the reference's address grammars (lpeg.ip_address), matched
// at s[i:] with PEG semantics: ordered choice commits to the first
// alternative that matches, repetitions are greedy and never give back.
// Each returns the end of the match and whether there was one.

// d8 is one decimal octet: "1" d d / "2" [0-4] d / "25" [0-5] / [1-9] d / d.
func d8(s string, i int) (int, bool) {
	at := func(k int) byte {
		if i+k < len(s) {
			return s[i+k]
		}
		return 0
	}
	c0, c1, c2 := at(0), at(1), at(2)
	switch {
	case c0 == '1' && isDigit(c1) && isDigit(c2):
		return i + 3, true
	case c0 == '2' && c1 >= '0' && c1 <= '4' && isDigit(c2):
		return i + 3, true
	case c0 == '2' && c1 == '5' && c2 >= '0' && c2 <= '5':
		return i + 3, true
	case c0 >= '1' && c0 <= '9' && isDigit(c1):
		return i + 2, true
	case isDigit(c0):
		return i + 1, true
	}
	return i, false
}

// ipv4 is d8 "." d8 "." d8 "." d8.
func ipv4(s string, i int) (int, bool) {
	j, ok := d8(s, i)
	for k := 0; k < 3 && ok; k++ {
		if j >= len(s) || s[j] != '.' {
			return i, false
		}
		j, ok = d8(s, j+1)
	}
	if !ok {
		return i, false
	}
	return j, true
}

// h16 is one to four hex digits.
func h16(s string, i int) (int, bool) {
	j := i
	for j < len(s) && j-i < 4 && isXDigit(s[j]) {
		j++
	}
	return j, j > i
}

// hg is h16 ":".
func hg(s string, i int) (int, bool) {
	j, ok := h16(s, i)
	if !ok || j >= len(s) || s[j] != ':' {
		return i, false
	}
	return j + 1, true
}

// hgN is exactly n hg.
func hgN(s string, i, n int) (int, bool) {
	j := i
	for ; n > 0; n-- {
		var ok bool
		if j, ok = hg(s, j); !ok {
			return i, false
		}
	}
	return j, true
}

// hgUpTo is hg^-n: at most n hg, as many as match.
func hgUpTo(s string, i, n int) int {
	for ; n > 0; n-- {
		j, ok := hg(s, i)
		if !ok {
			break
		}
		i = j
	}
	return i
}

// ls32 is hg h16 / ipv4.
func ls32(s string, i int) (int, bool) {
	if j, ok := hg(s, i); ok {
		if k, ok := h16(s, j); ok {
			return k, true
		}
	}
	return ipv4(s, i)
}

func colon(s string, i int) (int, bool) {
	if i < len(s) && s[i] == ':' {
		return i + 1, true
	}
	return i, false
}

func dcolon(s string, i int) (int, bool) {
	if i+1 < len(s) && s[i] == ':' && s[i+1] == ':' {
		return i + 2, true
	}
	return i, false
}

// ipv6 is the reference's nine alternatives of RFC 3986's IPv6address,
// tried in order.
func ipv6(s string, i int) (int, bool) {
	// hg{6} ls32
	if j, ok := hgN(s, i, 6); ok {
		if k, ok := ls32(s, j); ok {
			return k, true
		}
	}
	// "::" hg{5} ls32
	if j, ok := dcolon(s, i); ok {
		if j, ok = hgN(s, j, 5); ok {
			if k, ok := ls32(s, j); ok {
				return k, true
			}
		}
	}
	// h16? "::" hg{4} ls32
	{
		j, _ := h16(s, i)
		if j, ok := dcolon(s, j); ok {
			if j, ok = hgN(s, j, 4); ok {
				if k, ok := ls32(s, j); ok {
					return k, true
				}
			}
		}
	}
	// (hg hg^-k / ":") ":" tail_k, k = 1..6
	for k := 1; k <= 6; k++ {
		j, ok := hg(s, i)
		if ok {
			j = hgUpTo(s, j, k)
		} else if j, ok = colon(s, i); !ok {
			continue
		}
		if j, ok = colon(s, j); !ok {
			continue
		}
		switch k {
		case 1, 2, 3:
			if j, ok = hgN(s, j, 4-k); ok {
				if e, ok := ls32(s, j); ok {
					return e, true
				}
			}
		case 4:
			if e, ok := ls32(s, j); ok {
				return e, true
			}
		case 5:
			if e, ok := h16(s, j); ok {
				return e, true
			}
		case 6:
			return j, true
		}
	}
	return i, false
}

// hostname is (unreserved / pct-encoded / sub-delims)^1.
func hostname(s string, i int) (int, bool) {
	j := i
	for j < len(s) {
		c := s[j]
		if hostChar[c] {
			j++
		} else if c == '%' && j+2 < len(s) && isXDigit(s[j+1]) && isXDigit(s[j+2]) {
			j += 3
		} else {
			break
		}
	}
	return j, j > i
}

// Host representations.
const (
	repIPv4     = "ipv4"
	repIPv6     = "ipv6"
	repHostname = "hostname"
)

// host is the common_log_format host: an IPv4 address, else an IPv6
// address, else a host name, with its representation.
func host(s string, i int) (int, string, bool) {
	if j, ok := ipv4(s, i); ok {
		return j, repIPv4, true
	}
	if j, ok := ipv6(s, i); ok {
		return j, repIPv6, true
	}
	if j, ok := hostname(s, i); ok {
		return j, repHostname, true
	}
	return i, "", false
}
