//go:build unix

package procexec

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// chunked returns a source handing out data in reads of the given sizes
// (cycled), then io.EOF.
func chunked(data []byte, sizes ...int) func([]byte) (int, error) {
	i := 0
	return func(p []byte) (int, error) {
		if len(data) == 0 {
			return 0, io.EOF
		}
		n := len(data)
		if len(sizes) > 0 {
			n = min(n, max(1, sizes[i%len(sizes)]))
			i++
		}
		n = copy(p, data[:n])
		data = data[n:]
		return n, nil
	}
}

// records reads every record of r: the records, and "!" for each
// too-long one.
func records(t testing.TB, r *FDReader) []string {
	t.Helper()
	var out []string
	for range 100000 {
		rec, ok, err := r.Record()
		var tl *TooLongError
		switch {
		case ok:
			out = append(out, string(rec))
		case errors.As(err, &tl):
			out = append(out, "!")
		case err != nil:
			t.Fatal(err)
		default:
			return out
		}
	}
	t.Fatal("no end")
	return nil
}

// splitRecords is what Record must give: data split at delim, a last
// record without a delimiter kept, records over max reported as "!".
func splitRecords(data, delim string, max int) []string {
	if data == "" {
		return nil
	}
	parts := strings.Split(data, delim)
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		if len(p) > max {
			parts[i] = "!"
		}
	}
	return parts
}

func TestRecords(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tc := range []struct {
		name, data, delim string
		max               int
		sizes             []int
	}{
		{"lines", "a\nbb\n\nccc\n", "\n", 10, nil},
		{"no final delimiter", "a\nlast", "\n", 10, nil},
		{"empty input", "", "\n", 10, nil},
		{"only delimiters", "\n\n", "\n", 10, nil},
		{"byte by byte", "one\ntwo\nthree", "\n", 10, []int{1}},
		{"two-byte delimiter split across reads", "ab\r\ncd\r\n\rx\r\n", "\r\n", 10, []int{3, 1, 2}},
		{"long delimiter", "a<|>b<<|>c<|", "<|>", 10, []int{2}},
		{"too long in one read", "ok\n" + long + "\nok2\n", "\n", 10, nil},
		{"too long across reads", "ok\n" + long + "\nok2", "\n", 10, []int{7}},
		{"too long at the end", "ok\n" + long, "\n", 10, []int{7}},
		{"exactly max", "0123456789\n0123456789", "\n", 10, []int{4}},
		{"exactly max, two-byte delimiter cut", "0123456789\r\nx", "\r\n", 10, []int{11, 1, 1}},
		{"too long, delimiter at a chunk edge", long + "\r\nok", "\r\n", 10, []int{101, 1, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReader(chunked([]byte(tc.data), tc.sizes...), []byte(tc.delim), tc.max)
			got := records(t, r)
			want := splitRecords(tc.data, tc.delim, tc.max)
			if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
				t.Errorf("got %q, want %q", got, want)
			}
			if rec, ok, err := r.Record(); ok || err != nil {
				t.Errorf("after the end: %q %v %v", rec, ok, err)
			}
		})
	}
}

// TestRecordsMemory: a record that never ends does not grow the buffer
// past about twice max plus a read.
func TestRecordsMemory(t *testing.T) {
	src := func(p []byte) (int, error) { return copy(p, bytes.Repeat([]byte("y"), len(p))), nil }
	r := newReader(src, []byte("\n"), 1000)
	if _, ok, err := r.Record(); ok || err == nil {
		t.Fatalf("Record: %v %v, want a too-long error", ok, err)
	}
	done := make(chan struct{})
	var reads atomic.Int64
	r.src = func(p []byte) (int, error) {
		if reads.Add(1) > 200 {
			close(done)
			return 0, io.EOF
		}
		return src(p)
	}
	if _, ok, err := r.Record(); ok || err != nil {
		t.Fatalf("Record at the end: %v %v", ok, err)
	}
	<-done
	if c := r.MemSize(); c > 2*(1000+2*chunkSize) {
		t.Errorf("buffer of %d bytes", c)
	}
}

// TestReadMixed: Read returns what Record buffered first.
func TestReadMixed(t *testing.T) {
	r := newReader(chunked([]byte("first\nrest of it"), 100), []byte("\n"), 100)
	rec, ok, _ := r.Record()
	if !ok || string(rec) != "first" {
		t.Fatalf("Record: %q", rec)
	}
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "rest of it" {
		t.Fatalf("ReadAll: %q %v", b, err)
	}
}

// TestFDReaderPipe reads a real pipe: records as the writer sends them,
// the end when it closes, and a stop while nothing comes ends the wait
// within a poll interval or two.
func TestFDReaderPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	var stop atomic.Bool
	r := NewFDReader(int(pr.Fd()), []byte("\n"), 100, stop.Load)
	go func() {
		pw.Write([]byte("a\nb"))
		time.Sleep(50 * time.Millisecond)
		pw.Write([]byte("c\n"))
		pw.Close()
	}()
	if got := records(t, r); strings.Join(got, ",") != "a,bc" {
		t.Fatalf("records %q", got)
	}

	pr2, pw2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr2.Close()
	defer pw2.Close()
	r = NewFDReader(int(pr2.Fd()), []byte("\n"), 100, stop.Load)
	pw2.Write([]byte("partial"))
	time.AfterFunc(150*time.Millisecond, func() { stop.Store(true) })
	start := time.Now()
	rec, ok, err := r.Record()
	if ok || err != nil {
		t.Fatalf("Record after stop: %q %v %v", rec, ok, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stop took %v", d)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read after stop: %d %v", n, err)
	}
}

func FuzzRecords(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), []byte("\n"), uint8(3), uint8(2))
	f.Add([]byte("x\r\ny\r\r\n"), []byte("\r\n"), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, data, delim []byte, max, size uint8) {
		if len(delim) == 0 || len(delim) > 4 || max == 0 {
			return
		}
		r := newReader(chunked(data, int(size)+1, int(size)/2+1), delim, int(max))
		got := records(t, r)
		want := splitRecords(string(data), string(delim), int(max))
		if strings.Join(got, "\x00|") != strings.Join(want, "\x00|") || len(got) != len(want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
