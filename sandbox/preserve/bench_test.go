package preserve

import (
	"io"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// benchState returns a state with one global table of 10,000 entries:
// string keys, numbers, strings and small tables.
func benchState(b *testing.B) (*lua.LState, func(string) bool) {
	L := newState(b)
	skip := HostGlobals(L)
	doString(b, L, `stats = {}
		for i = 1, 10000 do
			local k = "host-" .. i .. ".example.com"
			if i % 3 == 0 then stats[k] = {count = i, last = "GET /index.html"}
			elseif i % 3 == 1 then stats[k] = i * 1.5
			else stats[k] = "status \"ok\"\n" .. i end
		end`)
	return L, skip
}

func BenchmarkSave10k(b *testing.B) {
	L, skip := benchState(b)
	path := filepath.Join(b.TempDir(), "analysis.bench.data")
	b.ReportAllocs()
	for b.Loop() {
		if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode10k is BenchmarkSave10k without the file system (no
// fsync).
func BenchmarkEncode10k(b *testing.B) {
	L, skip := benchState(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := encode(io.Discard, L.G.Global, skip); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRestore10k(b *testing.B) {
	L, skip := benchState(b)
	path := filepath.Join(b.TempDir(), "analysis.bench.data")
	if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		L2 := lua.NewState()
		if _, err := Restore(L2, path, RestoreOptions{}); err != nil {
			b.Fatal(err)
		}
		L2.Close()
	}
}
