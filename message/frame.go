package message

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// Frame bytes (reference §1.4).
const (
	RecordSeparator = 0x1e // first byte of every frame
	UnitSeparator   = 0x1f // ends the header, the message follows

	// HardCap is the largest message length a reader accepts. The
	// max_message_size in force when a record was written is unknown to a
	// reader, so anything longer than this generous fixed cap is corruption.
	HardCap = 64 << 20

	// lengthTag is the header key of field 1, varint: message_length.
	lengthTag = 0x08
	// crcTag is the header key of field 7, fixed32: the CRC-32C of the message.
	crcTag = 7<<3 | 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C (Castagnoli) of msg, the value a frame
// carries in header field 7.
func Checksum(msg []byte) uint32 { return crc32.Checksum(msg, castagnoli) }

// FrameSize returns the number of bytes AppendFrame adds for a message of
// length n.
func FrameSize(n int) int {
	return 1 + 1 + 1 + varintLen(uint64(n)) + 5 + 1 + n
}

// AppendFrame appends msg to dst as one frame: 1e, hlen, the header
// (08 message_length, 3d CRC-32C), 1f, msg. It allocates only when dst lacks
// capacity.
func AppendFrame(dst, msg []byte) []byte {
	n := uint64(len(msg))
	hlen := 1 + varintLen(n) + 5
	dst = append(dst, RecordSeparator, byte(hlen), lengthTag)
	dst = binary.AppendUvarint(dst, n)
	dst = append(dst, crcTag)
	dst = binary.LittleEndian.AppendUint32(dst, Checksum(msg))
	dst = append(dst, UnitSeparator)
	return append(dst, msg...)
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Damage describes a region of a stream that was skipped because it held no
// valid frame: garbage, a torn record, a checksum mismatch.
type Damage struct {
	Offset int64  // stream offset of the first skipped byte
	Length int64  // number of bytes skipped
	Reason string // why the first byte of the region was rejected
}

// ScanOptions configures a Scanner. The zero value is usable.
type ScanOptions struct {
	// MaxMessageSize is the configured max_message_size. A frame longer than
	// it (but within HardCap) whose checksum is valid is still delivered,
	// flagged by Scanner.Oversize, never silently dropped. Zero means HardCap.
	MaxMessageSize int
	// Validate, when set, checks a message that carries no checksum (frames
	// written by the reference); a message it rejects is treated as a bad
	// frame and skipped. Frames with a valid checksum are not validated.
	Validate func(msg []byte) error
	// OnDamage, when set, is called once for each contiguous skipped region,
	// when the region ends.
	OnDamage func(Damage)
	// ReadSize is the size of each read from the underlying reader
	// (default 256 KiB).
	ReadSize int
	// DropOversize makes a frame whose message_length exceeds
	// MaxMessageSize damage as soon as its header is read, checksum or
	// not, as the reference does: the buffer then never grows past
	// MaxMessageSize plus a header and ReadSize (input from a network
	// peer, where a frame's length is not to be trusted).
	DropOversize bool
}

// Scanner finds frames in a byte stream and resynchronises after damage as
// the reference does (§1.8): bytes up to the next valid frame are skipped and
// reported, a false separator inside a payload is rejected by the header,
// checksum and validation checks.
//
// A Scanner can follow a growing stream: when Next returns false with a nil
// Err, it has consumed every complete frame available; calling Next again
// later reads whatever was appended since. Call Finish when no more bytes
// will come, so a torn record at the end is reported and skipped.
type Scanner struct {
	r    io.Reader
	opts ScanOptions
	max  int

	buf   []byte
	start int   // first unconsumed byte in buf
	end   int   // end of valid data in buf
	base  int64 // stream offset of buf[0]
	eof   bool  // the underlying reader said io.EOF on the last read
	final bool  // Finish was called: an incomplete frame is damage

	msg      []byte
	msgStart int64
	hasCRC   bool
	err      error

	dmg       Damage // pending damaged region, Length 0 when none
	discarded int64
}

// NewScanner returns a Scanner reading r from stream offset 0.
func NewScanner(r io.Reader, opts ScanOptions) *Scanner {
	return NewScannerAt(r, 0, opts)
}

// NewScannerAt returns a Scanner reading r, whose first byte is at stream
// offset off (a reader opened at a saved position).
func NewScannerAt(r io.Reader, off int64, opts ScanOptions) *Scanner {
	if opts.ReadSize <= 0 {
		opts.ReadSize = 256 << 10
	}
	max := opts.MaxMessageSize
	if max <= 0 || max > HardCap {
		max = HardCap
	}
	return &Scanner{r: r, opts: opts, max: max, base: off}
}

// Message returns the current message, valid until the next call to Next.
func (s *Scanner) Message() []byte { return s.msg }

// Frame returns the current record's stream offset (of its 1e) and its
// whole frame length.
func (s *Scanner) Frame() (offset int64, length int) {
	return s.msgStart, int(s.Offset() - s.msgStart)
}

// Checked reports whether the current record carried a checksum that was
// verified.
func (s *Scanner) Checked() bool { return s.hasCRC }

// Oversize reports whether the current message is longer than
// MaxMessageSize. Such a message is delivered so the caller can report it.
func (s *Scanner) Oversize() bool { return len(s.msg) > s.max }

// Offset returns the stream offset of the first byte not yet consumed: after
// Next returned true, the byte after the current record (including any
// damaged bytes skipped before it).
func (s *Scanner) Offset() int64 { return s.base + int64(s.start) }

// Buffered returns the number of bytes read but not yet consumed: a partial
// frame waiting for the rest of its bytes.
func (s *Scanner) Buffered() int { return s.end - s.start }

// Discarded returns the total number of bytes skipped as damage.
func (s *Scanner) Discarded() int64 { return s.discarded }

// Err returns the first read error other than io.EOF.
func (s *Scanner) Err() error { return s.err }

// Finish tells the Scanner that the stream has ended: an incomplete frame
// at the end is damage. Call Next until it returns false to drain the
// frames that remain, then every skipped byte has been reported.
func (s *Scanner) Finish() { s.final = true }

// Next advances to the next valid frame. It returns false when no complete
// frame is available (yet), or on a read error (see Err).
func (s *Scanner) Next() bool {
	s.msg = nil
	for {
		ok, need := s.scan()
		if ok {
			return true
		}
		if s.err != nil {
			return false
		}
		if s.eof && s.final {
			if s.end > s.start {
				// Incomplete frame at the end of a finished stream: skip
				// one byte and look for a frame behind it.
				s.skip(1, "truncated record")
				continue
			}
			s.flushDamage()
			return false
		}
		if !s.fill(need) {
			if s.err != nil || !s.final {
				return false
			}
		}
	}
}

// scan looks for a frame in the buffered bytes. It returns true when one was
// found, or the number of buffered bytes it needs to decide.
func (s *Scanner) scan() (bool, int) {
	for {
		data := s.buf[s.start:s.end]
		if len(data) == 0 {
			return false, 1
		}
		i := bytes.IndexByte(data, RecordSeparator)
		if i < 0 {
			s.skip(len(data), "no record separator")
			return false, 1
		}
		if i > 0 {
			s.skip(i, "no record separator")
			data = data[i:]
		}
		if len(data) < 2 {
			return false, 2
		}
		hlen := int(data[1])
		if len(data) < hlen+3 {
			return false, hlen + 3
		}
		if data[hlen+2] != UnitSeparator {
			s.skip(1, "bad header")
			continue
		}
		mlen, crc, hasCRC, ok := parseHeader(data[2 : 2+hlen])
		if !ok {
			s.skip(1, "bad header")
			continue
		}
		if mlen == 0 || mlen > HardCap {
			s.skip(1, "bad message length")
			continue
		}
		if s.opts.DropOversize && mlen > s.max {
			s.skip(1, "message longer than max_message_size")
			continue
		}
		total := hlen + 3 + mlen
		if len(data) < total {
			return false, total
		}
		msg := data[hlen+3 : total]
		if hasCRC {
			if Checksum(msg) != crc {
				s.skip(1, "checksum mismatch")
				continue
			}
		} else {
			if mlen > s.max {
				s.skip(1, "message longer than max_message_size without checksum")
				continue
			}
			if s.opts.Validate != nil && s.opts.Validate(msg) != nil {
				s.skip(1, "invalid message")
				continue
			}
		}
		s.flushDamage()
		s.msgStart = s.Offset()
		s.msg = msg
		s.hasCRC = hasCRC
		s.start += total
		return true, 0
	}
}

// parseHeader reads a frame header: message_length (field 1, varint) must
// come first; field 7 (fixed32) is the checksum; other fields are skipped.
func parseHeader(h []byte) (mlen int, crc uint32, hasCRC, ok bool) {
	if len(h) < 2 || h[0] != lengthTag {
		return 0, 0, false, false
	}
	v, n := binary.Uvarint(h[1:])
	if n <= 0 || v > HardCap {
		return 0, 0, false, false
	}
	mlen = int(v)
	h = h[1+n:]
	for len(h) > 0 {
		key := h[0]
		h = h[1:]
		switch key & 7 {
		case 0: // varint
			_, n := binary.Uvarint(h)
			if n <= 0 {
				return 0, 0, false, false
			}
			h = h[n:]
		case 1: // fixed64
			if len(h) < 8 {
				return 0, 0, false, false
			}
			h = h[8:]
		case 2: // bytes
			l, n := binary.Uvarint(h)
			if n <= 0 || l > uint64(len(h)-n) {
				return 0, 0, false, false
			}
			h = h[n+int(l):]
		case 5: // fixed32
			if len(h) < 4 {
				return 0, 0, false, false
			}
			if key == crcTag {
				crc, hasCRC = binary.LittleEndian.Uint32(h), true
			}
			h = h[4:]
		default:
			return 0, 0, false, false
		}
	}
	return mlen, crc, hasCRC, true
}

// skip consumes n damaged bytes, extending the pending damaged region.
func (s *Scanner) skip(n int, reason string) {
	off := s.Offset()
	if s.dmg.Length == 0 {
		s.dmg = Damage{Offset: off, Reason: reason}
	}
	s.dmg.Length += int64(n)
	s.discarded += int64(n)
	s.start += n
}

func (s *Scanner) flushDamage() {
	if s.dmg.Length == 0 {
		return
	}
	if s.opts.OnDamage != nil {
		s.opts.OnDamage(s.dmg)
	}
	s.dmg = Damage{}
}

// fill reads more bytes so that at least need bytes are buffered past start
// when the stream has them. It returns false when nothing new was read.
func (s *Scanner) fill(need int) bool {
	if s.start == s.end {
		s.base += int64(s.start)
		s.start, s.end = 0, 0
		if cap(s.buf) > 16*s.opts.ReadSize {
			s.buf = nil // drop the room a huge record needed
		}
	}
	// Room for the bytes needed and for one full read behind the data.
	want := s.end - s.start + s.opts.ReadSize
	if need > want {
		want = need
	}
	if s.start+want > cap(s.buf) {
		nb := s.buf[:cap(s.buf)]
		if want > cap(s.buf) {
			nb = make([]byte, want)
		}
		n := copy(nb, s.buf[s.start:s.end])
		s.base += int64(s.start)
		s.buf, s.start, s.end = nb, 0, n
	}
	s.buf = s.buf[:cap(s.buf)]
	got := false
	for s.end-s.start < need {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if n > 0 {
			got = true
			s.eof = false
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				s.eof = true
			} else {
				s.err = err
			}
			return got
		}
		if n == 0 {
			return got
		}
	}
	return got
}
