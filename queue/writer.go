package queue

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/message"
)

// SyncPolicy says when a Writer fsyncs.
type SyncPolicy int

const (
	// SyncCheckpoint (the default) fsyncs when the owner calls Sync, once
	// per checkpoint tick before cursors are saved, and at every roll.
	SyncCheckpoint SyncPolicy = iota
	// SyncNone never fsyncs: Sync only hands buffered bytes to the OS. A
	// power loss can lose what the OS had not written.
	SyncNone
	// SyncAlways makes Append return only once its record is fsynced.
	// Concurrent appenders share one fsync (group commit).
	SyncAlways
)

// ParseSyncPolicy parses "none", "checkpoint" or "always".
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	switch s {
	case "checkpoint", "":
		return SyncCheckpoint, nil
	case "none":
		return SyncNone, nil
	case "always":
		return SyncAlways, nil
	}
	return 0, fmt.Errorf("queue: unknown sync policy %q (want none, checkpoint or always)", s)
}

func (p SyncPolicy) String() string {
	switch p {
	case SyncNone:
		return "none"
	case SyncAlways:
		return "always"
	}
	return "checkpoint"
}

// Defaults of Options.
const (
	DefaultSegmentSize    = 64 << 20
	DefaultMaxMessageSize = 64 << 10
	DefaultBufferSize     = 256 << 10
	slowSync              = time.Second
)

// Options configures a Writer. The zero value gives the defaults.
type Options struct {
	// SegmentSize is the reference's output_size: a segment rolls after the
	// append that makes it at least this long. Default 64 MiB.
	SegmentSize int64
	// MaxMessageSize is max_message_size: a longer message is refused by
	// Append. Default 64 KiB.
	MaxMessageSize int
	// Sync is the fsync policy. Default SyncCheckpoint.
	Sync SyncPolicy
	// BufferSize is how many bytes Append buffers before writing them to
	// the OS. Default 256 KiB.
	BufferSize int
	// Logger receives warnings (slow fsyncs). Default slog.Default().
	Logger *slog.Logger

	// create opens a new segment file; tests replace it to inject faults.
	create func(name string) (File, error)
}

// File is what a Writer needs of a segment file; tests wrap it to inject
// failed and short writes.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

func createFile(name string) (File, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o640)
}

// segFile is an open segment; refs counts syncs running on it outside the
// writer's lock, so a roll never closes a file under an fsync.
type segFile struct {
	id      uint64
	f       File
	refs    int
	retired bool
	closed  bool

	// syncMu serialises the fsyncs of the file (a roll's, under mu, and
	// syncTo's, outside it): Linux reports a write-back error to one of
	// two overlapping fsyncs only, and the other would mark unsynced
	// records durable. syncErr, once set, is what every later fsync of the
	// file returns, for the same reason.
	syncMu  sync.Mutex
	syncErr error
}

// close closes the file once.
func (s *segFile) close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.f.Close()
}

// Writer appends framed records to a queue directory. It is safe for
// concurrent use.
//
// Lock order: syncMu, then mu.
type Writer struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *os.File // flock held while open: one writer per queue
	note *notifier
	key  string

	syncMu sync.Mutex // one fsync at a time; a waiter whose data it covered returns

	mu     sync.Mutex
	seg    *segFile
	buf    []byte   // framed records not yet written to seg
	pos    Position // after the last appended record
	synced Position // everything before it is durable (per policy)
	err    error    // sticky: the first write, fsync or close failure
	closed bool
}

