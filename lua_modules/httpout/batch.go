package httpout

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
)

// ErrBatchClosed is returned by the methods of a closed Batch.
var ErrBatchClosed = errors.New("httpout: batch closed")

// Batch is a request body built entry by entry in a file, so a large
// batch costs disk, not memory. It remembers where each entry starts, so
// a bulk request can be cut down to the entries to send again. The file
// is truncated when the batch is opened: entries not acknowledged before
// a restart are read from the queue again, not from the file.
//
// A Batch is used by one goroutine.
type Batch struct {
	path    string
	f       *os.File
	w       *bufio.Writer
	size    int64   // bytes added, buffered ones included
	offsets []int64 // start of each entry
	err     error   // sticky: a failed write leaves the file's content unknown
	cleanup runtime.Cleanup
}

// OpenBatch creates (or truncates) the batch file at path.
func OpenBatch(path string) (*Batch, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, err
	}
	b := &Batch{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}
	// A plugin dropped without closing its batch (terminated, reloaded)
	// does not keep the descriptor.
	b.cleanup = runtime.AddCleanup(b, func(f *os.File) { _ = f.Close() }, f)
	return b, nil
}

// Path returns the batch file's name.
func (b *Batch) Path() string { return b.path }

// Count returns the number of entries.
func (b *Batch) Count() int { return len(b.offsets) }

// Size returns the number of bytes in the batch.
func (b *Batch) Size() int64 { return b.size }

// Add appends one entry.
func (b *Batch) Add(p []byte) error { return b.AddString(string(p)) }

// AddString appends one entry.
func (b *Batch) AddString(p string) error {
	if err := b.usable(); err != nil {
		return err
	}
	if _, err := b.w.WriteString(p); err != nil {
		b.err = fmt.Errorf("write %s: %w", b.path, err)
		return b.err
	}
	b.offsets = append(b.offsets, b.size)
	b.size += int64(len(p))
	return nil
}

func (b *Batch) usable() error {
	if b.f == nil {
		return ErrBatchClosed
	}
	return b.err
}

// body flushes the buffered entries and returns a reader of the whole
// batch.
func (b *Batch) body() (*io.SectionReader, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if err := b.w.Flush(); err != nil {
		b.err = fmt.Errorf("write %s: %w", b.path, err)
		return nil, b.err
	}
	return io.NewSectionReader(b.f, 0, b.size), nil
}

// Entry returns entry i's bytes (for tests and logs).
func (b *Batch) Entry(i int) ([]byte, error) {
	r, err := b.body()
	if err != nil {
		return nil, err
	}
	end := b.size
	if i+1 < len(b.offsets) {
		end = b.offsets[i+1]
	}
	p := make([]byte, end-b.offsets[i])
	_, err = r.ReadAt(p, b.offsets[i])
	return p, err
}

// Reset empties the batch.
func (b *Batch) Reset() error {
	if b.f == nil {
		return ErrBatchClosed
	}
	b.w.Reset(b.f)
	b.offsets = b.offsets[:0]
	b.size = 0
	b.err = b.truncate(0)
	return b.err
}

// Keep cuts the batch down to the entries whose indexes are in keep, in
// increasing order.
func (b *Batch) Keep(keep []int) error {
	prev := -1
	for _, i := range keep {
		if i <= prev || i >= len(b.offsets) {
			return fmt.Errorf("httpout: Keep: index %d out of order or range", i)
		}
		prev = i
	}
	r, err := b.body()
	if err != nil {
		return err
	}
	// Entries move toward the start of the file, each to a place before
	// where it was, so they can be copied in place.
	var dst int64
	buf := make([]byte, 32<<10)
	offsets := b.offsets[:0]
	for _, i := range keep {
		start, end := b.offsets[i], b.size
		if i+1 < len(b.offsets) {
			end = b.offsets[i+1]
		}
		offsets = append(offsets, dst)
		if start != dst {
			src := io.NewSectionReader(r, start, end-start)
			if _, err := io.CopyBuffer(io.NewOffsetWriter(b.f, dst), src, buf); err != nil {
				b.err = fmt.Errorf("rewrite %s: %w", b.path, err)
				return b.err
			}
		}
		dst += end - start
	}
	b.offsets = offsets
	b.size = dst
	b.err = b.truncate(dst)
	return b.err
}

// truncate cuts the file to size bytes, where the next write goes.
func (b *Batch) truncate(size int64) error {
	if err := b.f.Truncate(size); err != nil {
		return fmt.Errorf("truncate %s: %w", b.path, err)
	}
	if _, err := b.f.Seek(size, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", b.path, err)
	}
	return nil
}

// Close closes and removes the batch file.
func (b *Batch) Close() error {
	if b.f == nil {
		return nil
	}
	b.cleanup.Stop()
	err := b.f.Close()
	b.f = nil
	if rerr := os.Remove(b.path); err == nil && rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	return err
}
