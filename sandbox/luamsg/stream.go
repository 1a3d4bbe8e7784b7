package luamsg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sightline/sightline/message"
)

// Frame constants of the reference (spec §1.4).
const (
	// MaxHeaderSize is the largest frame overhead: 0x1e, hlen, up to 255
	// header bytes, 0x1f (LSB_MAX_HDR_SIZE).
	MaxHeaderSize = 258
	lengthKey     = 0x08     // header field 1, varint: message_length
	crcKey        = 7<<3 | 5 // header field 7, fixed32: CRC-32C (sightline)
)

// StreamReader finds Heka frames in a byte stream that an input plugin
// feeds it piece by piece: create_stream_reader (spec §4.6). It resyncs
// after damage as the reference does (§1.8): bytes before a 0x1e, a frame
// whose 0x1f or header is wrong, a length of 0 or above max_message_size, a
// CRC-32C mismatch (frames written by sightline carry one) and, when
// decoding, a message that does not decode each cost the bytes up to the
// next candidate frame, and those bytes count as consumed.
//
// At most max_message_size + MaxHeaderSize bytes are buffered. A
// StreamReader belongs to one Lua state and is not safe for concurrent use.
type StreamReader struct {
	name  string
	max   int // max_message_size
	limit int // buffer limit

	buf   []byte // buffered stream bytes are buf[start:]
	start int

	cur     []byte // current message, in buf
	view    message.View
	indexed bool // view holds cur (false when found without decoding)
	valid   bool // cur is a valid message (view holds it)
}

// DefaultMaxMessageSize is the reference's default max_message_size.
const DefaultMaxMessageSize = 64 << 10

// NewStreamReader returns a StreamReader called name (for logging) that
// accepts messages of up to maxMessageSize bytes (DefaultMaxMessageSize
// when <= 0).
func NewStreamReader(name string, maxMessageSize int) *StreamReader {
	if maxMessageSize <= 0 {
		maxMessageSize = DefaultMaxMessageSize
	}
	return &StreamReader{name: name, max: maxMessageSize, limit: maxMessageSize + MaxHeaderSize}
}

// Name returns the name given to NewStreamReader.
func (r *StreamReader) Name() string { return r.name }

// Buffered returns the number of bytes held but not yet consumed.
func (r *StreamReader) Buffered() int { return len(r.buf) - r.start }

// CurrentRaw returns the bytes of the current message: the one the last
// Find found or LoadMessage loaded, nil if none. They are valid until the
// next call to Find, Append or LoadMessage. inject_message(hsr) injects
// them unmodified.
func (r *StreamReader) CurrentRaw() []byte { return r.cur }

// View returns the current message for read_message, nil when there is
// none or it is not a valid message (a frame found without decoding).
func (r *StreamReader) View() *message.View {
	if r.cur == nil {
		return nil
	}
	if !r.indexed {
		r.indexed = true
		r.valid = r.view.Reset(r.cur) == nil
	}
	if !r.valid {
		return nil
	}
	return &r.view
}

// Append adds stream bytes to the buffer. It fails, adding nothing, when
// the buffer would then hold more than max_message_size + MaxHeaderSize
// bytes: feed at most the free space that Find reports. Append ends the
// current message.
func (r *StreamReader) Append(p []byte) error {
	r.clearCurrent()
	if r.Buffered()+len(p) > r.limit {
		return fmt.Errorf("find_message() buffer full: %d buffered + %d new bytes exceed %d",
			r.Buffered(), len(p), r.limit)
	}
	r.room(len(p))
	r.buf = append(r.buf, p...)
	return nil
}

