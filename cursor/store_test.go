package cursor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/internal/atomicfile/atomicfiletest"
	"github.com/sightline/sightline/queue"
)

// fakeWriter stands in for a queue writer: Append moves its end, Sync makes
// the end durable unless it is set to fail or to lag.
type fakeWriter struct {
	mu     sync.Mutex
	end    queue.Position
	synced queue.Position
	err    error  // returned by Sync, which then syncs nothing
	lag    bool   // Sync succeeds without advancing Synced
	onSync func() // called at the start of Sync, without the lock
	syncs  int
}

func (w *fakeWriter) Append(n int64) queue.Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.end.Offset += n
	return w.end
}

func (w *fakeWriter) Sync() error {
	w.mu.Lock()
	hook := w.onSync
	w.mu.Unlock()
	if hook != nil {
		hook()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.syncs++
	if w.err != nil {
		return w.err
	}
	if !w.lag {
		w.synced = w.end
	}
	return nil
}

func (w *fakeWriter) Synced() queue.Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.synced
}

func (w *fakeWriter) set(f func(w *fakeWriter)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(w)
}

// newTestStore opens a Store without a flusher (ticks only by Flush) over
// fsys, closed at cleanup.
func newTestStore(t testing.TB, fsys atomicfile.FS, writers map[string]Syncer) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cursors")
	s, err := openStore(Options{Dir: dir, Interval: -1}, writers, fsys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

var (
	gen  = Key{TypeInput, "gen"}
	out  = Key{TypeOutput, "out"}
	stat = Key{TypeAnalysis, "stat"}
)

func at(q string, off int64) map[string]queue.Position {
	return map[string]queue.Position{q: {Offset: off}}
}

// onDisk loads key's file, failing t on error.
func onDisk(t testing.TB, dir string, key Key) (State, bool) {
	t.Helper()
	st, ok, err := Load(filepath.Join(dir, key.String()+".cp"))
	if err != nil {
		t.Fatal(err)
	}
	return st, ok
}

func mustPut(t testing.TB, s *Store, key Key, st State, deps ...Dep) {
	t.Helper()
	if err := s.Put(key, st, deps...); err != nil {
		t.Fatal(err)
	}
}

func TestStoreWaitsForSync(t *testing.T) {
	cases := []struct {
		name    string
		break_  func(w *fakeWriter)
		wantErr bool
	}{
		{"sync fails", func(w *fakeWriter) { w.err = errInjected }, true},
		{"synced lags", func(w *fakeWriter) { w.lag = true }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &fakeWriter{}
			s, dir := newTestStore(t, atomicfile.OS, map[string]Syncer{"input": w})

			// A first state is saved normally.
			first := State{Checkpoint: number(1)}
			mustPut(t, s, gen, first, Dep{"input", w.Append(100)})
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}

			// The next one depends on data that does not become durable.
			w.set(tc.break_)
			second := State{Checkpoint: number(2)}
			mustPut(t, s, gen, second, Dep{"input", w.Append(100)})
			err := s.Flush()
			if (err != nil) != tc.wantErr || (tc.wantErr && !errors.Is(err, errInjected)) {
				t.Fatalf("Flush = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr && !strings.Contains(err.Error(), "input") {
				t.Errorf("error %q does not name the queue", err)
			}
			if st, _ := onDisk(t, dir, gen); !equalState(st, first) {
				t.Fatalf("file holds %#v before its data is durable", st)
			}

			// Once the queue syncs, the pending state is written.
			w.set(func(w *fakeWriter) { w.err, w.lag = nil, false })
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if st, _ := onDisk(t, dir, gen); !equalState(st, second) {
				t.Fatalf("file holds %#v, want %#v", st, second)
			}
		})
	}
}

