//go:build unix

package procexec

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// errStopped ends a read of a stopped plugin.
var errStopped = errors.New("procexec: stopped")

// chunkSize is how much one read(2) asks for.
const chunkSize = 64 << 10

// FDReader reads a file descriptor (sightline's standard input) with
// poll(2) and read(2), so that a wait for data can end when the plugin is
// stopped, and splits what it reads into records. It is an io.Reader,
// for stream readers, and its Record method returns delimited records;
// the two may be mixed (Read returns buffered bytes first). It belongs
// to one plugin's goroutine.
type FDReader struct {
	src   func(p []byte) (int, error) // one read: data, io.EOF or errStopped
	delim []byte
	max   int

	buf      []byte // buffered data is buf[r:w]
	r, w     int
	scanned  int  // buf[r:scanned] holds no delimiter
	skipping bool // dropping an over-long record up to its delimiter
	eof      bool
	err      error // sticky read error
}

// NewFDReader returns a reader of fd whose records end with delim (not
// empty) and are at most max bytes long. stopped, if not nil, is asked
// every pollInterval while no data comes: when it reports true the read
// ends as at the end of the input.
func NewFDReader(fd int, delim []byte, max int, stopped func() bool) *FDReader {
	return newReader(func(p []byte) (int, error) { return readFD(fd, p, stopped) }, delim, max)
}

// newReader returns a reader of records from src, which reads once into
// p, returning io.EOF at the end of the input and errStopped when the
// plugin is stopped.
func newReader(src func(p []byte) (int, error), delim []byte, max int) *FDReader {
	if len(delim) == 0 || max <= 0 {
		panic("procexec: NewFDReader needs a delimiter and a positive max")
	}
	return &FDReader{src: src, delim: append([]byte(nil), delim...), max: max}
}

// readFD reads once from the descriptor into p, waiting for data with
// poll so that stopped is honoured. It returns io.EOF at the end of the
// input and errStopped for a stopped plugin.
func readFD(fd int, p []byte, stopped func() bool) (int, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if stopped != nil && stopped() {
			return 0, errStopped
		}
		n, err := unix.Poll(fds, int(pollInterval.Milliseconds()))
		if err == unix.EINTR || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("poll: %w", err)
		}
		n, err = unix.Read(fd, p)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return 0, fmt.Errorf("read: %w", err)
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Read returns buffered data first, then reads the descriptor once. At
// the end of the input, and once the plugin is stopped, it returns 0,
// io.EOF.
func (f *FDReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if f.r < f.w {
		n := copy(p, f.buf[f.r:f.w])
		f.r += n
		f.scanned = max(f.scanned, f.r)
		return n, nil
	}
	if f.eof {
		return 0, io.EOF
	}
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.src(p)
	if err != nil {
		return 0, f.fail(err)
	}
	return n, nil
}

// fail records the end of the input (io.EOF, for a stop too) or a read
// error and returns it.
func (f *FDReader) fail(err error) error {
	if err == io.EOF || err == errStopped {
		f.eof = true
		return io.EOF
	}
	f.err = err
	return err
}

// TooLongError reports a record longer than the reader's max, skipped.
type TooLongError struct {
	Max int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("record longer than %d bytes skipped", e.Max)
}

// Record returns the next record without its delimiter, valid until the
// next call. At the end of the input a last record without a delimiter
// comes, then ok false with a nil error. A record over max is reported
// once, as a *TooLongError with ok false, and skipped: the next call
// returns the record after it. A read error is returned with ok false,
// and again at every later call.
func (f *FDReader) Record() (rec []byte, ok bool, err error) {
	for {
		if i := bytes.Index(f.buf[f.scanned:f.w], f.delim); i >= 0 {
			end := f.scanned + i
			rec = f.buf[f.r:end]
			f.r = end + len(f.delim)
			f.scanned = f.r
			if f.skipping {
				f.skipping = false
				continue
			}
			if len(rec) > f.max {
				return nil, false, &TooLongError{Max: f.max}
			}
			return rec, true, nil
		}
		// No delimiter in buf[r:w]; a partial one may end it.
		f.scanned = max(f.r, f.w-len(f.delim)+1)
		if f.skipping || f.scanned-f.r > f.max {
			f.r = f.scanned // drop all but a possible partial delimiter
			if !f.skipping {
				f.skipping = true
				return nil, false, &TooLongError{Max: f.max}
			}
		}
		if f.eof || f.err != nil {
			if f.err != nil {
				return nil, false, f.err
			}
			if f.r < f.w && !f.skipping {
				rec = f.buf[f.r:f.w]
				f.r, f.scanned = f.w, f.w
				if len(rec) > f.max {
					return nil, false, &TooLongError{Max: f.max}
				}
				return rec, true, nil
			}
			f.r, f.w, f.scanned = 0, 0, 0
			return nil, false, nil
		}
		f.compact()
		n, err := f.src(f.buf[f.w:])
		if err != nil {
			if ferr := f.fail(err); ferr != io.EOF {
				return nil, false, ferr
			}
			if err == errStopped {
				// A record cut short by the stop is not returned.
				f.r, f.w, f.scanned = 0, 0, 0
				return nil, false, nil
			}
			continue
		}
		f.w += n
	}
}

// compact moves the buffered data to the front of the buffer and makes
// room for one more chunk.
func (f *FDReader) compact() {
	if f.r > 0 {
		n := copy(f.buf, f.buf[f.r:f.w])
		f.scanned -= f.r
		f.r, f.w = 0, n
	}
	if len(f.buf)-f.w < chunkSize {
		nb := make([]byte, max(2*len(f.buf), f.w+chunkSize))
		copy(nb, f.buf[:f.w])
		f.buf = nb
	}
}

// MemSize is the reader's buffer, for the sandbox's memory estimate.
func (f *FDReader) MemSize() int { return cap(f.buf) }
