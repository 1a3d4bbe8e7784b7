package queue

import (
	"errors"
	"slices"
	"testing"
)

// appendTaken appends records from seq on until the writer refuses one;
// it returns the seqs taken (Append gave a position, with or without an
// error) and the position after the last.
func appendTaken(t *testing.T, w *Writer, from, max, size int) ([]int, Position) {
	t.Helper()
	var taken []int
	var last Position
	for i := from; i < from+max; i++ {
		pos, err := w.Append(testMsg(t, i, size))
		if pos != (Position{}) {
			taken = append(taken, i)
			last = pos
		}
		if err != nil {
			if !errors.Is(err, ErrWriteFailed) {
				t.Fatalf("append %d: %v, want ErrWriteFailed", i, err)
			}
			if pos == (Position{}) {
				return taken, last
			}
		}
	}
	return taken, last
}

// TestRecoverKeepsTakenRecords: a write cut short at various points fails
// the writer; Recover starts a new segment with every record taken, so a
// reader from the start gets exactly the records taken, then the ones
// appended after the recovery, once each.
func TestRecoverKeepsTakenRecords(t *testing.T) {
	for _, sync := range []SyncPolicy{SyncCheckpoint, SyncNone, SyncAlways} {
		for _, cut := range []int64{0, 1, 150, 1000, 5000, 12345} {
			dir := t.TempDir()
			var fs faults
			fs.budget.Store(cut)
			w := openWriter(t, dir, fs.options(Options{BufferSize: 512, SegmentSize: 4000, Sync: sync}))
			appendN(t, w, 0, 0, 100)
			// Sync now and then, as the checkpoint ticks do, so Synced
			// lies inside the failing segment.
			var taken []int
			var last Position
			for i := 0; i < 400; i += 7 {
				got, pos := appendTaken(t, w, i, 7, 100)
				taken = append(taken, got...)
				if len(got) > 0 {
					last = pos
				}
				if len(got) < 7 {
					break
				}
				if i%3 == 0 {
					_ = w.Sync()
				}
			}
			if w.Healthy() == nil {
				t.Fatalf("%v cut %d: writer healthy after the fault", sync, cut)
			}
			synced := w.Synced()

			fs.budget.Store(-1)
			if err := w.Recover(); err != nil {
				t.Fatalf("%v cut %d: recover: %v", sync, cut, err)
			}
			if err := w.Healthy(); err != nil {
				t.Fatalf("%v cut %d: healthy after recover: %v", sync, cut, err)
			}
			if w.Synced().Less(last) || w.Synced().Less(synced) {
				t.Fatalf("%v cut %d: synced %v after recover, want past %v (the last taken record) and %v", sync, cut, w.Synced(), last, synced)
			}
			more := appendN(t, w, 1000, 20, 100)
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			if w.Synced().Less(more) {
				t.Fatalf("%v cut %d: synced %v, want %v", sync, cut, w.Synced(), more)
			}
			w.Close()

			var damage int
			got, _ := readAll(t, dir, Position{}, ReaderOptions{OnCorruption: func(*CorruptionError) { damage++ }})
			want := append(slices.Clone(taken), seqRange(1000, 20)...)
			if !slices.Equal(got, want) {
				t.Fatalf("%v cut %d: read %v\nwant %v", sync, cut, got, want)
			}
			if damage != 0 {
				t.Errorf("%v cut %d: %d damaged regions reported", sync, cut, damage)
			}
		}
	}
}

// TestRecoverAfterFailedSync: a failed fsync fails the writer; Recover
// fails while fsync still fails (and leaves no segment behind), then
// works, and Synced covers every record taken before the failure.
func TestRecoverAfterFailedSync(t *testing.T) {
	var fs faults
	fs.budget.Store(-1)
	dir := t.TempDir()
	w := openWriter(t, dir, fs.options(Options{}))
	appendN(t, w, 0, 10, 100)
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	last := appendN(t, w, 10, 10, 100)
	fs.failSync.Store(true)
	if err := w.Sync(); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("sync: %v", err)
	}
	before, _ := Segments(dir)
	if err := w.Recover(); err == nil {
		t.Fatal("recover worked while fsync fails")
	}
	after, _ := Segments(dir)
	if !slices.Equal(before, after) {
		t.Fatalf("a failed recover left segments: %v, before %v", after, before)
	}
	if _, err := w.Append(testMsg(t, 99, 100)); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("append after a failed recover: %v", err)
	}
	fs.failSync.Store(false)
	if err := w.Recover(); err != nil {
		t.Fatal(err)
	}
	if w.Synced().Less(last) {
		t.Fatalf("synced %v, want past %v", w.Synced(), last)
	}
	appendN(t, w, 20, 5, 100)
	w.Close()
	got, _ := readAll(t, dir, Position{}, ReaderOptions{})
	if !slices.Equal(got, seqRange(0, 25)) {
		t.Fatalf("read %v", got)
	}
}

