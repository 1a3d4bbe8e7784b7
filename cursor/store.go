package cursor

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/queue"
)

// DefaultInterval is how often a Store saves changed cursors.
const DefaultInterval = time.Second

// slowTick is how long a checkpoint tick may take before it is logged.
const slowTick = time.Second

// Syncer is the part of a queue writer a Store needs (queue.Writer has it).
// Both methods must be safe to call concurrently with appends.
type Syncer interface {
	// Sync makes every record appended before the call durable.
	Sync() error
	// Synced returns the position before which every record is durable.
	Synced() queue.Position
}

// Options configure a Store. The zero value of each field but Dir is a
// usable default.
type Options struct {
	// Dir is the cursors directory, "<output_path>/cursors". It is created
	// (mode 0750) if missing. Required.
	Dir string
	// Interval is the time between checkpoint ticks. Zero means
	// DefaultInterval (1 s); a negative value starts no flusher, so only
	// Flush and Close save.
	Interval time.Duration
	// Logger receives tick errors when OnError is nil, slow-tick warnings
	// and the temp files removed at open. Nil means slog.Default().
	Logger *slog.Logger
	// OnError, if set, receives the error of every failed background tick
	// instead of Logger. It runs on the flusher goroutine and must not call
	// Flush, Remove or Close.
	OnError func(error)
}

// Store keeps every plugin's latest State in memory and saves the changed
// ones once per Interval, each only when the queue data it depends on is
// durable (see the package documentation). It is safe for concurrent use.
type Store struct {
	dir      string
	interval time.Duration
	logger   *slog.Logger
	onError  func(error)
	writers  map[string]Syncer // fixed at open; read without locks
	fsys     atomicfile.FS

	// Lock order: flushMu, then mu. Put takes only mu, so a slow tick
	// (fsync) never blocks a plugin.
	flushMu sync.Mutex // serializes ticks, Remove and the final flush
	mu      sync.Mutex // guards entries, closed and every entry's fields but saved
	entries map[Key]*entry
	closed  bool
	last    *entry // entries[lastKey], the entry of the last Put, or nil
	lastKey Key

	closeOnce sync.Once
	closeErr  error
	quit      chan struct{} // closed by Close to stop run; nil without flusher
	done      chan struct{} // closed by run when it returns
}

// entry is one plugin's cursor in memory.
type entry struct {
	queues   []queuePos // latest State.Queues, in Put's order
	cp       Checkpoint // latest State.Checkpoint
	deps     []Dep      // highest position put per queue, never lowered
	seq      uint64     // number of Puts
	savedSeq uint64     // seq of the state the file holds
	saved    []byte     // file content last written; guarded by flushMu
}

// queuePos is one entry of State.Queues, kept in a slice so Put does not
// allocate.
type queuePos struct {
	name string
	pos  queue.Position
}

// OpenStore opens the cursors directory, removes temp files a crash left
// there and starts the flusher. writers maps each queue name a Dep may name
// to its writer; the map is copied.
func OpenStore(opts Options, writers map[string]Syncer) (*Store, error) {
	return openStore(opts, writers, atomicfile.OS)
}

func openStore(opts Options, writers map[string]Syncer, fsys atomicfile.FS) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("cursor: Options.Dir is empty")
	}
	s := &Store{
		dir:      opts.Dir,
		interval: opts.Interval,
		logger:   opts.Logger,
		onError:  opts.OnError,
		writers:  make(map[string]Syncer, len(writers)),
		fsys:     fsys,
		entries:  make(map[Key]*entry),
	}
	for name, w := range writers {
		if err := validateQueue(name); err != nil {
			return nil, err
		}
		if w == nil {
			return nil, fmt.Errorf("cursor: nil writer for queue %s", name)
		}
		s.writers[name] = w
	}
	if s.interval == 0 {
		s.interval = DefaultInterval
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if err := makeDir(fsys, s.dir); err != nil {
		return nil, err
	}
	removed, err := removeTemps(fsys, s.dir)
	for _, name := range removed {
		s.logger.Info("removed temp file left by a crash", "file", name)
	}
	if err != nil {
		return nil, err
	}
	if s.interval > 0 {
		s.quit = make(chan struct{})
		s.done = make(chan struct{})
		go s.run()
	}
	return s, nil
}

// makeDir creates dir if missing and fsyncs its parent, so the cursors
// saved in it survive a crash.
func makeDir(fsys atomicfile.FS, dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("cursor: %s is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cursor: %w", err)
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	if err := fsys.SyncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
		return fmt.Errorf("cursor: create %s: %w", dir, err)
	}
	return nil
}

