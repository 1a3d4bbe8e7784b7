package queue

import (
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sightline/sightline/message"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	goleak.VerifyTestMain(m)
}

// testMsg encodes a valid Heka message whose payload is padded so the
// message is about size bytes, carrying seq in its Pid-independent field.
func testMsg(tb testing.TB, seq int, size int) []byte {
	if tb != nil {
		tb.Helper()
	}
	m := message.Message{Timestamp: int64(seq), Type: "test", Has: message.HasType}
	binary.BigEndian.PutUint64(m.Uuid[8:], uint64(seq))
	m.Fields = []message.Field{{Name: "seq", Type: message.ValueInteger, Integers: []int64{int64(seq)}}}
	b := m.AppendTo(nil)
	if pad := size - len(b) - 3; pad > 0 {
		m.Payload = strings.Repeat("p", pad)
		m.Has |= message.HasPayload
		b = m.AppendTo(nil)
	}
	return b
}

// seqOf returns the seq field of a message read back.
func seqOf(tb testing.TB, v *message.View) int {
	tb.Helper()
	f, ok := v.Field("seq", 0)
	if !ok {
		tb.Fatalf("message without seq field")
	}
	n, ok := f.Integer(0)
	if !ok {
		tb.Fatalf("seq field not an integer")
	}
	return int(n)
}

// readAll reads every record available now from pos and returns their seqs.
func readAll(tb testing.TB, dir string, pos Position, opts ReaderOptions) ([]int, *Reader) {
	tb.Helper()
	r, err := OpenReader(dir, pos, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	var got []int
	for r.TryNext() {
		got = append(got, seqOf(tb, r.Message()))
	}
	if err := r.Err(); err != nil {
		tb.Fatal(err)
	}
	return got, r
}

func openWriter(tb testing.TB, dir string, opts Options) *Writer {
	tb.Helper()
	w, err := OpenWriter(dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w
}

func appendN(tb testing.TB, w *Writer, from, n, size int) Position {
	tb.Helper()
	var pos Position
	for i := from; i < from+n; i++ {
		p, err := w.Append(testMsg(tb, i, size))
		if err != nil {
			tb.Fatalf("append %d: %v", i, err)
		}
		pos = p
	}
	return pos
}

func seqRange(from, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = from + i
	}
	return s
}

func ctxTimeout(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}
