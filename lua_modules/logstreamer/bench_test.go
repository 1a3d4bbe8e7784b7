package logstreamer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

type countSink struct{ n, bytes int }

func (c *countSink) Record(_, _ string, _ int64, rec []byte) error {
	c.n++
	c.bytes += len(rec)
	return nil
}
func (c *countSink) Checkpoint(string) error { return nil }

// benchFile writes n nginx-like lines of about 150 bytes.
func benchFile(b *testing.B, dir string, n int) int64 {
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&buf, "192.168.%d.%d - - [10/Oct/2024:13:55:%02d +0000] \"GET /index/%d.html HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
			i%256, i%200, i%60, i, i%10000)
	}
	if err := os.WriteFile(filepath.Join(dir, "access.log"), buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return int64(buf.Len())
}

// BenchmarkReadLines reads a 100,000-line file to its end through the Go
// read path (open, split, credit, checkpoint positions) into a no-op sink:
// the figure is per line.
func BenchmarkReadLines(b *testing.B) { benchRead(b, nil) }

// BenchmarkReadMultiLine is BenchmarkReadLines with record_start.
func BenchmarkReadMultiLine(b *testing.B) { benchRead(b, regexpMust(`^\d`)) }

// benchRead reads a log of 100,000 lines to its end, again and again,
// with record_start start (nil for none).
func benchRead(b *testing.B, start *regexp.Regexp) {
	const lines = 100000
	dir := b.TempDir()
	size := benchFile(b, dir, lines)
	cfg := testConfig(dir, `access\.log`)
	cfg.ReadToEnd = true
	cfg.MaxRecordSize = 64 << 10
	cfg.RecordStart = start
	b.SetBytes(size / lines)
	b.ReportAllocs()
	b.ResetTimer()
	done := 0
	for done < b.N {
		sink := &countSink{}
		m, err := New(cfg, nil, sink)
		if err != nil {
			b.Fatal(err)
		}
		for {
			ok, err := m.Poll()
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
		}
		m.Close()
		if start == nil && sink.n != lines {
			b.Fatalf("%d lines", sink.n)
		}
		done += lines
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
