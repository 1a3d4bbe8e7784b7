package queue

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestAppendReadAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{SegmentSize: 4096})
	appendN(t, w, 0, 500, 200)
	end := w.Position()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	segs, err := Segments(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 20 {
		t.Fatalf("got %d segments, want a roll every ~4 KiB", len(segs))
	}
	for _, s := range segs[:len(segs)-1] {
		if s.Size < 4096 || s.Size >= 4096+300 {
			t.Errorf("finished segment %d has %d bytes, want [4096, 4096+one record)", s.ID, s.Size)
		}
	}
	got, r := readAll(t, dir, Position{}, ReaderOptions{})
	if !slices.Equal(got, seqRange(0, 500)) {
		t.Fatalf("read %d records, want 0..499 in order", len(got))
	}
	if r.Position() != end {
		t.Fatalf("reader ends at %v, writer at %v", r.Position(), end)
	}
}

func TestResumeFromEveryPosition(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{SegmentSize: 1000})
	var positions []Position
	for i := 0; i < 60; i++ {
		p, err := w.Append(testMsg(t, i, 100))
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, p)
	}
	w.Flush()
	for i, p := range positions {
		got, _ := readAll(t, dir, p, ReaderOptions{})
		if !slices.Equal(got, seqRange(i+1, 59-i)) {
			t.Fatalf("from %v (after %d): got %v", p, i, got)
		}
	}
}

func TestWriterAlwaysStartsNewSegment(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		w, err := OpenWriter(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Position(); got != (Position{Segment: uint64(round)}) {
			t.Fatalf("round %d: writer starts at %v", round, got)
		}
		appendN(t, w, round*10, 10, 100)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := readAll(t, dir, Position{}, ReaderOptions{})
	if !slices.Equal(got, seqRange(0, 30)) {
		t.Fatalf("got %v", got)
	}
}

func TestSecondWriterIsRefused(t *testing.T) {
	dir := t.TempDir()
	openWriter(t, dir, Options{})
	if _, err := OpenWriter(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second writer: %v, want ErrLocked", err)
	}
}

func TestAppendRefusesOversize(t *testing.T) {
	w := openWriter(t, t.TempDir(), Options{MaxMessageSize: 1024})
	_, err := w.Append(testMsg(t, 1, 2000))
	var se *SizeError
	if !errors.As(err, &se) || se.Max != 1024 || se.Size < 2000 {
		t.Fatalf("got %v, want a SizeError naming both sizes", err)
	}
	if _, err := w.Append(testMsg(t, 2, 500)); err != nil {
		t.Fatalf("a refused message must not poison the writer: %v", err)
	}
}

func TestOversizeRecordIsDeliveredAndCounted(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{MaxMessageSize: 8192})
	appendN(t, w, 0, 1, 100)
	appendN(t, w, 1, 1, 5000)
	appendN(t, w, 2, 1, 100)
	w.Flush()
	got, r := readAll(t, dir, Position{}, ReaderOptions{MaxMessageSize: 1024})
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("got %v", got)
	}
	if st := r.Stats(); st.Oversize != 1 {
		t.Fatalf("oversize count %d, want 1", st.Oversize)
	}
}

func TestTailingReaderWakesOnFlush(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{SegmentSize: 2048})
	r, err := OpenReader(dir, Position{}, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			if _, err := w.Append(testMsg(t, i, 150)); err != nil {
				t.Error(err)
				return
			}
			if i%7 == 0 {
				w.Flush()
			}
		}
		w.Flush()
	}()
	ctx := ctxTimeout(t, 10*time.Second)
	for i := 0; i < 200; i++ {
		if !r.Next(ctx) {
			t.Fatalf("record %d: Next false: %v", i, r.Err())
		}
		if got := seqOf(t, r.Message()); got != i {
			t.Fatalf("record %d has seq %d", i, got)
		}
	}
	wg.Wait()
	ctx2, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if r.Next(ctx2) {
		t.Fatal("Next returned a record past the end")
	}
}