// TestRecoverSyncAlwaysTakesTheRecord: under SyncAlways, an Append whose
// fsync fails returns the error with the record's position; the record
// is kept by Recover.
func TestRecoverSyncAlwaysTakesTheRecord(t *testing.T) {
	var fs faults
	fs.budget.Store(-1)
	dir := t.TempDir()
	w := openWriter(t, dir, fs.options(Options{Sync: SyncAlways}))
	appendN(t, w, 0, 3, 100)
	fs.failSync.Store(true)
	pos, err := w.Append(testMsg(t, 3, 100))
	if !errors.Is(err, ErrWriteFailed) || pos == (Position{}) {
		t.Fatalf("append with a failing fsync: %v, %v; want the error and the position", pos, err)
	}
	if pos2, err := w.Append(testMsg(t, 4, 100)); err == nil || pos2 != (Position{}) {
		t.Fatalf("append on a failed writer: %v, %v; want not taken", pos2, err)
	}
	fs.failSync.Store(false)
	if err := w.Recover(); err != nil {
		t.Fatal(err)
	}
	if w.Synced().Less(pos) {
		t.Fatalf("synced %v, want past %v", w.Synced(), pos)
	}
	appendN(t, w, 4, 1, 100)
	w.Close()
	got, _ := readAll(t, dir, Position{}, ReaderOptions{})
	if !slices.Equal(got, seqRange(0, 5)) {
		t.Fatalf("read %v", got)
	}
}

// TestRecoverTailingReader: a reader following the writer through a
// failure and a recovery gets every record, in order, and nothing but
// duplicates of records it had read (those after Synced).
func TestRecoverTailingReader(t *testing.T) {
	var fs faults
	fs.budget.Store(-1)
	dir := t.TempDir()
	w := openWriter(t, dir, fs.options(Options{SegmentSize: 3000}))
	r, err := OpenReader(dir, Position{}, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []int
	drain := func() {
		for r.TryNext() {
			got = append(got, seqOf(t, r.Message()))
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
	}
	appendN(t, w, 0, 50, 100)
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	appendN(t, w, 50, 10, 100)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	drain() // the reader has read past Synced
	fs.budget.Store(50)
	taken, _ := appendTaken(t, w, 60, 100, 100)
	drain()
	fs.budget.Store(-1)
	if err := w.Recover(); err != nil {
		t.Fatal(err)
	}
	appendN(t, w, 60+len(taken), 10, 100)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	drain()
	// Every record once, in order, except a replay of the records it had
	// read after Synced (50..59 and any it read of the failing write).
	var dedup []int
	seen := map[int]bool{}
	for _, s := range got {
		if !seen[s] {
			seen[s] = true
			dedup = append(dedup, s)
		}
	}
	if want := seqRange(0, 70+len(taken)); !slices.Equal(dedup, want) {
		t.Fatalf("read %v\nwant (once each) %v", got, want)
	}
	for i, s := range got {
		if i > 0 && s < got[i-1] && s < 50 {
			t.Fatalf("replayed record %d from before Synced: %v", s, got)
		}
	}
}

// TestRecoverHealthyIsNoop: Recover on a healthy writer does nothing.
func TestRecoverHealthyIsNoop(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{})
	p := appendN(t, w, 0, 3, 100)
	if err := w.Recover(); err != nil {
		t.Fatal(err)
	}
	if w.Position() != p {
		t.Fatalf("position %v, want %v", w.Position(), p)
	}
	if segs, _ := Segments(dir); len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	w.Close()
	if err := w.Recover(); !errors.Is(err, ErrClosed) {
		t.Fatalf("recover after close: %v", err)
	}
}
