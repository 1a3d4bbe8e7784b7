package queue

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/sightline/sightline/message"
)

// How long a waiting Reader sleeps before looking again by itself. With a
// writer in this process it is woken at every flush; the poll is only a
// safety net. Without one (another process writes) it polls.
const (
	pollInProcess = time.Second
	pollExternal  = 100 * time.Millisecond
)

// ReaderOptions configures a Reader. The zero value gives the defaults.
type ReaderOptions struct {
	// MaxMessageSize is the max_message_size in force. A record longer than
	// it whose checksum is valid is delivered and counted in
	// Stats.Oversize, never silently dropped. Default 64 KiB.
	MaxMessageSize int
	// Raw skips indexing each message: Message returns nil and only Raw is
	// usable. Records without a checksum are still validated.
	Raw bool
	// OnCorruption is called for every damaged region skipped, every
	// record that does not decode, and every missing segment jumped over.
	// Default: a warning on Logger.
	OnCorruption func(*CorruptionError)
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// ReaderStats counts what a Reader met.
type ReaderStats struct {
	Records         int64 // records returned
	SkippedBytes    int64 // bytes skipped as damage
	Damaged         int64 // damaged regions and undecodable records
	Oversize        int64 // records over MaxMessageSize (delivered)
	MissingSegments int64 // segments found missing and jumped over
}

// Reader reads the records of a queue from a position, following the
// writer across segments. It is not safe for concurrent use.
type Reader struct {
	dir  string
	opts ReaderOptions
	log  *slog.Logger
	note *notifier
	key  string

	f     *os.File
	sc    *message.Scanner
	seg   uint64 // segment of f
	pos   Position
	raw   []byte
	view  message.View
	stats ReaderStats
	timer *time.Timer
	err   error
	// idle, when set, was taken from note before a read that found the
	// end of the live segment of an in-process writer: until the writer
	// broadcasts again (a flush, a roll, a close), reading finds nothing
	// new, so TryNext does not read. It spares a read syscall per call
	// on a queue with nothing to read.
	idle <-chan struct{}
}

// OpenReader returns a Reader of the queue in dir that starts at pos. The
// directory need not exist yet: the reader waits for the segment.
func OpenReader(dir string, pos Position, opts ReaderOptions) (*Reader, error) {
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Reader{dir: dir, opts: opts, log: opts.Logger.With("queue", dir), pos: pos}
	if r.opts.OnCorruption == nil {
		r.opts.OnCorruption = func(e *CorruptionError) {
			r.log.Warn("queue damage skipped", "segment", e.Segment, "offset", e.Offset, "bytes", e.Length, "reason", e.Err)
		}
	}
	r.note, r.key = acquireNotifier(dir)
	if _, err := r.open(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// open opens the segment of r.pos, or the next existing one if it was
// deleted. It returns false when no segment to read exists yet.
func (r *Reader) open() (bool, error) {
	f, err := os.Open(SegmentPath(r.dir, r.pos.Segment))
	if errors.Is(err, fs.ErrNotExist) {
		segs, lerr := Segments(r.dir)
		if lerr != nil {
			return false, lerr
		}
		to, ok := r.jumpTarget(segs)
		if !ok {
			return false, nil
		}
		r.missing(r.pos.Segment, to)
		r.pos = Position{Segment: to}
		f, err = os.Open(SegmentPath(r.dir, to))
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil // pruned meanwhile: look again next time
		}
	}
	if err != nil {
		return false, fmt.Errorf("queue: open segment %d: %w", r.pos.Segment, err)
	}
	if r.pos.Offset > 0 {
		if _, err := f.Seek(r.pos.Offset, 0); err != nil {
			f.Close()
			return false, fmt.Errorf("queue: seek segment %d to %d: %w", r.pos.Segment, r.pos.Offset, err)
		}
	}
	r.f, r.seg = f, r.pos.Segment
	seg := r.seg
	r.sc = message.NewScannerAt(f, r.pos.Offset, message.ScanOptions{
		MaxMessageSize: r.opts.MaxMessageSize,
		Validate:       message.Validate,
		OnDamage: func(d message.Damage) {
			r.stats.SkippedBytes += d.Length
			r.stats.Damaged++
			r.opts.OnCorruption(&CorruptionError{Segment: seg, Offset: d.Offset, Length: d.Length, Err: errors.New(d.Reason)})
		},
	})
	return true, nil
}

// jumpTarget picks where a reader whose segment is missing goes on: the
// smallest segment above it, or, when every segment lies more than one
// below it (the queue was reset), the oldest one.
func (r *Reader) jumpTarget(segs []Segment) (uint64, bool) {
	for _, s := range segs {
		if s.ID > r.pos.Segment {
			return s.ID, true
		}
	}
	if len(segs) > 0 && segs[len(segs)-1].ID+1 < r.pos.Segment {
		return segs[0].ID, true
	}
	return 0, false
}

func (r *Reader) missing(from, to uint64) {
	r.stats.MissingSegments++
	r.opts.OnCorruption(&CorruptionError{Segment: from, Err: fmt.Errorf("segment missing, reading on at segment %d", to)})
}

// nextSegment reports the segment after the current one, once one exists:
// then the current segment is finished.
func (r *Reader) nextSegment() (uint64, bool, error) {
	if live, ok := r.note.liveSegment(); ok && live <= r.seg {
		return 0, false, nil
	}
	_, err := os.Stat(SegmentPath(r.dir, r.seg+1))
	if err == nil {
		return r.seg + 1, true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return 0, false, fmt.Errorf("queue: stat segment %d: %w", r.seg+1, err)
	}
	segs, err := Segments(r.dir)
	if err != nil {
		return 0, false, err
	}
	for _, s := range segs {
		if s.ID > r.seg {
			return s.ID, true, nil
		}
	}
	return 0, false, nil
}

// TryNext advances to the next record without waiting. It returns false
// when none is available now or on an error (see Err).
func (r *Reader) TryNext() bool { return r.tryNext(nil) }

// tryNext is TryNext; woken, when not nil, was taken from note before the
// call.
func (r *Reader) tryNext(woken <-chan struct{}) bool {
	if r.err != nil {
		return false
	}
	if r.idle != nil {
		select {
		case <-r.idle:
			r.idle = nil
		default:
			if live, ok := r.note.liveSegment(); ok && live == r.seg && r.f != nil {
				return false
			}
			r.idle = nil
		}
	}
	for {
		if r.f == nil {
			ok, err := r.open()
			if err != nil {
				r.err = err
				return false
			}
			if !ok {
				return false
			}
		}
		if r.sc.Next() {
			if r.accept() {
				return true
			}
			continue
		}
		if err := r.sc.Err(); err != nil {
			r.err = fmt.Errorf("queue: read segment %d: %w", r.seg, err)
			return false
		}
		next, ok, err := r.nextSegment()
		if err != nil {
			r.err = err
			return false
		}
		if !ok {
			if live, ok := r.note.liveSegment(); ok && live == r.seg {
				if woken == nil {
					// Read once more after taking the channel, so a
					// flush after that read closes it.
					woken = r.note.wait()
					continue
				}
				r.idle = woken
			}
			return false
		}
		// The writer flushed this segment completely before it created the
		// next one: read what is left, and what cannot be read is damage.
		r.sc.Finish()
		if r.sc.Next() {
			if r.accept() {
				return true
			}
			continue
		}
		if err := r.sc.Err(); err != nil {
			r.err = fmt.Errorf("queue: read segment %d: %w", r.seg, err)
			return false
		}
		r.f.Close()
		r.f, r.sc = nil, nil
		if next != r.seg+1 {
			r.missing(r.seg+1, next)
		}
		r.pos = Position{Segment: next}
	}
}

// accept makes the scanner's record current. A record that does not decode
// is reported and skipped.
func (r *Reader) accept() bool {
	r.pos = Position{Segment: r.seg, Offset: r.sc.Offset()}
	r.raw = r.sc.Message()
	if len(r.raw) > r.opts.MaxMessageSize {
		r.stats.Oversize++
		off, _ := r.sc.Frame()
		r.log.Warn("record over max_message_size delivered", "segment", r.seg, "offset", off, "size", len(r.raw), "max", r.opts.MaxMessageSize)
	}
	if !r.opts.Raw {
		if err := r.view.Reset(r.raw); err != nil {
			off, n := r.sc.Frame()
			r.stats.Damaged++
			r.stats.SkippedBytes += int64(n)
			r.opts.OnCorruption(&CorruptionError{Segment: r.seg, Offset: off, Length: int64(n), Err: err})
			return false
		}
	}
	r.stats.Records++
	return true
}

// Next advances to the next record, waiting at the tail of the queue until
// one arrives or ctx is done. It returns false when ctx is done or on an
// error (see Err).
func (r *Reader) Next(ctx context.Context) bool {
	for {
		woken := r.note.wait()
		if r.tryNext(woken) {
			return true
		}
		if r.err != nil || ctx.Err() != nil {
			return false
		}
		poll := pollExternal
		if _, ok := r.note.liveSegment(); ok {
			poll = pollInProcess
		}
		if r.timer == nil {
			r.timer = time.NewTimer(poll)
		} else {
			r.timer.Reset(poll)
		}
		select {
		case <-woken:
		case <-r.timer.C:
		case <-ctx.Done():
			return false
		}
	}
}

// Raw returns the current record's message bytes, valid until the next
// call to Next or TryNext.
func (r *Reader) Raw() []byte { return r.raw }

// Message returns the current message, indexed for field access; valid
// until the next call to Next or TryNext. It is nil with ReaderOptions.Raw.
func (r *Reader) Message() *message.View {
	if r.opts.Raw {
		return nil
	}
	return &r.view
}

// Position returns the position after the current record, counting any
// damaged bytes skipped before it: every record before it has been returned.
func (r *Reader) Position() Position { return r.pos }

// Stats returns what the reader has counted so far.
func (r *Reader) Stats() ReaderStats { return r.stats }

// Err returns the error that stopped the reader, if any.
func (r *Reader) Err() error { return r.err }

// Close releases the reader's file. It is safe to call twice.
func (r *Reader) Close() error {
	if r.timer != nil {
		r.timer.Stop()
	}
	var err error
	if r.f != nil {
		err = r.f.Close()
		r.f, r.sc = nil, nil
	}
	if r.note != nil {
		releaseNotifier(r.key)
		r.note = nil
	}
	if r.err == nil {
		r.err = ErrClosed
	}
	return err
}
