package hekatcp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// rawAckConn speaks the acknowledgement protocol by hand.
type rawAckConn struct {
	t  testing.TB
	nc net.Conn
}

func dialAck(t testing.TB, s *Server) *rawAckConn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	must(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	var greet [len(hello)]byte
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadFull(nc, greet[:])
	must(t, err)
	if string(greet[:]) != hello {
		t.Fatalf("greeting %q", greet)
	}
	_, err = nc.Write([]byte(hello))
	must(t, err)
	return &rawAckConn{t: t, nc: nc}
}

func (r *rawAckConn) batch(seq uint64, payload []byte) {
	r.t.Helper()
	hdr := make([]byte, batchHeaderSize)
	putBatchHeader(hdr, seq, len(payload))
	_, err := r.nc.Write(append(hdr, payload...))
	must(r.t, err)
}

// ack reads one acknowledgement; an error when the connection ends.
func (r *rawAckConn) ack() (uint64, error) {
	var buf [ackSize]byte
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(r.nc, buf[:]); err != nil {
		return 0, err
	}
	return parseAck(buf[:])
}

// The bytes on the wire, as the package documentation gives them.
func TestWireFormat(t *testing.T) {
	if len(hello) != 16 || hello[0] == 0x1e {
		t.Errorf("greeting %q", hello)
	}
	hdr := make([]byte, batchHeaderSize)
	putBatchHeader(hdr, 258, 70000)
	if got, want := hex.EncodeToString(hdr), "42"+"0000000000000102"+"00011170"; got != want {
		t.Errorf("batch header %s, want %s", got, want)
	}
	if n, err := parseBatchHeader(hdr, 258); err != nil || n != 70000 {
		t.Errorf("parse: %d, %v", n, err)
	}
	if _, err := parseBatchHeader(hdr, 257); !errors.Is(err, ErrProtocol) {
		t.Errorf("out of sequence: %v", err)
	}
	hdr[0] = 'X'
	if _, err := parseBatchHeader(hdr, 258); !errors.Is(err, ErrProtocol) {
		t.Errorf("bad kind: %v", err)
	}
	putBatchHeader(hdr, 1, maxBatchPayload+1)
	if _, err := parseBatchHeader(hdr, 1); !errors.Is(err, ErrProtocol) {
		t.Errorf("huge batch: %v", err)
	}
	ack := appendAck(nil, 258)
	if got, want := hex.EncodeToString(ack), "41"+"0000000000000102"; got != want {
		t.Errorf("ack %s, want %s", got, want)
	}
	if seq, err := parseAck(ack); err != nil || seq != 258 {
		t.Errorf("parse ack: %d, %v", seq, err)
	}
}

// The receiver's side of the protocol, driven by hand: batches are
// acknowledged, empty and damaged ones too; out-of-sequence batches and
// batches ending inside a frame close the connection.
func TestReceiverProtocol(t *testing.T) {
	s := listen(t, ServerOptions{Ack: true})
	con := consume(s, nil)
	defer con.stop()

	r := dialAck(t, s)
	r.batch(1, bytes.Join([][]byte{framed(1), framed(2)}, nil))
	if seq, err := r.ack(); err != nil || seq != 1 {
		t.Fatalf("ack %d, %v; want 1", seq, err)
	}
	r.batch(2, nil) // empty
	if seq, err := r.ack(); err != nil || seq != 2 {
		t.Fatalf("ack %d, %v; want 2", seq, err)
	}
	r.batch(3, bytes.Join([][]byte{[]byte("garbage"), framed(3)}, nil))
	if seq, err := r.ack(); err != nil || seq != 3 {
		t.Fatalf("ack %d, %v; want 3", seq, err)
	}
	if n := con.count(); n != 3 {
		t.Errorf("%d records, want 3", n)
	}

	for name, send := range map[string]func(r *rawAckConn){
		"out of sequence":     func(r *rawAckConn) { r.batch(2, framed(9)) },
		"ends inside a frame": func(r *rawAckConn) { f := framed(9); r.batch(1, f[:len(f)-3]); r.batch(2, f[len(f)-3:]) },
		"not a batch":         func(r *rawAckConn) { _, _ = r.nc.Write([]byte("GET / HTTP/1.0\r\n\r\n")) },
	} {
		r := dialAck(t, s)
		send(r)
		if seq, err := r.ack(); err == nil {
			t.Errorf("%s: acknowledged %d, want the connection closed", name, seq)
		}
	}
}

// A client receiving nonsense instead of acknowledgements drops the
// connection and reconnects.
func TestClientProtocolViolation(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_, _ = nc.Write([]byte(hello))
		buf := make([]byte, 4096)
		_, _ = io.ReadAtLeast(nc, buf, len(hello)+batchHeaderSize)
		_, _ = nc.Write(appendAck(nil, 7)) // batch 7 was never sent
		_, _ = io.Copy(io.Discard, nc)
	}()
	c := newClient(t, ClientOptions{Address: ln.Addr().String(), Ack: true, BackoffMin: time.Hour})
	sendAll(t, c, 1, 1)
	waitFor(t, 5*time.Second, "the failure", func() bool { return c.Stats().Failures > 0 })
	if e := c.Stats().LastErrStr; !bytes.Contains([]byte(e), []byte("acknowledgement of batch 7")) {
		t.Errorf("error %q", e)
	}
	if c.Pending() != 1 {
		t.Errorf("message not kept")
	}
	must(t, c.Close())
	<-done
}
