package logstreamer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"time"
)

// stream is one log stream: its files, its position, and the file it
// reads (at most one descriptor per stream).
type stream struct {
	name         string
	files        []*Logfile // oldest first, from the last scan
	aged         bool       // no file younger than oldest_duration, but some exist
	missingSince time.Time  // no file found since (zero: found)

	pos    Position // after the last record delivered
	hasPos bool
	// prev, when set, is what the checkpoint holds instead of pos: the
	// file read before, Done, until a record of the new file is
	// credited. A file just opened at 0 is ambiguous after a restart
	// (copytruncate may have moved its content to a copy); "after the
	// file before" is not.
	prev *Position

	// The open file.
	f        *os.File
	zr       *gzip.Reader
	gz       bool
	gzDone   bool  // the gzip file was read to its end: immutable
	gzTorn   bool  // decompression met a cut-off end: reopen when it grows
	gzSize   int64 // compressed size when it was torn
	abs      string
	dev, ino uint64
	readOff  int64  // offset of the next byte read (decompressed)
	tail     []byte // the last HashWindow (or fewer) credited bytes of the file
	carry    []byte // bytes read and not credited: the pending record
	scanned  int    // bytes of carry already split into lines
	skipping bool   // discarding an oversized record up to its end
	atEOF    bool
	drained  bool // at EOF with a next file: read once more before switching
	lastSize int64
	retryAt  time.Time // after a read error, when to open again
}

// close closes the open file; the position stays.
func (s *stream) close() {
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.zr, s.gz, s.gzDone, s.gzTorn = nil, nil, false, false, false
	s.carry, s.scanned, s.skipping, s.atEOF, s.drained = s.carry[:0], 0, false, false, false
	s.tail = s.tail[:0]
}

// credit appends credited bytes to the hash window.
func (s *stream) credit(b []byte) {
	if len(b) >= HashWindow {
		s.tail = append(s.tail[:0], b[len(b)-HashWindow:]...)
		return
	}
	s.tail = append(s.tail, b...)
	if len(s.tail) > HashWindow {
		n := copy(s.tail, s.tail[len(s.tail)-HashWindow:])
		s.tail = s.tail[:n]
	}
}

// read reads the open file into p.
func (s *stream) read(p []byte) (int, error) {
	if !s.gz {
		return s.f.Read(p)
	}
	if s.gzDone || s.gzTorn {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		k, err := s.zr.Read(p[n:])
		n += k
		if err == io.EOF {
			s.gzDone = true
			return n, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// A file still being compressed, or cut short: wait until
			// it grows, then decompress again up to readOff.
			s.gzTorn = true
			if fi, err := s.f.Stat(); err == nil {
				s.gzSize = fi.Size()
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// openFile opens path at offset seek, reading the window before seek.
// want, when not nil, must be the hash of that window. ok is false when
// the file is shorter than seek or the hash differs.
func (m *Streamer) openFile(s *stream, path string, seek int64, want *Hash) (ok bool, err error) {
	return m.openID(s, path, 0, 0, seek, want)
}

// errMoved reports a file found at a path by a scan that holds another
// file now: the list is stale.
var errMoved = errors.New("logstreamer: file moved since the scan")

// openLogfile opens a file of the list, checking it is still the file the
// scan found there.
func (m *Streamer) openLogfile(s *stream, f *Logfile, seek int64, want *Hash) (bool, error) {
	return m.openID(s, f.Path, f.dev, f.ino, seek, want)
}

func (m *Streamer) openID(s *stream, path string, wantDev, wantIno uint64, seek int64, want *Hash) (ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		if wantIno != 0 && errors.Is(err, os.ErrNotExist) {
			return false, errMoved
		}
		return false, err
	}
	fail := func(err error) (bool, error) {
		f.Close()
		return false, err
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if wantIno != 0 {
		if dev, ino, _ := fileID(fi); dev != wantDev || ino != wantIno {
			return fail(errMoved)
		}
	}
	gz, err := isGzip(f)
	if err != nil {
		return fail(err)
	}
	win := min(seek, HashWindow)
	tail := make([]byte, win, HashWindow)
	var zr *gzip.Reader
	if gz {
		zr, err = gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
		if err != nil {
			return fail(err)
		}
		if _, err := io.CopyN(io.Discard, zr, seek-win); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fail(nil)
			}
			return fail(err)
		}
		if _, err := io.ReadFull(zr, tail); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fail(nil)
			}
			return fail(err)
		}
	} else {
		if n, err := f.ReadAt(tail, seek-win); int64(n) < win {
			if err == io.EOF || err == nil {
				return fail(nil)
			}
			return fail(err)
		}
		if _, err := f.Seek(seek, io.SeekStart); err != nil {
			return fail(err)
		}
	}
	if want != nil && HashOf(tail) != *want {
		return fail(nil)
	}
	s.close()
	dev, ino, _ := fileID(fi)
	s.f, s.zr, s.gz, s.abs, s.dev, s.ino = f, zr, gz, path, dev, ino
	s.readOff, s.tail, s.lastSize = seek, tail, fi.Size()
	s.pos = Position{File: relPath(m.pat.Root, path), Seek: seek, Hash: HashOf(tail), Dev: dev, Ino: ino}
	s.hasPos = true
	m.cpDirty = true
	return true, nil
}