// path returns the file of key.
func (s *Store) path(key Key) string {
	return filepath.Join(s.dir, key.String()+".cp")
}

// Put records st as the latest state of plugin key; the next tick saves it.
// It is meant to be called after every processed message: it copies st and
// deps (the caller may reuse them) and does not allocate once key is known.
//
// deps names, per queue, the writer position after the last record the
// plugin appended before reaching st; Put must come after those Appends
// returned. Deps are cumulative: the Store keeps the highest position seen
// per queue for key, so a caller passes only what it appended since its
// last Put (or nothing).
func (s *Store) Put(key Key, st State, deps ...Dep) error {
	if err := st.Checkpoint.validate(); err != nil {
		return err
	}
	for _, d := range deps {
		if _, ok := s.writers[d.Queue]; !ok {
			return fmt.Errorf("%w %q", ErrUnknownQueue, d.Queue)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	e := s.last
	if e == nil || s.lastKey != key {
		e = s.entries[key]
	}
	if e == nil || !e.sameQueues(st.Queues) {
		// A new key, or the queues changed: copy and check them all
		// before changing anything. A plugin reads one or two queues, so
		// buf keeps this off the heap.
		var buf [4]queuePos
		queues := buf[:0]
		for name, p := range st.Queues {
			if err := validatePosition(name, p); err != nil {
				return err
			}
			queues = append(queues, queuePos{name, p})
		}
		if e == nil {
			if err := key.validate(); err != nil {
				return err
			}
			e = &entry{}
			s.entries[key] = e
		}
		e.queues = append(e.queues[:0], queues...)
	}
	s.last, s.lastKey = e, key
	e.cp = st.Checkpoint
	for _, d := range deps {
		e.addDepLocked(d)
	}
	e.seq++
	return nil
}

// sameQueues reports whether qs names the same queues as e.queues, whose
// names were checked when they were put; if so it copies qs's positions
// into e.queues, or returns false without changing anything when one is
// invalid. It is Put's common case: no map iteration.
func (e *entry) sameQueues(qs map[string]queue.Position) bool {
	if len(qs) != len(e.queues) || len(e.queues) > 4 {
		return false
	}
	var buf [4]queue.Position
	for i, q := range e.queues {
		p, ok := qs[q.name]
		if !ok || p.Offset < 0 {
			return false // the slow path reports the error
		}
		buf[i] = p
	}
	for i := range e.queues {
		e.queues[i].pos = buf[i]
	}
	return true
}

// addDepLocked raises the recorded dependency on d.Queue to d.Pos.
func (e *entry) addDepLocked(d Dep) {
	for i := range e.deps {
		if e.deps[i].Queue == d.Queue {
			if e.deps[i].Pos.Less(d.Pos) {
				e.deps[i].Pos = d.Pos
			}
			return
		}
	}
	e.deps = append(e.deps, d)
}

// Load returns the latest state of key: the one last Put if any (saved or
// not, so a plugin restarted in the same process resumes where it stopped),
// else the file's, as the package-level Load.
func (s *Store) Load(key Key) (State, bool, error) {
	if err := key.validate(); err != nil {
		return State{}, false, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return State{}, false, ErrClosed
	}
	if e := s.entries[key]; e != nil {
		st := State{Queues: make(map[string]queue.Position, len(e.queues)), Checkpoint: e.cp}
		for _, q := range e.queues {
			st.Queues[q.name] = q.pos
		}
		s.mu.Unlock()
		return st, true, nil
	}
	s.mu.Unlock()
	return Load(s.path(key))
}

// Remove forgets key's pending state and deletes its file, for
// remove_checkpoints_on_terminate. Call it once the plugin no longer Puts.
// It waits for a running tick, so that tick cannot write the file back.
func (s *Store) Remove(key Key) error {
	if err := key.validate(); err != nil {
		return err
	}
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	delete(s.entries, key)
	if s.last != nil && s.lastKey == key {
		s.last = nil
	}
	s.mu.Unlock()
	return remove(s.fsys, s.path(key))
}

// Flush runs one checkpoint tick now and returns its errors (joined). The
// background flusher runs the same tick every Interval.
func (s *Store) Flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return s.flushLocked()
}

// Close stops the flusher, waits for it to exit and runs a final tick,
// whose error it returns. Later Puts, Loads, Removes and Flushes return
// ErrClosed; a second Close returns nil.
func (s *Store) Close() error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if s.quit != nil {
			close(s.quit)
			<-s.done
		}
		s.flushMu.Lock()
		defer s.flushMu.Unlock()
		s.closeErr = s.flushLocked()
	})
	if !first {
		return nil
	}
	return s.closeErr
}

