package fileout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sightline/sightline/message"
)

// Defaults of Options.
const (
	DefaultPerm          fs.FileMode = 0o644
	DefaultDirPerm       fs.FileMode = 0o700
	DefaultFlushCount                = 10000
	DefaultFlushInterval             = time.Second
	DefaultFlushBytes                = 4 << 20
	DefaultMaxRecord                 = 64 << 10
)

// slowSync is the fsync duration over which a warning is logged.
const slowSync = time.Second

// ErrClosed is returned by the methods of a closed Writer.
var ErrClosed = errors.New("fileout: writer closed")

// Tail says how a Writer recognises a torn record at the end of a file it
// appends to (one cut short by a crash). With neither field set a file is
// appended to as it is.
type Tail struct {
	// Frames: the file holds Heka frames.
	Frames bool
	// Delim: every record ends with Delim.
	Delim []byte
}

// Options configure a Writer. Zero values take the defaults.
type Options struct {
	// Name is the pattern of the file names (see the package doc).
	Name string
	// Vars are the values of %{name} in Name other than %{seq}.
	Vars map[string]string
	// Perm is the mode of new files, DirPerm of new directories (both
	// before the umask); defaults 0644 and 0700.
	Perm, DirPerm fs.FileMode
	// RollSize starts a new file (the next %{seq}) before a record that
	// would take the current one over RollSize bytes. 0: no size roll.
	RollSize int64
	// RollInterval starts a new file for each interval of the clock,
	// aligned on the Unix epoch (so a day starts at 00:00 UTC); its name
	// is expanded with the start of the interval. 0: no time roll.
	RollInterval time.Duration
	// MessageClock makes time rolls and the time in names follow the
	// messages' Timestamp (never going back) instead of the wall clock.
	MessageClock bool
	// A batch is written and fsynced when it holds FlushCount records or
	// FlushBytes bytes, or its first record is FlushInterval old (checked
	// at each Write and Tick). Defaults 10000, 4 MiB, 1 s; a negative
	// FlushInterval disables the age rule.
	FlushCount    int
	FlushBytes    int
	FlushInterval time.Duration
	// Tail is how to find a torn record at the end of a file appended to,
	// and MaxRecord the longest record that may be cut (default 64 KiB;
	// for frames, the longest message).
	Tail      Tail
	MaxRecord int
	// FS is the file system (default OS), Now the clock (default
	// time.Now), Logger receives warnings (default: discarded).
	FS     FS
	Now    func() time.Time
	Logger *slog.Logger
}

// Stats count what a Writer did.
type Stats struct {
	Records  int64 // records written and fsynced
	Bytes    int64 // bytes of those records
	Flushes  int64 // successful write+fsync of a batch
	Rolls    int64 // files finished because of roll_size or roll_interval
	Failures int64 // failed flushes (each one retried)
	Repaired int64 // torn bytes cut from the end of files appended to
}

// Writer appends records to a series of files, in batches that are
// written and fsynced before they are reported flushed. It is not safe for
// concurrent use.
//
// A record handed to Write is either flushed by that call (true), pending
// in the batch (false, nil), or refused (an error): the batch could not be
// written, the file is restored to what was fsynced before, the batch
// (without the refused record) stays pending and is written again by the
// next call.
type Writer struct {
	opts Options
	pat  *pattern
	fs   FS
	log  *slog.Logger

	f        File   // nil: none open (path == "") or broken (path != "")
	path     string // the current file, "" for none
	regular  bool   // f is a regular file (WriteAt, Truncate, repair)
	size     int64  // length of path: what was fsynced or found there
	seq      int
	pre      string // the current file's name before and after its %{seq}
	post     string
	period   int64 // current interval of RollInterval
	unsynced []string

	pending []byte
	count   int
	first   time.Time // when the first pending record came

	retrying bool // the last Write failed
	closed   bool
	stats    Stats
}