// open finds where a stream without an open file resumes (logstreamer.md
// §10, with the fixes of §17) and opens it. It returns false when there is
// nothing to open yet.
func (m *Streamer) open(s *stream) bool {
	if len(s.files) == 0 || m.now().Before(s.retryAt) {
		return false
	}
	ok, err := m.locate(s)
	for try := 0; errors.Is(err, errMoved) && try < 3; try++ {
		m.rescan()
		if len(s.files) == 0 {
			return false
		}
		ok, err = m.locate(s)
	}
	if err != nil {
		// A file-system error keeps the position: try again later.
		m.log.Warn("logstreamer: cannot open the stream's file; will retry", "stream", s.name, "err", err)
		s.retryAt = m.now().Add(m.cfg.CheckDataInterval * 4)
		return false
	}
	return ok
}

func (m *Streamer) locate(s *stream) (bool, error) {
	files := s.files
	if !s.hasPos {
		if m.cfg.InitialTail {
			p, err := m.tailPosition(files[len(files)-1])
			if err != nil {
				return false, err
			}
			return m.openLogfile(s, files[len(files)-1], p.Seek, nil)
		}
		return m.openLogfile(s, files[0], 0, nil)
	}
	p := s.pos
	path := m.abs(p.File)
	// 1. The file itself, by identity (it may have been renamed), its
	// content checked. A file read to its end and deleted has no
	// identity left: a file of the same inode is a new one.
	if p.Ino != 0 && !p.Done {
		for i := len(files) - 1; i >= 0; i-- {
			f := files[i]
			if p.sameID(f.dev, f.ino) {
				if p.Done {
					return m.openNextAfter(s, i)
				}
				if ok, err := m.openLogfile(s, f, p.Seek, &p.Hash); ok || err != nil {
					return ok, err
				}
				break
			}
		}
	} else if p.Seek == 0 && !p.Done {
		for _, f := range files {
			if f.Path == path {
				return m.openLogfile(s, f, 0, nil)
			}
		}
	}
	// 2. The content, newest file first: the file was rotated and
	// copied (copytruncate, compression) while we were away.
	if p.Seek > 0 {
		for i := len(files) - 1; i >= 0; i-- {
			f := files[i]
			if p.sameID(f.dev, f.ino) && !p.Done {
				continue
			}
			if ok, err := m.openLogfile(s, f, p.Seek, &p.Hash); err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				return false, err
			} else if ok {
				if p.Done {
					return m.openNextAfter(s, i)
				}
				return true, nil
			}
		}
	}
	// 3. The file is known but its content before the position changed:
	// it was truncated (or rewritten) in place. Read it again from its
	// start, not the whole stream.
	if p.Ino != 0 && !p.Done {
		for _, f := range files {
			if p.sameID(f.dev, f.ino) {
				ok, err := m.openLogfile(s, f, 0, nil)
				if ok {
					m.log.Warn("logstreamer: file content changed before the saved position; reading it from its start",
						"stream", s.name, "file", f.Path, "seek", p.Seek)
				}
				return ok, err
			}
		}
	}
	// 4. The file is gone. A file fully read (Done), or one not started
	// (seek 0), is followed by the files sorted after it, or a new file
	// of the same name.
	if p.Done || p.Seek == 0 {
		// A file not started whose identity is gone may live on in a
		// copy of equal sort keys (compressed): read that.
		if i := m.firstAfter(s, path, !p.Done); i >= 0 {
			return m.openLogfile(s, files[i], 0, nil)
		}
		return false, nil
	}
	// 5. Lost: Heka's fallback, logged, or the tail.
	if m.cfg.LostPosition == LostTail {
		last := files[len(files)-1]
		m.log.Warn("logstreamer: saved position not found in any file of the stream; continuing at the end of the newest file (lost_position = \"tail\")",
			"stream", s.name, "file", p.File, "seek", p.Seek, "hash", p.Hash.String(), "newest", last.Path)
		tp, err := m.tailPosition(last)
		if err != nil {
			return false, err
		}
		return m.openLogfile(s, last, tp.Seek, nil)
	}
	m.log.Warn("logstreamer: saved position not found in any file of the stream; reading the stream again from its oldest file (lost_position = \"oldest\")",
		"stream", s.name, "file", p.File, "seek", p.Seek, "hash", p.Hash.String(), "oldest", files[0].Path)
	return m.openLogfile(s, files[0], 0, nil)
}

