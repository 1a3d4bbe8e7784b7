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
	// start says the open file was opened at its start as the oldest of
	// the stream (a new stream, or one read again), nothing of it handed
	// on yet: the checkpoint leaves the stream out until then.
	start bool
	// checked says the open file, opened at its start after prev (or as
	// the oldest), was confirmed to be that file once its first bytes
	// were read (confirm).
	checked bool

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
	s.checked = false
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
	if !s.hasPos {
		files := s.files
		if m.cfg.InitialTail {
			p, err := m.tailPosition(files[len(files)-1])
			if err != nil {
				return false, err
			}
			return m.openLogfile(s, files[len(files)-1], p.Seek, nil)
		}
		ok, err := m.openLogfile(s, files[0], 0, nil)
		s.start = ok
		return ok, err
	}
	p := s.pos
	for rescanned := false; ; rescanned = true {
		if ok, found, err := m.relocate(s, p); found || err != nil {
			return ok, err
		}
		if rescanned || p.Seek == 0 && !p.Done {
			break
		}
		// A scan taken while files were being rotated may have missed
		// the one holding the position: look once more.
		m.rescan()
		if len(s.files) == 0 {
			return false, nil
		}
	}
	files := s.files
	path := m.abs(p.File)
	// 3. The file is known but its content before the position changed:
	// it was truncated (or rewritten) in place. Read it again from its
	// start, not the whole stream.
	if p.Ino != 0 && !p.Done {
		for _, f := range files {
			if p.sameID(f.dev, f.ino) {
				ok, err := m.openLogfile(s, f, 0, nil)
				if ok {
					m.log.Warn("logstreamer: file content changed before the saved position; reading it from its start (lines written after the position before it changed are lost)",
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
			if p.Done && p.Seek > 0 {
				m.log.Warn("logstreamer: the file read last is found nowhere; going on with the file sorted after its name (a file rotated in between would be skipped)",
					"stream", s.name, "file", p.File, "seek", p.Seek, "next", files[i].Path)
			}
			ok, err := m.openLogfile(s, files[i], 0, nil)
			if ok && p.Done {
				s.prev = &p
			}
			return ok, err
		}
		return false, nil
	}
	// 5. Lost: Heka's fallback, logged, or the tail.
	if m.cfg.LostPosition == LostTail {
		last := files[len(files)-1]
		m.log.Warn("logstreamer: saved position not found in any file of the stream; continuing at the end of the newest file (lost_position = \"tail\"): lines after the position are lost",
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

// relocate finds position p in the stream's files: the file itself by
// identity, its content checked (it may have been renamed), else the
// newest file holding its content (copied, compressed). found is false
// when no file holds it.
func (m *Streamer) relocate(s *stream, p Position) (ok, found bool, err error) {
	files := s.files
	path := m.abs(p.File)
	// 1. The file itself, by identity. A file read to its end and
	// deleted has no identity left: its inode number may be another
	// file's now.
	if p.Ino != 0 && !p.Done {
		for i := len(files) - 1; i >= 0; i-- {
			f := files[i]
			if p.sameID(f.dev, f.ino) {
				if ok, err := m.openLogfile(s, f, p.Seek, &p.Hash); ok || err != nil {
					return ok, true, err
				}
				break
			}
		}
	} else if p.Ino == 0 && p.Seek == 0 && !p.Done {
		for _, f := range files {
			if f.Path == path {
				ok, err := m.openLogfile(s, f, 0, nil)
				return ok, true, err
			}
		}
	}
	if p.Seek == 0 {
		return false, false, nil
	}
	// 2. The content, newest file first: the file was rotated and
	// copied (copytruncate, compression) while we were away.
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if p.sameID(f.dev, f.ino) && !p.Done {
			continue
		}
		ok, err := m.openLogfile(s, f, p.Seek, &p.Hash)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return false, true, err
		}
		if !ok {
			continue
		}
		if !p.Done {
			return true, true, nil
		}
		// The file after the one read to its end. Until a record of
		// it is handed on, the checkpoint stays "after that file": a
		// file at offset 0 says nothing of what was in it.
		ok, err = m.openNextAfter(s, i, &p)
		if ok {
			done := p
			s.prev = &done
		}
		return ok, true, err
	}
	return false, false, nil
}

// openNextAfter opens the file after files[i] at 0, if there is one;
// p is the position at the end of files[i] (see after).
func (m *Streamer) openNextAfter(s *stream, i int, p *Position) (bool, error) {
	if j := m.after(s, i, p); j >= 0 {
		return m.openLogfile(s, s.files[j], 0, nil)
	}
	return false, nil
}

// after returns the index of the file that follows files[i], or -1. A
// file of equal sort keys holding the content before p (a position in
// files[i]) is a copy of it (app.log.2 and app.log.2.gz while
// compressing) and does not follow it.
func (m *Streamer) after(s *stream, i int, p *Position) int {
	f := s.files[i]
	for j := i + 1; j < len(s.files); j++ {
		n := s.files[j]
		if m.pat.compare(n.keys, f.keys) == 0 && p.Seek > 0 {
			if h, ok, err := HashAt(n.Path, p.Seek); err == nil && ok && h == p.Hash {
				continue
			}
		}
		return j
	}
	return -1
}

// holding returns the index of the file that holds the content before
// position p, the file open excepted (newest first; by identity first:
// one hash), or -1.
func (m *Streamer) holding(s *stream, p *Position) int {
	open := func(f *Logfile) bool { return s.f != nil && f.dev == s.dev && f.ino == s.ino }
	has := func(f *Logfile) bool {
		h, ok, err := HashAt(f.Path, p.Seek)
		return err == nil && ok && h == p.Hash
	}
	for i := len(s.files) - 1; i >= 0; i-- {
		if f := s.files[i]; p.sameID(f.dev, f.ino) && !open(f) {
			if has(f) {
				return i
			}
			break
		}
	}
	for i := len(s.files) - 1; i >= 0; i-- {
		if f := s.files[i]; !open(f) && !p.sameID(f.dev, f.ino) && has(f) {
			return i
		}
	}
	return -1
}

// errRelocated reports that the file just read was not the one to read:
// the stream has been set back to the position it follows.
var errRelocated = errors.New("logstreamer: relocated")

// confirm is called once the first bytes of a file opened at its start,
// as the one after s.prev, were read, before any is handed on: it checks
// on a new scan that the file still follows s.prev. A scan taken before
// a rotation may name a file whose content has moved on since: a live
// file truncated by copytruncate (its content now in a copy), or a path
// where a deleted file's inode number was given to a new file. The scan
// runs after the read, so a copy made before the content read was
// replaced is in it. It returns false when another file follows s.prev:
// the stream is then closed at s.prev, to open that file.
func (m *Streamer) confirm(s *stream) bool {
	s.checked = true
	if s.start {
		// The oldest file of the stream, opened from a scan taken
		// before a copy older than it appeared (copytruncate, rename)?
		m.rescan()
		if len(s.files) == 0 {
			return true
		}
		if f := s.files[0]; f.dev != s.dev || f.ino != s.ino {
			m.log.Info("logstreamer: rotated while starting the stream; reading its oldest file first",
				"stream", s.name, "opened", s.abs, "oldest", f.Path)
			s.close()
			s.start, s.hasPos, s.pos = false, false, Position{}
			return false
		}
		return true
	}
	prev := *s.prev
	if prev.Seek == 0 {
		return true // nothing to find it by
	}
	i := -1
	for try := 0; i < 0 && try < 2; try++ {
		m.rescan()
		i = m.holding(s, &prev)
	}
	if i < 0 {
		return true // gone (deleted): the list order is all we have
	}
	j := m.after(s, i, &prev)
	if j < 0 {
		return true
	}
	if f := s.files[j]; f.dev != s.dev || f.ino != s.ino {
		m.log.Info("logstreamer: rotated while moving to the next file; reading the file that follows first",
			"stream", s.name, "after", s.files[i].Path, "opened", s.abs, "next", f.Path)
		s.close()
		s.pos, s.prev = prev, nil
		return false
	}
	return true
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
		if errors.Is(rerr, errRelocated) {
			fills++
			if s.f == nil && !m.open(s) {
				return progress, nil
			}
			continue
		}
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
			// Retried from the end of the file read: the file after it
			// is found again then.
			s.close()
			s.pos = done
			return progress, nil
		}
		if err := m.checkpoint(); err != nil {
			return progress, err
		}
	}
	return progress, nil
}

// resume checks the open file before reading on: truncated (shorter than
// the read offset, or than before). fill checks the bytes before the read
// offset once it has read. It returns false when there is nothing to
// read.
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
		return m.truncated(s, "file shorter than the read offset")
	case size < s.lastSize:
		// A file never shrinks but by truncation, even one not read yet
		// (opened at 0) or read in part.
		return m.truncated(s, "file shorter than before")
	}
	s.lastSize = size
	return true
}

