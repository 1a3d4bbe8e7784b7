package queue

import (
	"runtime"
	"testing"
	"time"
)

// TestTryNextAtTail: at the end of an in-process writer's live segment
// TryNext stops reading the file (Reader.idle) until the writer flushes,
// rolls or closes, and then sees every record, in order.
func TestTryNextAtTail(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{SegmentSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(dir, Position{}, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	next := 0
	expect := func(n int) {
		t.Helper()
		for range n {
			if !r.TryNext() {
				t.Fatalf("record %d: TryNext false: %v", next, r.Err())
			}
			if got := seqOf(t, r.Message()); got != next {
				t.Fatalf("record %d has seq %d", next, got)
			}
			next++
		}
		if r.TryNext() {
			t.Fatalf("TryNext returned a record past %d", next-1)
		}
	}
	expect(0)
	for round := range 12 { // 12 × 3 × 150 bytes: several rolls
		if round > 0 && r.idle == nil {
			t.Fatalf("round %d: reader at the tail of the live segment is not idle", round)
		}
		seg := w.Position().Segment
		appendN(t, w, next, 3, 150)
		if w.Position().Segment == seg {
			expect(0) // appended, not flushed: nothing to read
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		expect(3)
	}

	// The writer closes; a new one (a restart) appends on a new segment.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2 := openWriter(t, dir, Options{SegmentSize: 1024})
	appendN(t, w2, next, 4, 150)
	if err := w2.Flush(); err != nil {
		t.Fatal(err)
	}
	expect(4)
}

// TestTryNextFollowsConcurrentWriter polls with TryNext only while another
// goroutine appends, flushes and rolls.
func TestTryNextFollowsConcurrentWriter(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{SegmentSize: 2048})
	r, err := OpenReader(dir, Position{}, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 400
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		for i := range n {
			if _, err := w.Append(testMsg(t, i, 120)); err != nil {
				t.Error(err)
				return
			}
			if i%5 == 0 {
				if err := w.Flush(); err != nil {
					t.Error(err)
					return
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < n; {
		if r.TryNext() {
			if got := seqOf(t, r.Message()); got != i {
				t.Fatalf("record %d has seq %d", i, got)
			}
			i++
			continue
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %d not read within 10 s", i)
		}
		runtime.Gosched()
	}
}
