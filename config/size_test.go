package config

import (
	"errors"
	"testing"
)

func TestParseSize(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"100", 100},
		{"100B", 100},
		{"100 b", 100},
		{"64KiB", 65536},
		{"64kib", 65536},
		{"64KB", 64000},
		{"8MiB", 8 << 20},
		{"8MB", 8000000},
		{"1GiB", 1 << 30},
		{"1GB", 1000000000},
		{"2TiB", 2 << 40},
		{"1.5MiB", 1572864},
		{"0.5KiB", 512},
		{"1.500KB", 1500},
		{" 64 KiB ", 65536},
		{"007", 7},
		{"8192TiB", 1 << 53},
	}
	for _, c := range good {
		got, err := ParseSize(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	bad := []string{
		"", " ", "KiB", "-1", "+1", "1.", ".5", "1e3", "64XB", "64K", "64M", "1 G",
		"0x10", "1.5B", "0.1KiB", "8193TiB", "9007199254740993", "64KiB!", "6 4", "1_000",
		"1.0000000000000000000000000000000000000000000001", "99999999999999999999999999999999999999999",
	}
	for _, in := range bad {
		if got, err := ParseSize(in); !errors.Is(err, ErrSize) {
			t.Errorf("ParseSize(%q) = %d, %v; want ErrSize", in, got, err)
		}
	}
}

func TestGetSize(t *testing.T) {
	tomlCfg, err := ParseTOML("s.toml", []byte(`
a = "64KiB"
b = "8MiB"
c = "1GiB"
d = "100"
e = 4096
f = "64XB"
g = -1
h = true
`))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int64{"a": 65536, "b": 8 << 20, "c": 1 << 30, "d": 100, "e": 4096} {
		got, ok, err := tomlCfg.GetSize(key)
		if err != nil || !ok || got != want {
			t.Errorf("GetSize(%q) = %d, %v, %v; want %d", key, got, ok, err, want)
		}
	}
	_, _, err = tomlCfg.GetSize("f")
	wantError(t, err, ErrSize, "s.toml", 7, "f")
	_, _, err = tomlCfg.GetSize("g")
	wantError(t, err, ErrType, "s.toml", 8, "g")
	_, _, err = tomlCfg.GetSize("h")
	wantError(t, err, ErrType, "s.toml", 9, "h")
	if _, ok, err := tomlCfg.GetSize("missing"); ok || err != nil {
		t.Errorf("missing key: ok = %v, err = %v", ok, err)
	}

	// Lua-syntax configs stay what the reference accepts: numbers only.
	luaCfg, err := ParseLua("s.cfg", []byte("a = 64 * 1024\nb = '64KiB'\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := luaCfg.GetSize("a"); err != nil || got != 65536 {
		t.Errorf("GetSize(a) = %d, %v", got, err)
	}
	_, _, err = luaCfg.GetSize("b")
	wantError(t, err, ErrType, "s.cfg", 2, "b")
}