func TestStoreFailedQueueBlocksOnlyItsDependents(t *testing.T) {
	in, an := &fakeWriter{err: errInjected}, &fakeWriter{}
	s, dir := newTestStore(t, atomicfile.OS, map[string]Syncer{"input": in, "analysis": an})
	mustPut(t, s, gen, State{Checkpoint: number(1)}, Dep{"input", in.Append(10)})
	mustPut(t, s, stat, State{Queues: at("input", 10)}, Dep{"analysis", an.Append(10)})
	mustPut(t, s, out, State{Queues: at("input", 10)})
	if err := s.Flush(); !errors.Is(err, errInjected) {
		t.Fatalf("Flush = %v", err)
	}
	if _, ok := onDisk(t, dir, gen); ok {
		t.Error("input plugin saved although its queue failed to sync")
	}
	for _, k := range []Key{stat, out} {
		if _, ok := onDisk(t, dir, k); !ok {
			t.Errorf("%s not saved", k)
		}
	}
	if in.syncs != 1 {
		t.Errorf("failing queue synced %d times in one tick, want 1", in.syncs)
	}
}

func TestStoreDepsAreCumulative(t *testing.T) {
	w := &fakeWriter{lag: true}
	s, dir := newTestStore(t, atomicfile.OS, map[string]Syncer{"input": w})
	mustPut(t, s, gen, State{Checkpoint: number(1)}, Dep{"input", w.Append(10)})
	// A later Put names no dependency; the earlier one still holds.
	mustPut(t, s, gen, State{Checkpoint: number(2)})
	mustPut(t, s, gen, State{Checkpoint: number(3)}, Dep{"input", queue.Position{Offset: 5}})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, ok := onDisk(t, dir, gen); ok {
		t.Fatal("state saved before the data it depends on is durable")
	}
	w.set(func(w *fakeWriter) { w.lag = false })
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if st, _ := onDisk(t, dir, gen); !equalState(st, State{Checkpoint: number(3)}) {
		t.Fatalf("file holds %#v", st)
	}
}