// run is the flusher goroutine, owned by Close.
func (s *Store) run() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.flushMu.Lock()
			err := s.flushLocked()
			s.flushMu.Unlock()
			if err != nil {
				s.report(err)
			}
		}
	}
}

// report hands a background tick error to OnError, or logs it.
func (s *Store) report(err error) {
	if s.onError != nil {
		s.onError(err)
		return
	}
	s.logger.Error("cursor checkpoint failed", "err", err)
}

// snapshot is one entry as it was when a tick began.
type snapshot struct {
	key     Key
	e       *entry
	seq     uint64
	queues  []queuePos
	cp      Checkpoint
	deps    []Dep
	data    []byte // file content
	written bool   // renamed into place this tick
	done    bool   // the file durably holds data
}

// flushLocked is one checkpoint tick; flushMu must be held. It snapshots the
// changed entries, then syncs the writers they depend on, then saves the
// snapshots whose dependencies are durable. A Put that arrives meanwhile
// has a higher seq, so its entry stays changed for the next tick.
func (s *Store) flushLocked() error {
	start := time.Now()
	snaps := s.snapshot()
	if len(snaps) == 0 {
		return nil
	}
	var errs []error

	// Every Put in snaps came after the Appends it depends on returned, and
	// each Sync below starts after the snapshot, so a successful Sync makes
	// all of them durable. Synced() is still checked: a failed Sync leaves
	// its queue out of synced, and nothing depending on it is saved.
	synced := make(map[string]queue.Position)
	failed := make(map[string]bool)
	for _, sn := range snaps {
		for _, d := range sn.deps {
			if _, ok := synced[d.Queue]; ok || failed[d.Queue] {
				continue
			}
			w := s.writers[d.Queue]
			if err := w.Sync(); err != nil {
				errs = append(errs, fmt.Errorf("cursor: sync queue %s: %w", d.Queue, err))
				failed[d.Queue] = true
				continue
			}
			synced[d.Queue] = w.Synced()
		}
	}

	// The files are renamed into place without a directory fsync each; one
	// fsync below makes every rename of this tick durable.
	nosync := noDirSync{s.fsys}
	renamed, waiting := 0, 0
	for i := range snaps {
		sn := &snaps[i]
		sn.data = appendFile(nil, sn.queues, sn.cp)
		if bytes.Equal(sn.data, sn.e.saved) {
			sn.done = true
			continue
		}
		if !durable(sn.deps, synced) {
			waiting++
			continue
		}
		if err := writeFile(nosync, s.path(sn.key), sn.data); err != nil {
			errs = append(errs, err)
			continue
		}
		sn.done, sn.written = true, true
		renamed++
	}
	if renamed > 0 {
		if err := s.fsys.SyncDir(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("cursor: %w", err))
			for i := range snaps {
				if snaps[i].written {
					snaps[i].done = false // renamed but maybe not durable: redo
				}
			}
		}
	}

	s.mu.Lock()
	for _, sn := range snaps {
		if sn.done {
			sn.e.savedSeq = sn.seq
			sn.e.saved = sn.data
		}
	}
	s.mu.Unlock()

	if d := time.Since(start); d > slowTick {
		s.logger.Warn("slow cursor checkpoint", "duration", d, "written", renamed)
	}
	s.logger.Debug("cursor checkpoint", "written", renamed, "waiting", waiting, "errors", len(errs))
	return errors.Join(errs...)
}

// snapshot copies every entry changed since its last save.
func (s *Store) snapshot() []snapshot {
	s.mu.Lock()
	var snaps []snapshot
	for k, e := range s.entries {
		if e.seq == e.savedSeq {
			continue
		}
		snaps = append(snaps, snapshot{
			key:    k,
			e:      e,
			seq:    e.seq,
			queues: slices.Clone(e.queues),
			cp:     e.cp,
			deps:   slices.Clone(e.deps),
		})
	}
	s.mu.Unlock()
	for _, sn := range snaps {
		slices.SortFunc(sn.queues, func(a, b queuePos) int { return cmp.Compare(a.name, b.name) })
	}
	return snaps
}

// durable reports whether every dependency is at or below its queue's
// synced position.
func durable(deps []Dep, synced map[string]queue.Position) bool {
	for _, d := range deps {
		p, ok := synced[d.Queue]
		if !ok || p.Less(d.Pos) {
			return false
		}
	}
	return true
}

// noDirSync is a file system whose SyncDir does nothing, for a tick that
// renames many files into one directory and then fsyncs it once itself.
type noDirSync struct{ atomicfile.FS }

func (noDirSync) SyncDir(string) error { return nil }
