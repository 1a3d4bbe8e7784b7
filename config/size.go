package config

import (
	"fmt"
	"math/big"
	"strings"
)

// sizeUnits maps a lower-cased unit to its multiplier: the SI units are
// powers of 1000, the IEC units (with an "i") powers of 1024.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"tb":  1000 * 1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
}

// maxSizeDigits bounds the digits ParseSize looks at, so a hostile string
// cannot make it compute with huge numbers.
const maxSizeDigits = 32

// ParseSize parses a byte count written as a number and an optional unit:
// "100", "100B", "64KiB", "1.5 MiB", "8MB". Units are B, KB, MB, GB, TB
// (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024), in any letter
// case; the bare letters K, M, G are refused as ambiguous. The number is
// decimal digits with an optional fraction; spaces may surround the
// number and the unit. The result must be a whole number of bytes and at
// most 2^53 (so a Lua number holds it exactly). Errors wrap ErrSize.
func ParseSize(s string) (int64, error) {
	str := strings.TrimSpace(s)
	i := 0
	for i < len(str) && str[i] >= '0' && str[i] <= '9' {
		i++
	}
	intPart := str[:i]
	frac := ""
	if i < len(str) && str[i] == '.' {
		j := i + 1
		for j < len(str) && str[j] >= '0' && str[j] <= '9' {
			j++
		}
		frac = str[i+1 : j]
		if frac == "" {
			return 0, fmt.Errorf("%w %q: no digits after the decimal point", ErrSize, s)
		}
		i = j
	}
	if intPart == "" {
		return 0, fmt.Errorf("%w %q: want a non-negative number followed by an optional unit such as KiB", ErrSize, s)
	}
	unitStr := strings.TrimLeft(str[i:], " \t")
	mult, ok := sizeUnits[strings.ToLower(unitStr)]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", ErrSize, s, unitStr)
	}
	// Trailing zeros of the fraction change nothing; past them, a fraction
	// longer than maxSizeDigits cannot give whole bytes (no unit has more
	// than twelve factors of 5).
	frac = strings.TrimRight(frac, "0")
	if len(frac) > maxSizeDigits {
		return 0, fmt.Errorf("%w %q: not a whole number of bytes", ErrSize, s)
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if len(digits) > maxSizeDigits {
		return 0, fmt.Errorf("%w %q: more than 2^53 bytes", ErrSize, s)
	}
	n := new(big.Int)
	if digits != "" {
		n.SetString(digits, 10)
	}
	n.Mul(n, big.NewInt(mult))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	q, r := new(big.Int).QuoRem(n, den, new(big.Int))
	if r.Sign() != 0 {
		return 0, fmt.Errorf("%w %q: not a whole number of bytes", ErrSize, s)
	}
	if q.Cmp(big.NewInt(maxExact)) > 0 {
		return 0, fmt.Errorf("%w %q: more than 2^53 bytes", ErrSize, s)
	}
	return q.Int64(), nil
}