// New returns a Writer; no file is opened before the first Write.
func New(opts Options) (*Writer, error) {
	pat, err := parsePattern(opts.Name, opts.Vars)
	if err != nil {
		return nil, fmt.Errorf("output_file %q: %w", opts.Name, err)
	}
	if opts.RollSize < 0 {
		return nil, errors.New("roll_size: must not be negative")
	}
	if opts.RollSize > 0 && !pat.hasSeq {
		return nil, fmt.Errorf("roll_size: output_file %q has no %%{seq} to number the files", opts.Name)
	}
	if opts.RollInterval < 0 {
		return nil, errors.New("roll_interval: must not be negative")
	}
	if opts.RollInterval > 0 && !pat.hasSeq && !pat.hasTime {
		return nil, fmt.Errorf("roll_interval: output_file %q has neither %%{seq} nor a time conversion to tell the files apart", opts.Name)
	}
	if opts.Perm == 0 {
		opts.Perm = DefaultPerm
	}
	if opts.DirPerm == 0 {
		opts.DirPerm = DefaultDirPerm
	}
	if opts.FlushCount <= 0 {
		opts.FlushCount = DefaultFlushCount
	}
	if opts.FlushBytes <= 0 {
		opts.FlushBytes = DefaultFlushBytes
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.MaxRecord <= 0 {
		opts.MaxRecord = DefaultMaxRecord
	}
	if opts.FS == nil {
		opts.FS = OS
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Writer{opts: opts, pat: pat, fs: opts.FS, log: opts.Logger}, nil
}

// Write adds rec, whose message has Timestamp ts (nanoseconds; used with
// MessageClock), to the batch, rolling to a new file first when rec
// belongs to the next one (which writes the batch). It reports whether the
// batch, rec included, was written and fsynced. On error rec was not
// taken: the caller offers it again later.
func (w *Writer) Write(rec []byte, ts int64) (flushed bool, err error) {
	if w.closed {
		return false, ErrClosed
	}
	now := w.opts.Now()
	if err := w.target(now, ts, len(rec)); err != nil {
		w.retrying = true
		return false, err
	}
	if len(w.pending) == 0 {
		w.first = now
	}
	w.pending = append(w.pending, rec...)
	w.count++
	if w.count >= w.opts.FlushCount || len(w.pending) >= w.opts.FlushBytes || w.aged(now) {
		if err := w.flush(); err != nil {
			w.pending = w.pending[:len(w.pending)-len(rec)]
			w.count--
			w.retrying = true
			return false, err
		}
		w.retrying = false
		return true, nil
	}
	w.retrying = false
	return false, nil
}

// Tick writes and fsyncs the batch if it is due (FlushInterval), or in
// any case when final or when the interval of the wall clock its file
// belongs to is over, and then closes that file. It reports whether
// everything the Writer accepted is now durable and no refused record is
// waiting to be offered again: then a checkpoint may cover every record
// written so far.
func (w *Writer) Tick(final bool) (bool, error) {
	if w.closed {
		return false, ErrClosed
	}
	now := w.opts.Now()
	over := w.path != "" && w.opts.RollInterval > 0 && !w.opts.MessageClock && w.periodOf(now, 0) != w.period
	if len(w.pending) > 0 && (final || over || w.aged(now)) {
		if err := w.flush(); err != nil {
			return false, err
		}
	}
	if len(w.pending) == 0 && w.path != "" {
		if final || over {
			w.closeFile()
			if over {
				w.stats.Rolls++
			}
		}
	}
	return len(w.pending) == 0 && !w.retrying, nil
}

// Close writes and fsyncs the batch and closes the file. It is safe to
// call twice.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	err := w.flush()
	w.closeFile()
	w.closed = true
	return err
}

// Path returns the file records go to now ("" before the first Write and
// after a time roll closed it).
func (w *Writer) Path() string { return w.path }

// Pending returns the number of records not yet written.
func (w *Writer) Pending() int { return w.count }

// Stats returns the Writer's counters.
func (w *Writer) Stats() Stats { return w.stats }

func (w *Writer) aged(now time.Time) bool {
	return w.opts.FlushInterval > 0 && w.count > 0 && now.Sub(w.first) >= w.opts.FlushInterval
}

func (w *Writer) periodOf(now time.Time, ts int64) int64 {
	t := now.UnixNano()
	if w.opts.MessageClock {
		t = ts
	}
	iv := w.opts.RollInterval.Nanoseconds()
	p := t / iv
	if t%iv < 0 {
		p--
	}
	return p
}

// target makes the current file the one a record of n bytes goes to,
// rolling (which writes the batch) when it is another.
func (w *Writer) target(now time.Time, ts int64, n int) error {
	timed := w.opts.RollInterval > 0
	var p int64
	if timed {
		p = w.periodOf(now, ts)
	}
	if w.path == "" {
		if err := w.open(now, ts, p, -1); err != nil {
			return err
		}
	}
	next := -1 // the sequence number of the next file; -1: look it up
	switch {
	case timed && p > w.period, timed && p < w.period && !w.opts.MessageClock:
		if pre, post := w.pat.split(w.timeOf(now, ts, p)); pre == w.pre && post == w.post {
			next = w.seq + 1 // the same series: its next file
		}
	default:
		used := w.size + int64(len(w.pending))
		if w.opts.RollSize == 0 || used == 0 || used+int64(n) <= w.opts.RollSize {
			return nil
		}
		next = w.seq + 1
		p = w.period
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.closeFile()
	if err := w.open(now, ts, p, next); err != nil {
		return err
	}
	w.stats.Rolls++
	return nil
}

// timeOf returns the time file names are expanded with: the start of
// interval p when rolling by time, else the message's or the wall clock's.
func (w *Writer) timeOf(now time.Time, ts int64, p int64) time.Time {
	switch {
	case w.opts.RollInterval > 0:
		return time.Unix(0, p*w.opts.RollInterval.Nanoseconds())
	case w.opts.MessageClock:
		return time.Unix(0, ts)
	}
	return now
}

// open opens the file of interval p (when rolling by time) and sequence
// number seq, or of the last sequence number in use when seq < 0,
// skipping files already full.
func (w *Writer) open(now time.Time, ts int64, p int64, seq int) error {
	pre, post := w.pat.split(w.timeOf(now, ts, p))
	if w.pat.hasSeq && seq < 0 {
		last, found, err := lastSeq(w.fs, pre, post)
		if err != nil {
			return fmt.Errorf("list %s: %w", filepath.Dir(pre), err)
		}
		seq = 0
		if found {
			seq = last
		}
	}
	for {
		path := pre
		if w.pat.hasSeq {
			path = pre + w.pat.seqString(seq) + post
		}
		if err := w.openFile(path); err != nil {
			return err
		}
		w.seq, w.period, w.pre, w.post = seq, p, pre, post
		if w.opts.RollSize == 0 || w.size < w.opts.RollSize {
			return nil
		}
		w.closeFile() // full: the next one
		seq++
	}
}

// openFile opens path for writing at its end, creating it and its
// directories, and cuts a torn record from its end.
func (w *Writer) openFile(path string) error {
	dir := filepath.Dir(path)
	if err := w.mkdirAll(dir); err != nil {
		return err
	}
	_, serr := w.fs.Stat(path)
	created := errors.Is(serr, fs.ErrNotExist)
	f, err := w.fs.OpenFile(path, os.O_RDWR|os.O_CREATE, w.opts.Perm)
	if err != nil {
		return err
	}
	if created {
		w.addUnsynced(dir)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close() // nothing written
		return err
	}
	w.f, w.path, w.size, w.regular = f, path, st.Size(), st.Mode().IsRegular()
	if w.regular && w.size > 0 {
		keep, ok, err := w.repair()
		if err != nil {
			w.closeFile()
			return fmt.Errorf("read the end of %s: %w", path, err)
		}
		if !ok {
			w.log.Warn("file does not end with a complete record; appending after it", "file", path, "size", w.size)
		} else if keep < w.size {
			if err := f.Truncate(keep); err != nil {
				w.closeFile()
				return err
			}
			w.log.Warn("torn record cut from the end of the file (written before a crash, not acknowledged; written again)",
				"file", path, "offset", keep, "bytes", w.size-keep)
			w.stats.Repaired += w.size - keep
			w.size = keep
		}
	}
	return nil
}

// reopen opens the current file again after a failure, cut back to what
// was fsynced.
func (w *Writer) reopen() error {
	path, size := w.path, w.size
	dir := filepath.Dir(path)
	if err := w.mkdirAll(dir); err != nil {
		return err
	}
	_, serr := w.fs.Stat(path)
	f, err := w.fs.OpenFile(path, os.O_RDWR|os.O_CREATE, w.opts.Perm)
	if err != nil {
		return err
	}
	if errors.Is(serr, fs.ErrNotExist) {
		w.addUnsynced(dir)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close() // nothing written
		return err
	}
	w.regular = st.Mode().IsRegular()
	if w.regular {
		switch n := st.Size(); {
		case n > size:
			if err := f.Truncate(size); err != nil {
				_ = f.Close() // the next attempt opens it again
				return err
			}
		case n < size:
			w.log.Warn("file shorter than what was written to it (truncated or replaced by someone else)",
				"file", path, "size", n, "written", size)
			w.size = n
		}
	}
	w.f = f
	return nil
}

// flush writes the batch at the end of the file and fsyncs it (and the
// directories of new names). On failure the file is cut back to its
// previous length, closed, and opened again by the next flush; the batch
// stays.
func (w *Writer) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	if w.f == nil {
		if err := w.reopen(); err != nil {
			w.stats.Failures++
			return err
		}
	}
	var n int
	var err error
	if w.regular {
		n, err = w.f.WriteAt(w.pending, w.size)
	} else {
		n, err = w.f.Write(w.pending)
	}
	if err == nil && n < len(w.pending) {
		err = fmt.Errorf("write %s: %w", w.path, io.ErrShortWrite)
	}
	if err == nil {
		t0 := time.Now()
		if err = w.f.Sync(); err != nil && !w.regular && errors.Is(err, syscall.EINVAL) {
			err = nil // a device or pipe: nothing to make durable
		}
		if d := time.Since(t0); d > slowSync {
			w.log.Warn("slow fsync", "file", w.path, "took", d.Round(time.Millisecond), "bytes", len(w.pending))
		}
	}
	if err == nil {
		err = w.syncDirs()
	}
	if err != nil {
		w.stats.Failures++
		if w.regular {
			_ = w.f.Truncate(w.size) // best effort: reopen cuts it again
		}
		_ = w.f.Close() // its state is unknown: reopened before the next write
		w.f = nil
		return err
	}
	if w.regular {
		w.size += int64(len(w.pending))
	}
	w.stats.Records += int64(w.count)
	w.stats.Bytes += int64(len(w.pending))
	w.stats.Flushes++
	w.pending = w.pending[:0]
	w.count = 0
	return nil
}

// closeFile closes the current file, which holds nothing unsynced.
func (w *Writer) closeFile() {
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			// Everything in it was fsynced before.
			w.log.Warn("close", "file", w.path, "err", err)
		}
	}
	w.f, w.path = nil, ""
}

