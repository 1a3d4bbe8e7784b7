package message

import (
	"sync"
	"testing"
)

func TestNewUUID(t *testing.T) {
	seen := make(map[[16]byte]bool)
	var ones [128]int
	const n = 20000
	for range n {
		u := NewUUID()
		if u[6]>>4 != 4 || u[8]>>4 != 0xa {
			t.Fatalf("%s: byte 6 high nibble must be 4 and byte 8 high nibble a", FormatUUID(u))
		}
		if seen[u] {
			t.Fatalf("duplicate %s", FormatUUID(u))
		}
		seen[u] = true
		for i := range 128 {
			ones[i] += int(u[i/8] >> (7 - i%8) & 1)
		}
	}
	for i, c := range ones {
		fixed := (i/8 == 6 || i/8 == 8) && i%8 < 4
		if !fixed && (c < n*45/100 || c > n*55/100) {
			t.Errorf("bit %d set %d times in %d", i, c, n)
		}
	}
}

func TestNewUUIDConcurrent(t *testing.T) {
	var mu sync.Mutex
	seen := make(map[[16]byte]bool)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			local := make([][16]byte, 0, 2000)
			for range 2000 {
				local = append(local, NewUUID())
			}
			mu.Lock()
			defer mu.Unlock()
			for _, u := range local {
				if seen[u] {
					t.Errorf("duplicate %s", FormatUUID(u))
				}
				seen[u] = true
			}
		})
	}
	wg.Wait()
}

func TestFormatParseUUID(t *testing.T) {
	u := [16]byte{0x0c, 0x1e, 0x92, 0x71, 0x6b, 0x7c, 0x45, 0x1e, 0xaa, 0x05, 0x63, 0xcd, 0xaf, 0x14, 0xcf, 0x10}
	const s = "0c1e9271-6b7c-451e-aa05-63cdaf14cf10"
	if got := FormatUUID(u); got != s {
		t.Fatalf("FormatUUID = %s", got)
	}
	for _, in := range []string{s, "0C1E9271-6B7C-451E-AA05-63CDAF14CF10"} {
		if got, err := ParseUUID(in); err != nil || got != u {
			t.Fatalf("ParseUUID(%s) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", s[:35], s + "0", "0c1e9271x6b7c-451e-aa05-63cdaf14cf10", "0c1e9271-6b7c-451e-aa05-63cdaf14cf1g", "0c1e92716b7c-451e-aa05-63cdaf14cf10-"} {
		if _, err := ParseUUID(bad); err != ErrUUIDText {
			t.Errorf("ParseUUID(%q): %v", bad, err)
		}
	}
}

func TestFormatTimestamp(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		want string
	}{
		{1392050801000000000, "2014-02-10T16:46:41.000000000Z"},
		{1760104536000999936, "2025-10-10T13:55:36.000999936Z"},
		{0, "1970-01-01T00:00:00.000000000Z"},
		{-1, "1969-12-31T23:59:59.999999999Z"},
	} {
		if got := FormatTimestamp(tc.ns); got != tc.want {
			t.Errorf("FormatTimestamp(%d) = %s, want %s", tc.ns, got, tc.want)
		}
	}
}

func TestParseUUIDRejectsMisplacedHyphens(t *testing.T) {
	for _, s := range []string{
		"00000000-0000-0000-0000-0000000000-0", // found by the matcher's fuzzer: used to panic
		"00000000-0000-0000-0000-00000000000-",
		"00000000-0000-0000-0000--00000000000",
		"0c1e9271-6b7c-451e-aa05-63cdaf14cf1g",
	} {
		if _, err := ParseUUID(s); err == nil {
			t.Errorf("ParseUUID(%q) accepted", s)
		}
	}
	u, err := ParseUUID("0C1E9271-6b7c-451e-aa05-63cdaf14cf10")
	if err != nil || FormatUUID(u) != "0c1e9271-6b7c-451e-aa05-63cdaf14cf10" {
		t.Fatalf("round trip: %v %s", err, FormatUUID(u))
	}
}