func TestReaderWaitsForQueueToExist(t *testing.T) {
	dir := t.TempDir() + "/q"
	r, err := OpenReader(dir, Position{}, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.TryNext() {
		t.Fatal("record from an empty queue")
	}
	w := openWriter(t, dir, Options{})
	appendN(t, w, 7, 1, 100)
	w.Flush()
	if !r.Next(ctxTimeout(t, 5*time.Second)) || seqOf(t, r.Message()) != 7 {
		t.Fatalf("reader did not pick up the new queue: %v", r.Err())
	}
}

func TestPruneAndLag(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{SegmentSize: 1000})
	var mid Position
	for i := 0; i < 100; i++ {
		p, _ := w.Append(testMsg(t, i, 100))
		if i == 49 {
			mid = p
		}
	}
	w.Flush()
	total, err := Lag(dir, Position{})
	if err != nil {
		t.Fatal(err)
	}
	if want := w.Position(); total < int64(want.Segment)*1000 {
		t.Fatalf("lag from start %d too small for writer at %v", total, want)
	}
	lagMid, _ := Lag(dir, mid)
	if lagMid <= 0 || lagMid >= total {
		t.Fatalf("lag from mid %d, total %d", lagMid, total)
	}
	n, bytes, err := Prune(dir, mid)
	if err != nil {
		t.Fatal(err)
	}
	if n != int(mid.Segment) || bytes <= 0 {
		t.Fatalf("pruned %d segments (%d bytes), want %d", n, bytes, mid.Segment)
	}
	segs, _ := Segments(dir)
	if segs[0].ID != mid.Segment {
		t.Fatalf("oldest segment %d, want %d", segs[0].ID, mid.Segment)
	}
	got, _ := readAll(t, dir, mid, ReaderOptions{})
	if !slices.Equal(got, seqRange(50, 50)) {
		t.Fatalf("after prune: %v", got)
	}
	// A pruned start position jumps to the oldest segment.
	got, r := readAll(t, dir, Position{}, ReaderOptions{})
	if len(got) == 0 || got[len(got)-1] != 99 || r.Stats().MissingSegments != 1 {
		t.Fatalf("from pruned start: %v, stats %+v", got, r.Stats())
	}
	// The newest segment is never pruned.
	if n, _, _ := Prune(dir, Position{Segment: 1 << 40}); n != len(segs)-1 {
		t.Fatalf("pruned %d of %d", n, len(segs))
	}
	if free, err := DiskFree(dir); err != nil || free == 0 {
		t.Fatalf("disk free %d, %v", free, err)
	}
}

func TestSyncAdvancesSynced(t *testing.T) {
	for _, pol := range []SyncPolicy{SyncNone, SyncCheckpoint, SyncAlways} {
		t.Run(pol.String(), func(t *testing.T) {
			w := openWriter(t, t.TempDir(), Options{Sync: pol, SegmentSize: 4096})
			p := appendN(t, w, 0, 100, 100)
			if pol != SyncAlways && !w.Synced().Less(p) {
				t.Fatalf("synced %v before Sync, appended %v", w.Synced(), p)
			}
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			if w.Synced() != p {
				t.Fatalf("synced %v after Sync, want %v", w.Synced(), p)
			}
		})
	}
	if _, err := ParseSyncPolicy("sometimes"); err == nil {
		t.Fatal("bad policy accepted")
	}
}

func TestCloseTwice(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, w, 0, 3, 100)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := w.Append(testMsg(t, 9, 100)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	// Close flushed: everything is on disk.
	if got, _ := readAll(t, dir, Position{}, ReaderOptions{}); len(got) != 3 {
		t.Fatalf("got %v", got)
	}
	if _, err := os.Stat(SegmentPath(dir, 0)); err != nil {
		t.Fatal(err)
	}
}
