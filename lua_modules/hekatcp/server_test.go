package hekatcp

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/sightline/sightline/message"
)

// referenceFrame frames msg as Hindsight does: no checksum.
func referenceFrame(msg []byte) []byte {
	hdr := binary.AppendUvarint([]byte{0x08}, uint64(len(msg)))
	out := append([]byte{message.RecordSeparator, byte(len(hdr))}, hdr...)
	out = append(out, message.UnitSeparator)
	return append(out, msg...)
}

// A plain stream with damage of every kind: the valid messages come
// through in order, the rest is skipped and counted.
func TestPlainStreamDamage(t *testing.T) {
	badCRC := framed(3)
	badCRC[len(badCRC)-1] ^= 0xff // payload byte changed: checksum fails
	notAMessage := message.AppendFrame(nil, []byte("checksummed, but not a Heka message"))
	oversize := make([]byte, 2000)
	copy(oversize, numbered(4))
	cases := []struct {
		name        string
		parts       [][]byte
		want        []int
		damaged     bool
		invalid     int64
		chunkSplits bool // write the stream a byte at a time
	}{
		{name: "clean", parts: [][]byte{framed(1), framed(2)}, want: []int{1, 2}},
		{name: "reference frames without checksum", parts: [][]byte{referenceFrame(numbered(1)), framed(2)}, want: []int{1, 2}},
		{name: "leading garbage", parts: [][]byte{[]byte("hello world"), framed(1)}, want: []int{1}, damaged: true},
		{name: "garbage with separators", parts: [][]byte{framed(1), []byte("x\x1e\x05junk\x1e\x1f"), framed(2)}, want: []int{1, 2}, damaged: true},
		{name: "checksum mismatch", parts: [][]byte{framed(1), badCRC, framed(2)}, want: []int{1, 2}, damaged: true},
		{name: "checksummed invalid message", parts: [][]byte{framed(1), notAMessage, framed(2)}, want: []int{1, 2}, invalid: 1},
		{name: "oversized frame", parts: [][]byte{framed(1), message.AppendFrame(nil, oversize), framed(2)}, want: []int{1, 2}, damaged: true},
		{name: "truncated at the end", parts: [][]byte{framed(1), framed(2)[:10]}, want: []int{1}, damaged: true},
		{name: "byte by byte", parts: [][]byte{framed(1), []byte("zz"), framed(2), framed(5)}, want: []int{1, 2, 5}, damaged: true, chunkSplits: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := listen(t, ServerOptions{MaxMessageSize: 1024})
			c := consume(s, nil)
			defer c.stop()
			nc, err := net.Dial("tcp", s.Addr().String())
			must(t, err)
			data := bytes.Join(tc.parts, nil)
			if tc.chunkSplits {
				for i := range data {
					_, err = nc.Write(data[i : i+1])
					must(t, err)
				}
			} else {
				_, err = nc.Write(data)
				must(t, err)
			}
			must(t, nc.Close())
			waitFor(t, 5*time.Second, "the connection to end", func() bool {
				st := s.Stats()
				return st.Accepted == 1 && st.Open == 0 && c.count() == int(st.Records)
			})
			var got []int
			for _, r := range c.records() {
				got = append(got, numberOf(t, r))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got messages %v, want %v", got, tc.want)
			}
			st := s.Stats()
			if (st.DamagedBytes > 0) != tc.damaged {
				t.Errorf("damaged bytes %d, want damage: %v", st.DamagedBytes, tc.damaged)
			}
			if st.Invalid != tc.invalid {
				t.Errorf("invalid %d, want %d", st.Invalid, tc.invalid)
			}
		})
	}
}

// Records reach the consumer while the connection stays open: nothing
// waits for more bytes.
func TestRecordsNotHeldBack(t *testing.T) {
	s := listen(t, ServerOptions{})
	c := consume(s, nil)
	defer c.stop()
	nc, err := net.Dial("tcp", s.Addr().String())
	must(t, err)
	defer nc.Close()
	for i := 1; i <= 3; i++ {
		_, err := nc.Write(framed(i))
		must(t, err)
		waitFor(t, 5*time.Second, "the record", func() bool { return c.count() == i })
	}
}

// Many connections at once, each a stream of numbered messages: all
// arrive, each connection's in order.
func TestManyConnections(t *testing.T) {
	s := listen(t, ServerOptions{})
	c := consume(s, nil)
	defer c.stop()
	const conns, per = 8, 2000
	errs := make(chan error, conns)
	for k := range conns {
		go func() {
			nc, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			var buf []byte
			for i := range per {
				buf = append(buf, framed(k*per+i)...)
			}
			_, err = nc.Write(buf)
			if cerr := nc.Close(); err == nil {
				err = cerr
			}
			errs <- err
		}()
	}
	for range conns {
		must(t, <-errs)
	}
	waitFor(t, 10*time.Second, "every record", func() bool { return c.count() == conns*per })
	last := make([]int, conns)
	for i := range last {
		last[i] = -1
	}
	for _, r := range c.records() {
		n := numberOf(t, r)
		k := n / per
		if n <= last[k] {
			t.Fatalf("connection %d: %d after %d", k, n, last[k])
		}
		last[k] = n
	}
}

// Close ends every connection and the accept loop promptly, with a
// client still connected and a consumer no longer reading.
func TestCloseWithBlockedConnections(t *testing.T) {
	s, err := Listen(ServerOptions{Address: "127.0.0.1:0"})
	must(t, err)
	nc, err := net.Dial("tcp", s.Addr().String())
	must(t, err)
	defer nc.Close()
	go func() {
		// Enough to fill the chunk queue: the connection blocks.
		for i := 0; ; i++ {
			if _, err := nc.Write(bytes.Repeat(framed(i), 200)); err != nil {
				return
			}
		}
	}()
	waitFor(t, 5*time.Second, "the chunk queue to fill", func() bool { return len(s.chunks) == chunkQueue })
	start := time.Now()
	must(t, s.Close())
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	n := 0
	for {
		ch, err := s.Receive(t.Context(), 0)
		if err != nil {
			break
		}
		if ch != nil {
			n++
			ch.Done(nil)
		}
	}
	if n != chunkQueue {
		t.Errorf("%d chunks left after Close, want %d", n, chunkQueue)
	}
	if _, err := nc.Read(make([]byte, 1)); err != io.EOF && err == nil {
		t.Errorf("connection still open: %v", err)
	}
}

// A header announcing a message far over max_message_size is damage at
// once: the server neither waits for nor buffers its bytes, so the
// frame behind it arrives while the connection stays open.
func TestHugeLengthNotBuffered(t *testing.T) {
	s := listen(t, ServerOptions{MaxMessageSize: 1024})
	c := consume(s, nil)
	defer c.stop()
	nc, err := net.Dial("tcp", s.Addr().String())
	must(t, err)
	defer nc.Close()
	hdr := binary.AppendUvarint([]byte{0x08}, 50<<20)
	hdr = append(hdr, 0x3d, 1, 2, 3, 4) // a checksum field
	huge := append([]byte{message.RecordSeparator, byte(len(hdr))}, hdr...)
	huge = append(huge, message.UnitSeparator)
	_, err = nc.Write(append(huge, framed(2)...))
	must(t, err)
	waitFor(t, 5*time.Second, "the frame behind the huge header", func() bool { return c.count() == 1 })
	if n := numberOf(t, c.records()[0]); n != 2 {
		t.Errorf("got message %d", n)
	}
	if s.Stats().DamagedBytes == 0 {
		t.Errorf("no damage reported")
	}
}