// OpenWriter opens the queue in dir for appending, creating dir (0750) if
// needed. It always starts a new segment, numbered one above the highest
// existing one, so it never appends after a record a crash may have torn.
func OpenWriter(dir string, opts Options) (*Writer, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.MaxMessageSize > message.HardCap {
		return nil, fmt.Errorf("queue: max message size %d over the hard cap %d", opts.MaxMessageSize, message.HardCap)
	}
	if opts.BufferSize <= 0 {
		opts.BufferSize = DefaultBufferSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.create == nil {
		opts.create = createFile
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("queue: create %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	segs, err := Segments(dir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	var next uint64
	if len(segs) > 0 {
		next = segs[len(segs)-1].ID + 1
	}
	w := &Writer{
		dir:  dir,
		opts: opts,
		log:  opts.Logger.With("queue", dir),
		lock: lock,
		buf:  make([]byte, 0, opts.BufferSize+4096),
	}
	if err := w.createSegment(next); err != nil {
		lock.Close()
		return nil, err
	}
	w.note, w.key = acquireNotifier(dir)
	w.note.segment.Store(next)
	w.note.writers.Add(1)
	return w, nil
}

// lockDir takes an exclusive lock on dir/lock so that two writers (two
// processes) never append to one queue.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("queue: lock %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("queue: lock %s: %w", dir, err)
	}
	return f, nil
}

// createSegment creates segment id and makes its name durable.
func (w *Writer) createSegment(id uint64) error {
	f, err := w.opts.create(SegmentPath(w.dir, id))
	if err != nil {
		return fmt.Errorf("queue: create segment %d: %w", id, err)
	}
	if w.opts.Sync != SyncNone {
		if err := atomicfile.SyncDir(w.dir); err != nil {
			f.Close()
			_ = os.Remove(SegmentPath(w.dir, id)) // empty: a later Recover reuses the id
			return fmt.Errorf("queue: create segment %d: sync dir: %w", id, err)
		}
	}
	w.seg = &segFile{id: id, f: f}
	w.pos = Position{Segment: id}
	w.synced = w.pos
	return nil
}

// Dir returns the queue directory.
func (w *Writer) Dir() string { return w.dir }

// Append frames msg (an encoded Heka message) and appends it. It returns
// the position after the record. Under SyncAlways it returns once the
// record is fsynced. A message longer than MaxMessageSize is refused with a
// *SizeError and nothing is written. After a write or fsync failure every
// Append returns that first error (ErrWriteFailed) until Recover.
//
// A record is taken when Append returns its position, error or not: when
// the write, roll or fsync that follows the framing fails, Append returns
// the error with the position, and the record is kept by Recover. A zero
// Position with an error means the record was not taken.
func (w *Writer) Append(msg []byte) (Position, error) {
	if len(msg) > w.opts.MaxMessageSize {
		return Position{}, &SizeError{Size: len(msg), Max: w.opts.MaxMessageSize}
	}
	if len(msg) == 0 {
		return Position{}, ErrEmpty
	}
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return Position{}, err
	}
	w.buf = message.AppendFrame(w.buf, msg)
	w.pos.Offset += int64(message.FrameSize(len(msg)))
	pos := w.pos
	var err error
	if pos.Offset >= w.opts.SegmentSize {
		err = w.rollLocked()
	} else if len(w.buf) >= w.opts.BufferSize {
		err = w.flushLocked()
	}
	w.mu.Unlock()
	if err != nil {
		return pos, err
	}
	if w.opts.Sync == SyncAlways {
		if err := w.syncTo(pos); err != nil {
			return pos, err
		}
	}
	return pos, nil
}

func (w *Writer) usableLocked() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	return nil
}

// failLocked records the first failure; the writer is unusable after it.
func (w *Writer) failLocked(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %w", ErrWriteFailed, err)
		w.log.Error("queue writer failed", "err", err)
	}
	return w.err
}

// flushLocked writes the buffered records to the segment file and wakes
// tailing readers.
func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	n, err := w.seg.f.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return w.failLocked(fmt.Errorf("write segment %d: %w", w.seg.id, err))
	}
	if cap(w.buf) > 4*w.opts.BufferSize {
		w.buf = make([]byte, 0, w.opts.BufferSize+4096) // after a huge record
	} else {
		w.buf = w.buf[:0]
	}
	w.note.broadcast()
	return nil
}