func TestStorePutDuringTick(t *testing.T) {
	w := &fakeWriter{}
	s, dir := newTestStore(t, atomicfile.OS, map[string]Syncer{"input": w})
	older := State{Queues: at("input", 10), Checkpoint: str("older")}
	newer := State{Queues: at("input", 20), Checkpoint: str("newer")}
	mustPut(t, s, gen, older, Dep{"input", w.Append(10)})
	w.onSync = func() {
		w.onSync = nil // Sync reads the hook before running it: no race
		mustPut(t, s, gen, newer, Dep{"input", w.Append(10)})
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if st, _ := onDisk(t, dir, gen); !equalState(st, older) {
		t.Fatalf("file holds %#v, want the snapshotted state", st)
	}
	if st, ok, err := s.Load(gen); err != nil || !ok || !equalState(st, newer) {
		t.Fatalf("Store.Load = %#v, %v, %v; want the newer state", st, ok, err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if st, _ := onDisk(t, dir, gen); !equalState(st, newer) {
		t.Fatalf("file holds %#v, want the newer state", st)
	}
}

func TestStoreWritesOnlyChanged(t *testing.T) {
	fsys := atomicfiletest.New(atomicfiletest.None)
	s, _ := newTestStore(t, fsys, nil)
	a, b := State{Queues: at("input", 1)}, State{Queues: at("input", 2)}
	steps := []struct {
		name string
		put  map[Key]State
		want int // files written by the tick
	}{
		{"two new", map[Key]State{out: a, stat: a}, 2},
		{"nothing put", nil, 0},
		{"same state again", map[Key]State{out: a}, 0},
		{"one changed", map[Key]State{out: b, stat: a}, 1},
	}
	for _, step := range steps {
		for k, st := range step.put {
			mustPut(t, s, k, st)
		}
		before := fsys.Count(atomicfiletest.Rename)
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := fsys.Count(atomicfiletest.Rename) - before; got != step.want {
			t.Errorf("%s: %d files written, want %d", step.name, got, step.want)
		}
	}
}

func TestStoreWriteFailureRetries(t *testing.T) {
	for _, step := range atomicfiletest.WriteSteps {
		t.Run(string(step), func(t *testing.T) {
			fsys := atomicfiletest.New(atomicfiletest.None)
			s, dir := newTestStore(t, fsys, nil)
			a, b := State{Queues: at("input", 1)}, State{Queues: at("input", 2)}
			mustPut(t, s, out, a)
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			fsys.Fail(step)
			mustPut(t, s, out, b)
			if err := s.Flush(); !errors.Is(err, step.Err()) {
				t.Fatalf("Flush = %v, want %v", err, step.Err())
			}
			if step != atomicfiletest.SyncDir {
				if st, _ := onDisk(t, dir, out); !equalState(st, a) {
					t.Fatalf("file holds %#v after a failed save", st)
				}
			}
			assertDir(t, dir, out.String()+".cp")
			fsys.Fail(atomicfiletest.None)
			before := fsys.Count(atomicfiletest.Rename)
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if st, _ := onDisk(t, dir, out); !equalState(st, b) || fsys.Count(atomicfiletest.Rename) != before+1 {
				t.Fatalf("retry: file holds %#v, %d writes", st, fsys.Count(atomicfiletest.Rename)-before)
			}
		})
	}
}

// One tick fsyncs the directory once, however many files it writes.
func TestStoreSyncsDirOncePerTick(t *testing.T) {
	fsys := atomicfiletest.New(atomicfiletest.None)
	s, _ := newTestStore(t, fsys, nil)
	before := fsys.Count(atomicfiletest.SyncDir)
	mustPut(t, s, out, State{Queues: at("input", 1)})
	mustPut(t, s, stat, State{Queues: at("input", 1)})
	mustPut(t, s, gen, State{Checkpoint: str("x")})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := fsys.Count(atomicfiletest.SyncDir) - before; n != 1 {
		t.Errorf("tick writing 3 files synced the directory %d times, want 1", n)
	}
}

func TestStoreClose(t *testing.T) {
	w := &fakeWriter{}
	dir := filepath.Join(t.TempDir(), "cursors")
	s, err := OpenStore(Options{Dir: dir, Interval: time.Hour}, map[string]Syncer{"input": w})
	if err != nil {
		t.Fatal(err)
	}
	st := State{Checkpoint: str("last")}
	mustPut(t, s, gen, st, Dep{"input", w.Append(1)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := onDisk(t, dir, gen); !equalState(got, st) {
		t.Fatalf("Close did not save the last state: %#v", got)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := s.Put(gen, st); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v", err)
	}
	if err := s.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v", err)
	}
	if _, _, err := s.Load(gen); !errors.Is(err, ErrClosed) {
		t.Errorf("Load after Close = %v", err)
	}
	if err := s.Remove(gen); !errors.Is(err, ErrClosed) {
		t.Errorf("Remove after Close = %v", err)
	}
}

func TestStoreCloseReportsSyncError(t *testing.T) {
	w := &fakeWriter{err: errInjected}
	s, dir := newTestStore(t, atomicfile.OS, map[string]Syncer{"input": w})
	mustPut(t, s, gen, State{Checkpoint: number(1)}, Dep{"input", w.Append(1)})
	if err := s.Close(); !errors.Is(err, errInjected) {
		t.Fatalf("Close = %v", err)
	}
	if _, ok := onDisk(t, dir, gen); ok {
		t.Fatal("Close saved a state whose data is not durable")
	}
}

func TestStoreBackgroundTick(t *testing.T) {
	w := &fakeWriter{err: errInjected}
	errs := make(chan error, 1)
	dir := filepath.Join(t.TempDir(), "cursors")
	s, err := OpenStore(Options{
		Dir:      dir,
		Interval: time.Millisecond,
		OnError: func(err error) {
			select {
			case errs <- err:
			default:
			}
		},
	}, map[string]Syncer{"input": w})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustPut(t, s, gen, State{Checkpoint: number(7)}, Dep{"input", w.Append(1)})
	select {
	case err := <-errs:
		if !errors.Is(err, errInjected) {
			t.Fatalf("OnError got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tick reported the sync error")
	}
	w.set(func(w *fakeWriter) { w.err = nil })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, ok := onDisk(t, dir, gen); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no tick saved the state")
		}
	}
}

// checkFS fails the test if a cursor file is renamed into place while its
// input position is beyond what the writer has made durable.
type checkFS struct {
	atomicfile.FS
	t testing.TB
	w *fakeWriter
}

func (c checkFS) Rename(oldpath, newpath string) error {
	data, err := os.ReadFile(oldpath)
	if err != nil {
		return err
	}
	st, err := parse(oldpath, data)
	if err != nil {
		c.t.Errorf("temp file: %v", err)
	} else if synced := c.w.Synced(); synced.Less(st.Queues["input"]) {
		c.t.Errorf("%s saved at %v, queue durable only to %v", newpath, st.Queues["input"], synced)
	}
	return c.FS.Rename(oldpath, newpath)
}

func TestStoreConcurrentPuts(t *testing.T) {
	const plugins, puts = 8, 2000
	w := &fakeWriter{}
	var syncs atomic.Int64
	w.onSync = func() { // every third Sync fails
		if syncs.Add(1)%3 == 0 {
			w.set(func(w *fakeWriter) { w.err = errInjected })
		} else {
			w.set(func(w *fakeWriter) { w.err = nil })
		}
	}
	dir := filepath.Join(t.TempDir(), "cursors")
	var tickErrs atomic.Int64
	s, err := openStore(Options{
		Dir:      dir,
		Interval: time.Millisecond,
		OnError:  func(error) { tickErrs.Add(1) },
	}, map[string]Syncer{"input": w}, checkFS{FS: atomicfile.OS, t: t, w: w})
	if err != nil {
		t.Fatal(err)
	}
	last := make([]queue.Position, plugins)
	var wg sync.WaitGroup
	for i := range plugins {
		wg.Go(func() {
			key := Key{TypeInput, fmt.Sprint("p", i)}
			for j := range puts {
				pos := w.Append(1)
				st := State{Queues: map[string]queue.Position{"input": pos}, Checkpoint: number(float64(j))}
				if err := s.Put(key, st, Dep{"input", pos}); err != nil {
					t.Error(err)
					return
				}
				last[i] = pos
			}
		})
	}
	wg.Go(func() { // direct ticks alongside the flusher's
		for range 50 {
			_ = s.Flush() // may fail by design
		}
	})
	wg.Wait()
	w.set(func(w *fakeWriter) { w.err, w.onSync = nil, nil })
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for i := range plugins {
		st, ok := onDisk(t, dir, Key{TypeInput, fmt.Sprint("p", i)})
		want := State{Queues: map[string]queue.Position{"input": last[i]}, Checkpoint: number(puts - 1)}
		if !ok || !equalState(st, want) {
			t.Errorf("plugin %d: file holds %#v, want %#v", i, st, want)
		}
	}
	t.Logf("%d syncs, %d failed background ticks", syncs.Load(), tickErrs.Load())
}

func TestStoreLoad(t *testing.T) {
	s, dir := newTestStore(t, atomicfile.OS, nil)
	if _, ok, err := s.Load(out); ok || err != nil {
		t.Fatalf("Load(unknown) = %v, %v", ok, err)
	}
	saved := State{Queues: at("analysis", 5)}
	if err := Save(filepath.Join(dir, out.String()+".cp"), saved); err != nil {
		t.Fatal(err)
	}
	if st, ok, err := s.Load(out); !ok || err != nil || !equalState(st, saved) {
		t.Fatalf("Load(from file) = %#v, %v, %v", st, ok, err)
	}
	pending := State{Queues: at("analysis", 9)}
	mustPut(t, s, out, pending)
	if st, ok, err := s.Load(out); !ok || err != nil || !equalState(st, pending) {
		t.Fatalf("Load(pending) = %#v, %v, %v", st, ok, err)
	}
	if err := os.WriteFile(filepath.Join(dir, stat.String()+".cp"), []byte("junk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, _, err := s.Load(stat); !errors.As(err, &ce) {
		t.Fatalf("Load(corrupt) = %v", err)
	}
}

func TestStoreRemove(t *testing.T) {
	s, dir := newTestStore(t, atomicfile.OS, nil)
	mustPut(t, s, out, State{Queues: at("input", 1)})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, out, State{Queues: at("input", 2)}) // pending, dropped by Remove
	if err := s.Remove(out); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	assertDir(t, dir)
	if _, ok, err := s.Load(out); ok || err != nil {
		t.Fatalf("Load after Remove = %v, %v", ok, err)
	}
	if err := s.Remove(out); err != nil {
		t.Fatalf("second Remove = %v", err)
	}
}

func TestStorePutRefusesInvalid(t *testing.T) {
	s, _ := newTestStore(t, atomicfile.OS, map[string]Syncer{"input": &fakeWriter{}})
	cases := []struct {
		name string
		key  Key
		st   State
		deps []Dep
		want error
	}{
		{"unknown type", Key{"filter", "x"}, State{}, nil, ErrInvalidKey},
		{"empty name", Key{TypeInput, ""}, State{}, nil, ErrInvalidKey},
		{"name with slash", Key{TypeInput, "../x"}, State{}, nil, ErrInvalidKey},
		{"hidden name", Key{TypeInput, ".x"}, State{}, nil, ErrInvalidKey},
		{"checkpoint too large", gen, State{Checkpoint: str(strings.Repeat("x", MaxCheckpointSize+1))}, nil, ErrCheckpointTooLarge},
		{"bad checkpoint kind", gen, State{Checkpoint: Checkpoint{Kind: 3}}, nil, ErrInvalidCheckpoint},
		{"bad queue name", out, State{Queues: at("in put", 1)}, nil, ErrInvalidQueue},
		{"negative offset", out, State{Queues: at("input", -1)}, nil, ErrInvalidPosition},
		{"dep on unknown queue", out, State{}, []Dep{{"analysis", queue.Position{}}}, ErrUnknownQueue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Put(tc.key, tc.st, tc.deps...); !errors.Is(err, tc.want) {
				t.Errorf("Put = %v, want %v", err, tc.want)
			}
		})
	}
	if n := len(s.entries); n != 0 {
		t.Errorf("%d entries kept from refused Puts", n)
	}
}

func TestOpenStore(t *testing.T) {
	t.Run("creates directory and removes temp files", func(t *testing.T) {
		root := t.TempDir()
		dir := filepath.Join(root, "cursors")
		s, err := OpenStore(Options{Dir: dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"input.a.cp", "input.a.cp" + atomicfile.TempInfix + "x1", "notes.txt"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(valid), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s, err = OpenStore(Options{Dir: dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		assertDir(t, dir, "input.a.cp", "notes.txt")
	})
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name    string
		opts    Options
		writers map[string]Syncer
	}{
		{"no dir", Options{}, nil},
		{"dir is a file", Options{Dir: file}, nil},
		{"nil writer", Options{Dir: t.TempDir()}, map[string]Syncer{"input": nil}},
		{"bad queue name", Options{Dir: t.TempDir()}, map[string]Syncer{"a b": &fakeWriter{}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := OpenStore(tc.opts, tc.writers); err == nil {
				s.Close()
				t.Fatal("OpenStore succeeded")
			}
		})
	}
}

func BenchmarkPut(b *testing.B) {
	w := &fakeWriter{}
	s, _ := newTestStore(b, atomicfile.OS, map[string]Syncer{"input": w})
	st := State{Queues: map[string]queue.Position{"input": {}}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pos := queue.Position{Segment: 1, Offset: int64(i)}
		st.Queues["input"] = pos
		if err := s.Put(gen, st, Dep{"input", pos}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutParallel(b *testing.B) {
	s, _ := newTestStore(b, atomicfile.OS, map[string]Syncer{"input": &fakeWriter{}})
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		key := Key{TypeOutput, fmt.Sprint("p", next.Add(1))}
		st := State{Queues: map[string]queue.Position{"input": {}}}
		for i := int64(0); pb.Next(); i++ {
			st.Queues["input"] = queue.Position{Offset: i}
			if err := s.Put(key, st, Dep{"input", queue.Position{Offset: i}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkTick100 measures one tick saving 100 changed cursors on the real
// file system (fsync cost depends on the disk under the temp directory).
func BenchmarkTick100(b *testing.B) {
	w := &fakeWriter{}
	s, _ := newTestStore(b, atomicfile.OS, map[string]Syncer{"input": w})
	keys := make([]Key, 100)
	for i := range keys {
		keys[i] = Key{TypeOutput, fmt.Sprint("plugin", i)}
	}
	st := State{Queues: map[string]queue.Position{"input": {}}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for _, k := range keys {
			st.Queues["input"] = w.Append(1)
			if err := s.Put(k, st, Dep{"input", st.Queues["input"]}); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// The daemon's queue writer is a Syncer.
var _ Syncer = (*queue.Writer)(nil)