// unchanged reports whether the bytes before the read offset of the open
// (plain) file are still those read: a file truncated in place and
// written again past the offset has other bytes there.
func (m *Streamer) unchanged(s *stream) bool {
	k := int(min(int64(HashWindow), s.readOff))
	c := min(len(s.carry), k)
	t := min(len(s.tail), k-c)
	got := m.win[:t+c]
	n, _ := s.f.ReadAt(got, s.readOff-int64(t+c))
	return n == len(got) && bytes.Equal(got[:t], s.tail[len(s.tail)-t:]) && bytes.Equal(got[t:], s.carry[len(s.carry)-c:])
}

// truncated handles a file truncated in place: when a copy of it holds
// our position (copytruncate), reading goes on there, else the file is
// read again from its start. It reports whether the stream has a file
// open to read.
func (m *Streamer) truncated(s *stream, why string) bool {
	p := s.pos
	if p.Seek == 0 && (s.start || s.prev != nil) {
		// Nothing of this file handed on yet. Its content went to a
		// copy (copytruncate), which follows the file read before it,
		// or is the oldest of the stream now: go on from there.
		dev, ino, had := s.dev, s.ino, s.readOff > 0 || s.lastSize > 0
		s.close()
		if s.start {
			s.start, s.hasPos, s.pos = false, false, Position{}
		} else {
			s.pos, s.prev = *s.prev, nil
		}
		m.rescan()
		ok := m.open(s)
		if ok && had && s.dev == dev && s.ino == ino {
			m.log.Warn("logstreamer: file truncated before a record of it was handed on, and no copy of it found; what it held is lost",
				"stream", s.name, "file", s.abs, "why", why)
		} else {
			m.log.Info("logstreamer: file truncated before a record of it was handed on; going on with the file holding its content",
				"stream", s.name, "why", why, "file", s.abs)
		}
		return ok
	}
	for try := 0; try < 2 && p.Seek > 0; try++ {
		// A copy is made before the truncation: a scan now sees it,
		// unless it ran while files were being renamed; then once more.
		m.rescan()
		for i := len(s.files) - 1; i >= 0; i-- {
			f := s.files[i]
			if f.dev == s.dev && f.ino == s.ino {
				continue
			}
			if ok, _ := m.openFile(s, f.Path, p.Seek, &p.Hash); ok {
				m.log.Info("logstreamer: file truncated; continuing in its copy", "stream", s.name, "why", why, "copy", f.Path, "seek", p.Seek)
				return true
			}
		}
	}
	if p.Seek > 0 {
		m.log.Warn("logstreamer: file truncated and no copy of it holds the position; reading it again from its start: lines written after the position before the truncation are lost",
			"stream", s.name, "file", s.abs, "why", why, "seek", p.Seek, "read_offset", s.readOff)
	} else {
		m.log.Warn("logstreamer: file truncated before a record of it was handed on; reading it again from its start: what it held is lost",
			"stream", s.name, "file", s.abs, "why", why, "read_offset", s.readOff)
	}
	if _, err := m.openFile(s, s.abs, 0, nil); err != nil {
		s.close()
	}
	return s.f != nil
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
		if j := m.after(s, idx, &s.pos); j >= 0 {
			return endAction{next: s.files[j]}
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
	s.prev, s.start = nil, false
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
