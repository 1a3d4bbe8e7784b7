package fileout_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sightline/sightline/lua_modules/fileout"
	"github.com/sightline/sightline/message"
)

// BenchmarkWriter: records of a few sizes into one file, written and
// fsynced in the default batches (10000 records or 4 MiB).
func BenchmarkWriter(b *testing.B) {
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			w, err := fileout.New(fileout.Options{Name: filepath.Join(b.TempDir(), "f.%{seq}"), RollSize: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			rec := make([]byte, size)
			rec[size-1] = '\n'
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Write(rec, 0); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// benchMessage is an access-log-like message of about 400 bytes.
func benchMessage(b *testing.B) *message.View {
	var m message.Message
	m.Timestamp = 1700000000e9
	m.SetType("nginx.access")
	m.SetLogger("input.nginx")
	m.SetHostname("web-1.example.com")
	m.SetPid(1234)
	m.SetSeverity(6)
	m.SetPayload(`192.0.2.7 - - [14/Nov/2023:22:13:20 +0000] "GET /api/items?page=2 HTTP/1.1" 200 3310 "-" "Mozilla/5.0 (X11; Linux x86_64)"`)
	str := func(n, v string) message.Field {
		return message.Field{Name: n, Type: message.ValueString, Strings: []string{v}}
	}
	m.Fields = []message.Field{
		str("remote_addr", "192.0.2.7"), str("request", "GET /api/items?page=2 HTTP/1.1"),
		{Name: "status", Type: message.ValueInteger, Integers: []int64{200}},
		{Name: "body_bytes_sent", Type: message.ValueInteger, Representation: "B", Integers: []int64{3310}},
		str("http_referer", "-"), str("http_user_agent", "Mozilla/5.0 (X11; Linux x86_64)"),
		{Name: "request_time", Type: message.ValueDouble, Representation: "s", Doubles: []float64{0.042}},
	}
	var v message.View
	if err := v.Reset(m.AppendTo(nil)); err != nil {
		b.Fatal(err)
	}
	return &v
}

// BenchmarkPlugin: file.lua in a sandbox, one process_message per
// message (the plugin's whole cost: the Lua call, formatting, batching,
// a write and an fsync per batch), by format and batch size. 1e9/ns/op is the
// plugin's messages/s.
func BenchmarkPlugin(b *testing.B) {
	for _, c := range []struct {
		format string
		count  int
	}{{"heka", 1000}, {"payload", 1000}, {"json", 1000}, {"heka", 20000}, {"json", 20000}} {
		b.Run(fmt.Sprintf("%s/flush_count=%d", c.format, c.count), func(b *testing.B) {
			s := mustLoad(b, "file.lua", map[string]any{"output_dir": b.TempDir(), "format": c.format,
				"flush_count": c.count, "flush_bytes": "64MiB"})
			v := benchMessage(b)
			b.SetBytes(int64(len(v.Raw())))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.ProcessOutput(v, i); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.TimerEvent(0, true); err != nil {
				b.Fatal(err)
			}
		})
	}
}
