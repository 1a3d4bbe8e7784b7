package queue

import (
	"errors"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// faultFile wraps a segment file: after budget bytes a write is cut short
// and fails; Sync fails when failSync is set. It counts syncs.
type faultFile struct {
	f        *os.File
	budget   *atomic.Int64 // shared by all segments of one writer; <0 = unlimited
	failSync *atomic.Bool
	syncs    *atomic.Int64
}

var errInjected = errors.New("injected fault")

func (ff *faultFile) Write(p []byte) (int, error) {
	b := ff.budget.Load()
	if b < 0 || int64(len(p)) <= b {
		if b >= 0 {
			ff.budget.Add(-int64(len(p)))
		}
		return ff.f.Write(p)
	}
	n, _ := ff.f.Write(p[:b])
	ff.budget.Store(0)
	return n, errInjected
}

func (ff *faultFile) Sync() error {
	ff.syncs.Add(1)
	if ff.failSync.Load() {
		return errInjected
	}
	return ff.f.Sync()
}

func (ff *faultFile) Close() error { return ff.f.Close() }

type faults struct {
	budget   atomic.Int64
	failSync atomic.Bool
	syncs    atomic.Int64
}

func (fs *faults) options(o Options) Options {
	o.create = func(name string) (File, error) {
		f, err := createFile(name)
		if err != nil {
			return nil, err
		}
		return &faultFile{f: f.(*os.File), budget: &fs.budget, failSync: &fs.failSync, syncs: &fs.syncs}, nil
	}
	return o
}

func TestShortWriteIsStickyAndCompleteRecordsSurvive(t *testing.T) {
	for _, cut := range []int64{0, 1, 150, 1000, 5000, 12345} {
		dir := t.TempDir()
		var fs faults
		fs.budget.Store(cut)
		w, err := OpenWriter(dir, fs.options(Options{BufferSize: 512, SegmentSize: 4000}))
		if err != nil {
			t.Fatal(err)
		}
		var ok []int
		var first error
		for i := 0; i < 200; i++ {
			_, err := w.Append(testMsg(t, i, 100))
			if err != nil {
				first = err
				break
			}
			ok = append(ok, i)
		}
		if first == nil {
			first = w.Flush()
		}
		if !errors.Is(first, ErrWriteFailed) || !errors.Is(first, errInjected) {
			t.Fatalf("cut %d: error %v, want ErrWriteFailed wrapping the fault", cut, first)
		}
		if _, err := w.Append(testMsg(t, 999, 100)); !errors.Is(err, errInjected) {
			t.Fatalf("cut %d: append after failure: %v, want the sticky error", cut, err)
		}
		if err := w.Sync(); !errors.Is(err, errInjected) || w.Healthy() == nil {
			t.Fatalf("cut %d: sync %v, healthy %v", cut, err, w.Healthy())
		}
		w.Close()
		// Every record that reached the file whole reads back, in order,
		// and nothing else (a new writer finishes the torn segment).
		w2 := openWriter(t, dir, Options{})
		w2.Close()
		got, _ := readAll(t, dir, Position{}, ReaderOptions{OnCorruption: func(*CorruptionError) {}})
		if !slices.Equal(got, seqRange(0, len(got))) {
			t.Fatalf("cut %d: read %v", cut, got)
		}
		size := int64(0)
		segs, _ := Segments(dir)
		for _, s := range segs {
			size += s.Size
		}
		if size != cut {
			t.Fatalf("cut %d: %d bytes on disk", cut, size)
		}
		if len(got) > len(ok) {
			t.Fatalf("cut %d: read %d records, only %d appends succeeded", cut, len(got), len(ok))
		}
	}
}

func TestFailedSyncIsSticky(t *testing.T) {
	var fs faults
	fs.budget.Store(-1)
	w := openWriter(t, t.TempDir(), fs.options(Options{}))
	appendN(t, w, 0, 10, 100)
	fs.failSync.Store(true)
	before := w.Synced()
	if err := w.Sync(); !errors.Is(err, errInjected) {
		t.Fatalf("sync: %v", err)
	}
	fs.failSync.Store(false)
	if err := w.Sync(); !errors.Is(err, errInjected) {
		t.Fatalf("sync after a failed sync: %v, want the sticky error", err)
	}
	if w.Synced() != before {
		t.Fatalf("synced moved to %v after a failed fsync", w.Synced())
	}
	if _, err := w.Append(testMsg(t, 11, 100)); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("append: %v", err)
	}
}

// Linux reports a write-back error to one fsync of a file only: once an
// fsync of a segment failed, every later fsync of that segment (a roll's,
// another syncer's) must report it too, or the records it lost would count
// as durable.
func TestFailedSegmentFsyncStaysFailed(t *testing.T) {
	var fs faults
	fs.budget.Store(-1)
	w := openWriter(t, t.TempDir(), fs.options(Options{}))
	appendN(t, w, 0, 10, 100)
	w.mu.Lock()
	seg := w.seg
	w.mu.Unlock()
	fs.failSync.Store(true)
	if err := w.fsync(seg); !errors.Is(err, errInjected) {
		t.Fatalf("fsync: %v", err)
	}
	fs.failSync.Store(false) // the file would now report success
	syncs := fs.syncs.Load()
	if err := w.fsync(seg); !errors.Is(err, errInjected) {
		t.Fatalf("second fsync of the segment: %v, want the first one's error", err)
	}
	if fs.syncs.Load() != syncs {
		t.Fatal("the failed segment was fsynced again")
	}
}

func TestGroupCommitSharesFsyncs(t *testing.T) {
	var fs faults
	fs.budget.Store(-1)
	w := openWriter(t, t.TempDir(), fs.options(Options{Sync: SyncAlways}))
	const appenders, each = 8, 50
	var wg sync.WaitGroup
	for g := 0; g < appenders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				p, err := w.Append(testMsg(t, g*each+i, 100))
				if err != nil {
					t.Error(err)
					return
				}
				if w.Synced().Less(p) {
					t.Errorf("append returned before its record was synced")
					return
				}
			}
		}()
	}
	wg.Wait()
	n := fs.syncs.Load()
	if n == 0 || n >= appenders*each {
		t.Fatalf("%d fsyncs for %d records", n, appenders*each)
	}
	t.Logf("%d fsyncs for %d records", n, appenders*each)
}
