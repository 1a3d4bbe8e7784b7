package message

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
)

// ErrUUIDText means a string that is not a textual UUID
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits of either case).
var ErrUUIDText = errors.New("message: malformed textual uuid")

// NewUUID returns a random version 4 UUID as the reference generates for
// every message whose Uuid it fills in (spec §4.7): byte 6 has high nibble
// 4 and byte 8 high nibble 0xA, so the variant is RFC 4122's with the next
// bit fixed at 0 too.
//
// The 120 random bits come from math/rand/v2's global generator: the Go
// runtime's per-thread ChaCha8 state, seeded from the operating system's
// entropy source. NewUUID is safe for concurrent use, takes no lock and makes
// no system call.
func NewUUID() [16]byte {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[0:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:16], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x0f | 0xa0
	return u
}

// FormatUUID returns u in the canonical textual form,
// 0c1e9271-6b7c-451e-aa05-63cdaf14cf10.
func FormatUUID(u [16]byte) string {
	return string(AppendUUID(make([]byte, 0, 36), u))
}

// AppendUUID appends the canonical textual form of u to dst.
func AppendUUID(dst []byte, u [16]byte) []byte {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return append(dst, b[:]...)
}

// uuidHexAt holds the offset of each byte's two hex digits in the text form.
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// ParseUUID parses the canonical 36-character textual form of a UUID.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, ErrUUIDText
	}
	for j, i := range uuidHexAt {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return [16]byte{}, ErrUUIDText
		}
		u[j] = hi<<4 | lo
	}
	return u, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
