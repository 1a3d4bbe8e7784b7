//go:build unix

package procexec_test

import (
	"bytes"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline/sightline/config"
	_ "github.com/sightline/sightline/lua_modules"
	"github.com/sightline/sightline/lua_modules/procexec"
	"github.com/sightline/sightline/sandbox"
)

type countHost struct{ n, bytes int }

func (h *countHost) Inject(msg []byte, _ sandbox.Checkpoint) error {
	h.n++
	h.bytes += len(msg)
	return nil
}

// BenchmarkRecords splits 100-byte lines read in 64 KiB chunks.
func BenchmarkRecords(b *testing.B) {
	line := strings.Repeat("x", 99) + "\n"
	data := []byte(strings.Repeat(line, 10000))
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	var r *procexec.FDReader
	for i := 0; i < b.N; i++ {
		if i%10000 == 0 {
			r = procexec.NewTestReader(bytes.NewReader(data), []byte("\n"), 1<<16)
		}
		if _, ok, err := r.Record(); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkStdinPlugin is the lines path of stdin.lua per line: a record
// read from a pipe by procexec, decoded by decoders.payload into a
// message table with default headers, encoded and injected.
func BenchmarkStdinPlugin(b *testing.B) {
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer pr.Close()
	defer procexec.SetStdinFD(int(pr.Fd()))()
	line := []byte(`127.0.0.1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Linux x86_64)"` + "\n")
	go func() {
		defer pw.Close()
		buf := bytes.Repeat(line, 1000)
		for n := 0; n < b.N; n += 1000 {
			if _, err := pw.Write(buf[:min(len(buf), (b.N-n)*len(line))]); err != nil {
				return
			}
		}
	}()

	dir := b.TempDir()
	file := filepath.Join(dir, "p.lua")
	src, _ := os.ReadFile(filepath.Join("..", "..", "plugins", "lua", "input", "stdin.lua"))
	if err := os.WriteFile(file, src, 0o644); err != nil {
		b.Fatal(err)
	}
	tab := config.NewTable(filepath.Join(dir, "p.cfg"))
	tab.Set("filename", "p.lua")
	tab.Set("instruction_limit", 0)
	dh := config.NewTable("")
	dh.Set("Type", "stdin")
	dh.Set("Hostname", "edge-1")
	tab.Set("default_headers", dh)
	cfg, err := config.NewPlugin(config.Input, tab, nil)
	if err != nil {
		b.Fatal(err)
	}
	h := &countHost{}
	s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: file, Host: h})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(false)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	b.ResetTimer()
	if _, _, err := s.ProcessInput(sandbox.Checkpoint{}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if h.n != b.N {
		b.Fatalf("%d messages, want %d", h.n, b.N)
	}
}