// openNextAfter opens the file after files[i] at 0, if there is one.
func (m *Streamer) openNextAfter(s *stream, i int) (bool, error) {
	if i+1 < len(s.files) {
		return m.openLogfile(s, s.files[i+1], 0, nil)
	}
	return false, nil
}

// firstAfter returns the index of the first file that sorts after path
// (or ties with it, when equal), or has path's name (a new file of that
// name), or -1.
func (m *Streamer) firstAfter(s *stream, path string, equal bool) int {
	keys, ok := m.pat.keysOf(path)
	for i, f := range s.files {
		if f.Path == path {
			return i
		}
		if c := m.pat.compare(f.keys, keys); ok && (c > 0 || equal && c == 0) {
			return i
		}
	}
	return -1
}

// tailPosition is the end of a file, for initial_tail.
func (m *Streamer) tailPosition(f *Logfile) (*Position, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	gz, err := isGzip(fh)
	if err != nil {
		return nil, err
	}
	var size int64
	if gz {
		zr, err := gzip.NewReader(bufio.NewReader(fh))
		if err != nil {
			return nil, err
		}
		size, err = io.Copy(io.Discard, zr)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
	} else {
		fi, err := fh.Stat()
		if err != nil {
			return nil, err
		}
		size = fi.Size()
	}
	h, _, err := hashAtFile(fh, size)
	if err != nil {
		return nil, err
	}
	return &Position{File: relPath(m.pat.Root, f.Path), Seek: size, Hash: h, Dev: f.dev, Ino: f.ino}, nil
}