// rollLocked finishes the current segment (flush, fsync per policy, close)
// and starts the next one.
func (w *Writer) rollLocked() error {
	if err := w.flushLocked(); err != nil {
		return err
	}
	old := w.seg
	if w.opts.Sync != SyncNone {
		if err := w.fsync(old); err != nil {
			return w.failLocked(fmt.Errorf("sync segment %d: %w", old.id, err))
		}
	}
	w.synced = w.pos // all of old is durable
	old.retired = true
	if old.refs == 0 {
		if err := old.close(); err != nil {
			return w.failLocked(fmt.Errorf("close segment %d: %w", old.id, err))
		}
	}
	if err := w.createSegment(old.id + 1); err != nil {
		return w.failLocked(err)
	}
	w.note.segment.Store(w.seg.id)
	w.note.broadcast()
	return nil
}

func (w *Writer) fsync(s *segFile) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.syncErr != nil {
		return s.syncErr
	}
	start := time.Now()
	err := s.f.Sync()
	s.syncErr = err
	if d := time.Since(start); d > slowSync {
		w.log.Warn("slow fsync", "segment", s.id, "took", d)
	}
	return err
}

// Flush hands every buffered record to the OS (no fsync) and wakes tailing
// readers in this process.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return err
	}
	return w.flushLocked()
}

// Sync flushes and, unless the policy is SyncNone, fsyncs; then Synced
// covers every record appended before the call.
func (w *Writer) Sync() error {
	w.mu.Lock()
	pos := w.pos
	w.mu.Unlock()
	return w.syncTo(pos)
}

// syncTo makes every record up to target durable. Callers queue on syncMu;
// one whose target an earlier fsync covered returns at once, so concurrent
// appenders share fsyncs. The fsync runs outside mu so appends go on.
func (w *Writer) syncTo(target Position) error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	if w.err != nil {
		defer w.mu.Unlock()
		return w.err
	}
	if !w.synced.Less(target) {
		w.mu.Unlock()
		return nil
	}
	if err := w.flushLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	seg, upto := w.seg, w.pos
	if w.opts.Sync == SyncNone {
		w.synced = upto
		w.mu.Unlock()
		return nil
	}
	seg.refs++
	w.mu.Unlock()

	err := w.fsync(seg)

	w.mu.Lock()
	defer w.mu.Unlock()
	seg.refs--
	if err != nil {
		return w.failLocked(fmt.Errorf("sync segment %d: %w", seg.id, err))
	}
	if seg.retired && seg.refs == 0 {
		if err := seg.close(); err != nil {
			return w.failLocked(fmt.Errorf("close segment %d: %w", seg.id, err))
		}
	}
	if w.err != nil {
		// The writer failed meanwhile (a roll's fsync or write): what
		// this fsync covered is for Recover to judge, not to count.
		return w.err
	}
	if w.synced.Less(upto) {
		w.synced = upto
	}
	return nil
}

// Position returns the position after the last appended record.
func (w *Writer) Position() Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pos
}

// Synced returns the position before which every record is durable under
// the writer's policy (for SyncNone: handed to the OS).
func (w *Writer) Synced() Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.synced
}

// Healthy returns nil, or the failure that made the writer unusable.
func (w *Writer) Healthy() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close flushes, fsyncs (per policy) and closes the writer. It is safe to
// call twice; the second call returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()
	err := w.Sync()

	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if cerr := w.seg.close(); cerr != nil && err == nil && w.err == nil {
		err = fmt.Errorf("queue: close segment %d: %w", w.seg.id, cerr)
	}
	if lerr := w.lock.Close(); lerr != nil && err == nil {
		err = fmt.Errorf("queue: unlock %s: %w", w.dir, lerr)
	}
	w.note.writers.Add(-1)
	w.note.broadcast()
	releaseNotifier(w.key)
	return err
}
