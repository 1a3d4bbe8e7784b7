package logstreamer

import (
	"bytes"
	"io"
	"regexp"
)

// Record modes.
const (
	modeLine  = iota // one record per delimiter
	modeStart        // a record starts at a line matching record_start
	modeEnd          // a record ends with a line matching record_end
)

// splitter cuts records out of the bytes read.
type splitter struct {
	delim  []byte
	single bool // delim is one byte
	keep   bool
	mode   int
	start  *regexp.Regexp
	end    *regexp.Regexp
	max    int
}

func newSplitter(cfg *Config) splitter {
	sp := splitter{delim: []byte(cfg.Delimiter), keep: cfg.KeepDelimiter, max: cfg.MaxRecordSize,
		start: cfg.RecordStart, end: cfg.RecordEnd}
	sp.single = len(sp.delim) == 1
	switch {
	case cfg.RecordStart != nil:
		sp.mode = modeStart
	case cfg.RecordEnd != nil:
		sp.mode = modeEnd
	}
	return sp
}

func (sp *splitter) index(b []byte) int {
	if sp.single {
		return bytes.IndexByte(b, sp.delim[0])
	}
	return bytes.Index(b, sp.delim)
}

// fill reads once from the stream's file after its pending bytes, hands
// the complete records to the sink and credits them. It returns the
// number of bytes read.
func (m *Streamer) fill(s *stream) (int, error) {
	buf := m.buf
	c := copy(buf, s.carry)
	n, err := s.read(buf[c:])
	if n <= 0 {
		return 0, err
	}
	// Nothing read is handed on before it is known to be where the
	// stream goes on. The checks run after the read: a truncation
	// before it is seen, one after it did not change what was read.
	if !s.gz && s.readOff > 0 && !m.unchanged(s) {
		// Truncated in place and written past the read offset since
		// resume looked (copytruncate): the bytes read are another
		// content's.
		m.truncated(s, "content before the read offset changed")
		return 0, errRelocated
	}
	if (s.prev != nil || s.start) && !s.checked && !m.confirm(s) {
		return 0, errRelocated
	}
	s.readOff += int64(n)
	end := c + n
	base := s.readOff - int64(end)
	consumed, scanned, serr := m.splitBuf(s, buf[:end], base, s.scanned)
	if serr != nil {
		return n, serr
	}
	s.credit(buf[:consumed])
	s.pos.Seek, s.pos.Hash = base+int64(consumed), HashOf(s.tail)
	s.carry = append(s.carry[:0], buf[consumed:end]...)
	s.scanned = scanned - consumed
	if consumed > 0 {
		s.prev, s.start = nil, false
	}
	m.cpDirty = true
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// splitBuf hands the records of b (b[0] at file offset base; b[:scanned]
// already split into lines) to the sink. It returns the end of the last
// record (consumed) and the end of the last complete line.
func (m *Streamer) splitBuf(s *stream, b []byte, base int64, pos int) (recStart, scanned int, err error) {
	sp := &m.split
	dl := len(sp.delim)
	for {
		i := sp.index(b[pos:])
		if i < 0 {
			break
		}
		line := b[pos : pos+i]
		lineEnd := pos + i + dl
		if s.skipping {
			switch sp.mode {
			case modeLine:
				s.skipping = false
				recStart = lineEnd
			case modeStart:
				if sp.start.Match(line) {
					s.skipping = false
					recStart = pos
				} else {
					recStart = lineEnd
				}
			case modeEnd:
				if sp.end.Match(line) {
					s.skipping = false
				}
				recStart = lineEnd
			}
			pos = lineEnd
			continue
		}
		switch sp.mode {
		case modeLine:
			if i > sp.max {
				m.oversize(s, base+int64(recStart), i)
			} else if err := m.emitRange(s, b, recStart, lineEnd, base); err != nil {
				return recStart, pos, err
			}
			recStart = lineEnd
		case modeStart:
			if pos > recStart && sp.start.Match(line) {
				if err := m.emitRange(s, b, recStart, pos, base); err != nil {
					return recStart, pos, err
				}
				recStart = pos
			}
		case modeEnd:
			if sp.end.Match(line) {
				if err := m.emitRange(s, b, recStart, lineEnd, base); err != nil {
					return recStart, pos, err
				}
				recStart = lineEnd
			}
		}
		pos = lineEnd
		if sp.mode != modeLine && pos-recStart > sp.max+dl {
			m.oversize(s, base+int64(recStart), pos-recStart)
			s.skipping = sp.mode == modeEnd
			recStart = pos
		}
	}
	if len(b)-recStart > sp.max+dl || (sp.mode == modeLine && len(b)-recStart > sp.max) {
		m.oversize(s, base+int64(recStart), len(b)-recStart)
		s.skipping = true
		recStart, pos = len(b), len(b)
	}
	return recStart, pos, nil
}

// emitRange hands b[from:to] to the sink, without its final delimiter
// unless keep_delimiter.
func (m *Streamer) emitRange(s *stream, b []byte, from, to int, base int64) error {
	rec := b[from:to]
	if !m.split.keep && bytes.HasSuffix(rec, m.split.delim) {
		rec = rec[:len(rec)-len(m.split.delim)]
	}
	return m.sink.Record(s.name, s.abs, base+int64(from), rec)
}

// emit hands a record ending a file to the sink.
func (m *Streamer) emit(s *stream, rec []byte, off int64) error {
	if !m.split.keep && bytes.HasSuffix(rec, m.split.delim) {
		rec = rec[:len(rec)-len(m.split.delim)]
	}
	return m.sink.Record(s.name, s.abs, off, rec)
}

// flushComplete delivers, when reading to the end, a record_start record
// whose lines are complete: no start line follows to end it. It reports
// whether it delivered one.
func (m *Streamer) flushComplete(s *stream) (bool, error) {
	if m.split.mode != modeStart || s.scanned == 0 || s.skipping {
		return false, nil
	}
	rec := s.carry[:s.scanned]
	off := s.readOff - int64(len(s.carry))
	if err := m.emit(s, rec, off); err != nil {
		return false, err
	}
	s.credit(rec)
	s.pos.Seek, s.pos.Hash = off+int64(len(rec)), HashOf(s.tail)
	s.prev, s.start = nil, false
	n := copy(s.carry, s.carry[s.scanned:])
	s.carry, s.scanned = s.carry[:n], 0
	m.cpDirty = true
	return true, nil
}

// oversize reports a record over max_message_size, which is skipped.
func (m *Streamer) oversize(s *stream, off int64, n int) {
	m.oversized++
	if m.oversized <= 100 || m.oversized%1000 == 0 {
		m.log.Warn("logstreamer: record over max_message_size skipped", "stream", s.name, "file", s.abs,
			"offset", off, "bytes_at_least", n, "max_message_size", m.split.max, "skipped_so_far", m.oversized)
	}
}