// pollStream reads what is new in one stream.
func (m *Streamer) pollStream(s *stream) (progress bool, err error) {
	if s.f == nil {
		if !m.open(s) {
			return false, nil
		}
	} else if !m.resume(s) {
		// Before reading on, every poll: a truncation must be seen
		// before reading from a stale offset.
		return false, nil
	}
	moves := 0
	for fills := 0; fills < maxFills; {
		n, rerr := m.fill(s)
		if rerr != nil && rerr != io.EOF {
			if n > 0 {
				progress = true
				if err := m.checkpoint(); err != nil {
					return progress, err
				}
			}
			// Fix of Heka #1897: a read error keeps the position; the file
			// is opened again later.
			m.log.Warn("logstreamer: read error; will reopen at the saved position", "stream", s.name, "file", s.abs, "err", rerr)
			s.close()
			s.retryAt = m.now().Add(m.cfg.CheckDataInterval * 4)
			return progress, nil
		}
		if n > 0 {
			progress, s.atEOF, s.drained = true, false, false
			fills++
			if err := m.checkpoint(); err != nil {
				return progress, err
			}
			continue
		}
		act := m.atEnd(s)
		if act.next == nil && !act.gone {
			if !s.atEOF {
				s.atEOF = true
				if fi, err := s.f.Stat(); err == nil {
					s.lastSize = fi.Size()
				}
			}
			if m.readToEnd() {
				if ok, err := m.flushComplete(s); err != nil {
					return progress, err
				} else if ok {
					progress = true
					if err := m.checkpoint(); err != nil {
						return progress, err
					}
				}
			}
			return progress, nil
		}
		if !s.drained && !s.gzDone {
			s.drained = true // one more read before leaving the file
			continue
		}
		if act.copy {
			// Our content lives on in a copy (compressed, or copied before
			// a truncation): go on there from the position; the pending
			// record is read again from it.
			p := s.pos
			if ok, err := m.openLogfile(s, act.next, p.Seek, &p.Hash); ok && err == nil {
				m.log.Info("logstreamer: file gone; continuing in its copy", "stream", s.name, "copy", act.next.Path, "seek", p.Seek)
				continue
			}
			s.pos = p
			act.next = nil
		}
		next := act.next
		if err := m.finishFile(s); err != nil {
			return progress, err
		}
		progress = true
		done := s.pos
		done.Done = true
		if next == nil {
			// Deleted and read to its end, nothing after it yet.
			s.pos.Done = true
			s.close()
			m.cpDirty = true
			return progress, nil
		}
		if ok, err := m.openLogfile(s, next, 0, nil); ok {
			s.prev = &done
		} else if errors.Is(err, errMoved) {
			// Rotated again since the scan: decide again on a fresh list
			// (the file just finished stays open, at its end).
			m.rescan()
			s.pos.Done = false
			if moves++; moves > 3 {
				return progress, nil
			}
			continue
		} else if err != nil {
			m.log.Warn("logstreamer: cannot open the next file; will retry", "stream", s.name, "file", next.Path, "err", err)
			s.pos = Position{File: relPath(m.pat.Root, next.Path), Dev: next.dev, Ino: next.ino}
			s.close()
			return progress, nil
		}
		if err := m.checkpoint(); err != nil {
			return progress, err
		}
	}
	return progress, nil
}

// resume checks the open file before reading on: truncation (size below
// the read offset, or the bytes before it changed since it grew).
// It returns false when there is nothing new to read.
func (m *Streamer) resume(s *stream) bool {
	if s.gz {
		if !s.gzTorn {
			return true // only the next-file check remains
		}
		fi, err := s.f.Stat()
		if err != nil || fi.Size() == s.gzSize {
			return true
		}
		// The compressed file grew: decompress again up to readOff.
		path, off, carry, scanned, skipping := s.abs, s.readOff, s.carry, s.scanned, s.skipping
		seek := s.pos.Seek
		s.carry = nil
		if ok, err := m.openFile(s, path, seek, nil); !ok || err != nil {
			s.close()
			return false
		}
		if off > seek {
			if _, err := io.CopyN(io.Discard, s.zr, off-seek); err != nil {
				s.gzTorn, s.gzSize = true, fi.Size()
			}
		}
		s.readOff, s.carry, s.scanned, s.skipping = off, carry, scanned, skipping
		return true
	}
	fi, err := s.f.Stat()
	if err != nil {
		return true
	}
	size := fi.Size()
	switch {
	case size < s.readOff:
		m.truncated(s, "file shorter than the read offset")
		return true
	case size > s.lastSize && s.readOff > 0:
		// The bytes before the read offset must be those we read.
		k := min(int64(HashWindow), s.readOff)
		have := make([]byte, 0, len(s.tail)+len(s.carry))
		have = append(append(have, s.tail...), s.carry...)
		if int64(len(have)) > k {
			have = have[int64(len(have))-k:]
		}
		got := make([]byte, len(have))
		if n, _ := s.f.ReadAt(got, s.readOff-int64(len(have))); n == len(got) && !bytes.Equal(got, have) {
			m.truncated(s, "content before the read offset changed")
			return true
		}
	}
	s.lastSize = size
	return true
}

