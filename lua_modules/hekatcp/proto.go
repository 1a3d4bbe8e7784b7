package hekatcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sightline/sightline/message"
)

// The acknowledgement protocol's bytes (see the package documentation).
const (
	// hello is the receiver's greeting and the sender's request for
	// acknowledgements. Its first byte is not a record separator, so a
	// receiver tells a request from a plain sender's first frame by one
	// byte.
	hello = "sightline-ack 1\n"

	batchKind = 'B' // sender → receiver: a batch of frames
	ackKind   = 'A' // receiver → sender: batches acknowledged

	// batchHeaderSize is a batch header's length: kind, sequence number
	// (uint64, big-endian), payload length (uint32, big-endian).
	batchHeaderSize = 1 + 8 + 4
	// ackSize is an acknowledgement's length: kind, sequence number.
	ackSize = 1 + 8

	// maxBatchPayload bounds a batch's payload: a batch holds at least one
	// frame, and a frame is at most message.HardCap long. The payload is
	// read as a stream, never held whole.
	maxBatchPayload = message.HardCap + 1<<20
)

// Protocol errors.
var (
	// ErrProtocol reports bytes that break the acknowledgement protocol:
	// a batch header or an acknowledgement that does not parse, or a
	// sequence number out of order. The connection is closed.
	ErrProtocol = errors.New("hekatcp: protocol violation")

	// ErrNoAck reports a receiver that did not greet a sender asking for
	// acknowledgements: it runs in plain Heka mode (ack is not set on its
	// heka_tcp input) or is not sightline.
	ErrNoAck = errors.New("hekatcp: the receiver does not acknowledge (is ack = true set on its heka_tcp input?)")
)

// putBatchHeader writes a batch header into b[:batchHeaderSize].
func putBatchHeader(b []byte, seq uint64, n int) {
	b[0] = batchKind
	binary.BigEndian.PutUint64(b[1:9], seq)
	binary.BigEndian.PutUint32(b[9:13], uint32(n))
}

// parseBatchHeader reads a batch header; want is the sequence number
// the batch must carry.
func parseBatchHeader(b []byte, want uint64) (n int, err error) {
	if b[0] != batchKind {
		return 0, fmt.Errorf("%w: batch header starts with %#02x", ErrProtocol, b[0])
	}
	if seq := binary.BigEndian.Uint64(b[1:9]); seq != want {
		return 0, fmt.Errorf("%w: batch %d, want %d", ErrProtocol, seq, want)
	}
	n = int(binary.BigEndian.Uint32(b[9:13]))
	if n > maxBatchPayload {
		return 0, fmt.Errorf("%w: batch of %d bytes", ErrProtocol, n)
	}
	return n, nil
}

// appendAck appends an acknowledgement of every batch up to seq.
func appendAck(dst []byte, seq uint64) []byte {
	dst = append(dst, ackKind)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// parseAck reads an acknowledgement (ackSize bytes).
func parseAck(b []byte) (uint64, error) {
	if b[0] != ackKind {
		return 0, fmt.Errorf("%w: acknowledgement starts with %#02x", ErrProtocol, b[0])
	}
	return binary.BigEndian.Uint64(b[1:ackSize]), nil
}

// batchReader reads the payload of the current batch from r and returns
// (0, nil) at its end, so a message.Scanner reading it stops there
// without seeing the next batch header.
type batchReader struct {
	r      io.Reader
	remain int
}

func (b *batchReader) Read(p []byte) (int, error) {
	if b.remain == 0 {
		return 0, nil
	}
	if len(p) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.r.Read(p)
	b.remain -= n
	if errors.Is(err, io.EOF) && b.remain > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