// Fill reads once from rd into the free space of the buffer and
// returns the number of bytes read; io.EOF is not an error. It ends the
// current message.
func (r *StreamReader) Fill(rd io.Reader) (int, error) {
	r.clearCurrent()
	free := r.limit - r.Buffered()
	if free <= 0 {
		return 0, nil
	}
	r.room(free)
	n, err := rd.Read(r.buf[len(r.buf) : len(r.buf)+free])
	r.buf = r.buf[:len(r.buf)+n]
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// Free returns the number of bytes the buffer can take.
func (r *StreamReader) Free() int { return r.limit - r.Buffered() }

// room makes capacity for n more bytes after the buffered ones, moving them
// to the front of the buffer when that is enough.
func (r *StreamReader) room(n int) {
	if r.start == len(r.buf) {
		r.buf, r.start = r.buf[:0], 0
	}
	if len(r.buf)+n <= cap(r.buf) {
		return
	}
	buffered := len(r.buf) - r.start
	if buffered+n <= cap(r.buf) {
		copy(r.buf, r.buf[r.start:])
		r.buf, r.start = r.buf[:buffered], 0
		return
	}
	size := 2 * cap(r.buf)
	if size < buffered+n {
		size = buffered + n
	}
	if size > r.limit {
		size = r.limit
	}
	if size < 4096 && r.limit >= 4096 {
		size = 4096
	}
	nb := make([]byte, buffered, size)
	copy(nb, r.buf[r.start:])
	r.buf, r.start = nb, 0
}

func (r *StreamReader) clearCurrent() {
	r.cur, r.indexed, r.valid = nil, false, false
}

// LoadMessage makes raw, an unframed message, the current message, as
// hsr:decode_message does; the buffer is emptied. raw is copied. Invalid
// input is an error (ErrTooShort, or one wrapping ErrInvalidMessage), and
// then there is no current message.
func (r *StreamReader) LoadMessage(raw []byte) error {
	r.clearCurrent()
	r.buf, r.start = r.buf[:0], 0
	if len(raw) < minMessageSize {
		return ErrTooShort
	}
	r.buf = append(r.buf, raw...)
	r.start = len(r.buf)
	if err := r.view.Reset(r.buf); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	r.cur, r.indexed, r.valid = r.buf, true, true
	return nil
}

// Find looks for the next frame in the buffered bytes (spec §1.8). It
// returns whether a message was found (then it is the current message),
// the number of bytes consumed (the frame and any damaged bytes skipped
// before it, or the damaged bytes alone), and need: 0 when a message was
// found and more bytes remain buffered; otherwise the number of bytes that
// would complete the partial record at the front of the buffer, or, when
// that is not yet known, the free space of the buffer. With decode false a
// frame is returned without checking that its message decodes.
func (r *StreamReader) Find(decode bool) (found bool, consumed, need int) {
	r.clearCurrent()
	for {
		data := r.buf[r.start:]
		if len(data) == 0 {
			r.buf, r.start = r.buf[:0], 0
			return false, consumed, r.limit
		}
		i := bytes.IndexByte(data, message.RecordSeparator)
		if i < 0 {
			r.start += len(data)
			consumed += len(data)
			continue
		}
		if i > 0 {
			r.start += i
			consumed += i
			data = data[i:]
		}
		if len(data) < 2 {
			return false, consumed, r.limit - len(data)
		}
		hlen := int(data[1])
		if len(data) < hlen+3 {
			return false, consumed, r.limit - len(data)
		}
		mlen, crc, hasCRC, ok := parseHeader(data[2 : 2+hlen])
		if data[hlen+2] != message.UnitSeparator || !ok || mlen == 0 || mlen > uint64(r.max) {
			r.start++
			consumed++
			continue
		}
		total := hlen + 3 + int(mlen)
		if len(data) < total {
			return false, consumed, total - len(data)
		}
		msg := data[hlen+3 : total : total]
		if hasCRC && message.Checksum(msg) != crc {
			r.start++
			consumed++
			continue
		}
		if decode {
			if r.view.Reset(msg) != nil {
				r.start++
				consumed++
				continue
			}
			r.indexed, r.valid = true, true
		}
		r.cur = msg
		r.start += total
		consumed += total
		if r.start < len(r.buf) {
			return true, consumed, 0
		}
		return true, consumed, r.limit
	}
}

// parseHeader reads a frame header as the reference does: the first byte
// must be the message_length key, followed by its varint; later bytes are
// skipped, except that a CRC-32C (field 7, fixed32; sightline's frames
// carry one) is returned when the rest of the header parses.
func parseHeader(h []byte) (mlen uint64, crc uint32, hasCRC, ok bool) {
	if len(h) < 2 || h[0] != lengthKey {
		return 0, 0, false, false
	}
	mlen, n := binary.Uvarint(h[1:])
	if n <= 0 {
		return 0, 0, false, false
	}
	for h = h[1+n:]; len(h) > 0; {
		key := h[0]
		h = h[1:]
		switch key & 7 {
		case 0:
			_, n := binary.Uvarint(h)
			if n <= 0 {
				return mlen, 0, false, true
			}
			h = h[n:]
		case 1:
			if len(h) < 8 {
				return mlen, 0, false, true
			}
			h = h[8:]
		case 2:
			l, n := binary.Uvarint(h)
			if n <= 0 || l > uint64(len(h)-n) {
				return mlen, 0, false, true
			}
			h = h[n+int(l):]
		case 5:
			if len(h) < 4 {
				return mlen, 0, false, true
			}
			if key == crcKey {
				crc, hasCRC = binary.LittleEndian.Uint32(h), true
			}
			h = h[4:]
		default:
			return mlen, 0, false, true
		}
	}
	return mlen, crc, hasCRC, true
}
