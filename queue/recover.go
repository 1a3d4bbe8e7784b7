package queue

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/sightline/sightline/internal/atomicfile"
)

// maxRecoverIDs is how many segment ids Recover tries past the failed one
// when files of earlier attempts it could not remove are in the way.
const maxRecoverIDs = 16

// Recover makes a writer whose write, fsync or close failed usable again
// without appending to the segment that failed (the state of its end is
// unknown). It starts a new segment holding every record taken and not
// yet synced: the failed segment's records after Synced, read back and
// written again, then those still buffered. Once they are fsynced (per
// policy), the failed segment is cut back to Synced, the new one is
// published to readers, and Append works again. Synced then covers every
// record taken before the failure, at the position Append returned for
// it, so what depends on those positions (a cursor, an input checkpoint)
// stays correct.
//
// A reader that had read records of the failed segment after Synced reads
// them again in the new one: a duplicate, never a loss.
//
// Recover returns nil at once when the writer is healthy. When it fails
// (the disk is still full), the writer stays failed, the partial new
// segment is removed, and Recover may be called again later.
func (w *Writer) Recover() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err == nil {
		return nil
	}
	old := w.seg
	written := w.pos.Offset - int64(len(w.buf)) // bytes of old handed to the OS
	from := int64(0)
	if w.synced.Segment == old.id {
		from = w.synced.Offset
	}
	if from > written {
		from = written
	}

	id, f, err := w.createRecovery(old.id + 1)
	if err != nil {
		return fmt.Errorf("queue: recover: %w", err)
	}
	carried, err := w.carry(f, old.id, from, written)
	if err == nil && w.opts.Sync != SyncNone {
		if err = f.Sync(); err == nil {
			err = atomicfile.SyncDir(w.dir)
		}
	}
	if err != nil {
		f.Close()
		_ = os.Remove(SegmentPath(w.dir, id))
		return fmt.Errorf("queue: recover on segment %d: %w", id, err)
	}

	// The records after Synced are safe in the new segment: cut them from
	// the failed one, so readers that had not reached them read them once.
	// Best effort: a reader skips a torn tail of a finished segment.
	_ = old.close()
	_ = os.Truncate(SegmentPath(w.dir, old.id), from)

	w.seg = &segFile{id: id, f: f}
	w.pos = Position{Segment: id, Offset: carried}
	w.synced = w.pos
	w.buf = w.buf[:0]
	failure := w.err
	w.err = nil
	w.note.segment.Store(id)
	w.note.broadcast()
	w.log.Info("queue writer recovered on a new segment", "segment", id, "failed_segment", old.id,
		"carried_bytes", carried, "after", failure)
	return nil
}

// createRecovery creates the segment of a recovery: id, or a later one
// when a file of an earlier attempt is in the way.
func (w *Writer) createRecovery(id uint64) (uint64, File, error) {
	for range maxRecoverIDs {
		f, err := w.opts.create(SegmentPath(w.dir, id))
		if errors.Is(err, fs.ErrExist) {
			id++
			continue
		}
		if err != nil {
			return 0, nil, fmt.Errorf("create segment %d: %w", id, err)
		}
		return id, f, nil
	}
	return 0, nil, fmt.Errorf("segments %d..%d exist", id-maxRecoverIDs, id-1)
}

// carry writes to f the bytes [from, written) of segment seg, read back,
// then the buffered records; it returns the bytes written.
func (w *Writer) carry(f File, seg uint64, from, written int64) (int64, error) {
	var n int64
	if written > from {
		src, err := os.Open(SegmentPath(w.dir, seg))
		if err != nil {
			return 0, fmt.Errorf("read back segment %d: %w", seg, err)
		}
		defer src.Close()
		n, err = io.Copy(f, io.NewSectionReader(src, from, written-from))
		if err != nil {
			return n, fmt.Errorf("carry segment %d from %d: %w", seg, from, err)
		}
		if n < written-from {
			return n, fmt.Errorf("read back segment %d: %d bytes from %d, want %d", seg, n, from, written-from)
		}
	}
	if len(w.buf) > 0 {
		m, err := f.Write(w.buf)
		if err == nil && m < len(w.buf) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return n, fmt.Errorf("carry buffered records: %w", err)
		}
		n += int64(m)
	}
	return n, nil
}