// mkdirAll creates dir and its missing parents, noting the directories
// whose new entries must be fsynced.
func (w *Writer) mkdirAll(dir string) error {
	st, err := w.fs.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return fmt.Errorf("mkdir %s: not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := w.mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := w.fs.Mkdir(dir, w.opts.DirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	w.addUnsynced(parent)
	return nil
}

func (w *Writer) addUnsynced(dir string) {
	for _, d := range w.unsynced {
		if d == dir {
			return
		}
	}
	w.unsynced = append(w.unsynced, dir)
}

// syncDirs fsyncs the directories that got new entries (each entry is
// in its parent, fsynced on its own, so the order does not matter).
func (w *Writer) syncDirs() error {
	for len(w.unsynced) > 0 {
		if err := w.fs.SyncDir(w.unsynced[0]); err != nil {
			return fmt.Errorf("fsync directory %s: %w", w.unsynced[0], err)
		}
		w.unsynced = w.unsynced[1:]
	}
	return nil
}

// repair finds where the last complete record of the current file ends.
// ok is false when it cannot tell (no record end within reach).
func (w *Writer) repair() (keep int64, ok bool, err error) {
	switch {
	case w.opts.Tail.Frames:
		return repairFrames(w.f, w.size, w.opts.MaxRecord)
	case len(w.opts.Tail.Delim) > 0:
		return repairDelim(w.f, w.size, w.opts.Tail.Delim, w.opts.MaxRecord)
	}
	return w.size, true, nil
}

// repairDelim: a file of records each ending with delim keeps everything
// up to its last delim. A tail longer than maxRecord without one is not
// a torn record of ours: it is left.
func repairDelim(f File, size int64, delim []byte, maxRecord int) (int64, bool, error) {
	d := int64(len(delim))
	if size >= d {
		end := make([]byte, d)
		if _, err := f.ReadAt(end, size-d); err != nil {
			return 0, false, err
		}
		if bytes.Equal(end, delim) {
			return size, true, nil
		}
	}
	const chunk = 64 << 10
	floor := max(0, size-int64(maxRecord)-d) // a torn record of ours starts after this
	buf := make([]byte, chunk+d)
	for end := size; end > floor; {
		start := max(floor, end-chunk)
		stop := min(size, end+d-1) // a delim across the chunk boundary
		b := buf[:stop-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, false, err
		}
		if i := bytes.LastIndex(b, delim); i >= 0 {
			return start + int64(i) + d, true, nil
		}
		end = start
	}
	if floor == 0 {
		return 0, true, nil // one torn record and nothing before it
	}
	return size, false, nil
}

// repairFrames: a file of Heka frames keeps everything up to the end of
// its last valid frame, looked for in the last two frame lengths.
func repairFrames(f File, size int64, maxMessage int) (int64, bool, error) {
	maxFrame := int64(message.FrameSize(maxMessage))
	start := max(0, size-2*maxFrame)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil {
		return 0, false, err
	}
	sc := message.NewScannerAt(bytes.NewReader(buf), start, message.ScanOptions{
		MaxMessageSize: maxMessage,
		Validate:       message.Validate,
	})
	sc.Finish()
	last := int64(-1)
	for sc.Next() {
		last = sc.Offset()
	}
	switch {
	case last >= 0:
		return last, true, nil
	case start == 0 && size <= maxFrame:
		return 0, true, nil
	}
	return size, false, nil
}