// truncated handles a file truncated in place: when a copy of it holds
// our position (copytruncate), reading goes on there, else the file is
// read again from its start.
func (m *Streamer) truncated(s *stream, why string) {
	m.rescan()
	p := s.pos
	for i := len(s.files) - 1; i >= 0; i-- {
		f := s.files[i]
		if f.dev == s.dev && f.ino == s.ino {
			continue
		}
		if p.Seek > 0 {
			if ok, _ := m.openFile(s, f.Path, p.Seek, &p.Hash); ok {
				m.log.Info("logstreamer: file truncated; continuing in its copy", "stream", s.name, "why", why, "copy", f.Path, "seek", p.Seek)
				return
			}
		}
	}
	m.log.Warn("logstreamer: file truncated; reading it again from its start", "stream", s.name, "file", s.abs, "why", why, "offset", s.readOff)
	path := s.abs
	if _, err := m.openFile(s, path, 0, nil); err != nil {
		s.close()
	}
}

// endAction is what follows the end of the open file.
type endAction struct {
	next *Logfile // the file to read next; nil: none yet
	copy bool     // next holds a copy of the open file: continue there at the position
	gone bool     // the open file was deleted or left the stream
}

// atEnd is called when the open file has nothing more to read. It finds
// what follows it.
func (m *Streamer) atEnd(s *stream) endAction {
	fi, err := s.f.Stat()
	if err != nil {
		return endAction{}
	}
	_, _, nlink := fileID(fi)
	here := false
	if pf, err := os.Stat(s.abs); err == nil {
		dev, ino, _ := fileID(pf)
		here = dev == s.dev && ino == s.ino
	}
	idx := m.indexOf(s)
	if !here || idx < 0 {
		// Renamed or deleted: the list may be stale.
		m.rescan()
		idx = m.indexOf(s)
	}
	if idx >= 0 {
		f := s.files[idx]
		if f.Path != s.abs {
			s.abs = f.Path
			s.pos.File = relPath(m.pat.Root, f.Path)
			m.cpDirty = true
		}
		for j := idx + 1; j < len(s.files); j++ {
			// A file of equal sort keys holding our content is a copy of
			// this one (app.log.2 and app.log.2.gz while compressing).
			n := s.files[j]
			if m.pat.compare(n.keys, f.keys) == 0 && s.pos.Seek > 0 {
				if h, ok, err := HashAt(n.Path, s.pos.Seek); err == nil && ok && h == s.pos.Hash {
					continue
				}
			}
			return endAction{next: n}
		}
		return endAction{}
	}
	if here && nlink > 0 {
		// Still at its name but no longer in the list (aged out, or
		// no longer matching): the files sorted after it follow.
		if i := m.firstAfter(s, s.abs, false); i >= 0 && (s.files[i].dev != s.dev || s.files[i].ino != s.ino) {
			return endAction{next: s.files[i]}
		}
		return endAction{}
	}
	// Deleted, or renamed out of the stream. A copy holding our content
	// (compressed after rotation) continues it; else the file sorted
	// after it, or a new file of its name.
	if s.pos.Seek > 0 {
		for i := len(s.files) - 1; i >= 0; i-- {
			if f := s.files[i]; f.dev != s.dev || f.ino != s.ino {
				if h, ok, err := HashAt(f.Path, s.pos.Seek); err == nil && ok && h == s.pos.Hash {
					return endAction{next: f, copy: true}
				}
			}
		}
	}
	if i := m.firstAfter(s, s.abs, false); i >= 0 {
		return endAction{next: s.files[i], gone: true}
	}
	return endAction{gone: nlink == 0 || !here}
}

// indexOf returns the index of the open file in the stream's list, by
// identity, or -1.
func (m *Streamer) indexOf(s *stream) int {
	for i, f := range s.files {
		if f.dev == s.dev && f.ino == s.ino && (s.ino != 0 || f.Path == s.abs) {
			return i
		}
	}
	return -1
}

// finishFile delivers the pending record of a file read to its end: its
// partial last line is a record of its own, never joined to the next
// file's first line.
func (m *Streamer) finishFile(s *stream) error {
	s.prev = nil
	if len(s.carry) == 0 || s.skipping {
		s.pos.Seek = s.readOff
		s.credit(s.carry)
		s.carry = s.carry[:0]
		return nil
	}
	start := s.readOff - int64(len(s.carry))
	if err := m.emit(s, s.carry, start); err != nil {
		return err
	}
	s.credit(s.carry)
	s.pos.Seek, s.pos.Hash = s.readOff, HashOf(s.tail)
	s.carry, s.scanned = s.carry[:0], 0
	m.cpDirty = true
	return nil
}
