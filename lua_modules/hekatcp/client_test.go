package hekatcp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// newClient starts a client, closed at cleanup.
func newClient(t testing.TB, opts ClientOptions) *Client {
	t.Helper()
	c := NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// sendAll appends messages from..to (sequence id = number), failing the
// test on an error.
func sendAll(t testing.TB, c *Client, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if err := c.Send(context.Background(), uint64(i), framed(i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
}

// seen counts each number the consumer got.
func seen(t testing.TB, c *consumer) map[int]int {
	m := map[int]int{}
	for _, r := range c.records() {
		m[numberOf(t, r)]++
	}
	return m
}

func ackedSeq(c *Client) uint64 { return c.Stats().AckedSeq }

// Plain mode: written is done; everything arrives in order.
func TestClientPlain(t *testing.T) {
	s := listen(t, ServerOptions{})
	con := consume(s, nil)
	defer con.stop()
	c := newClient(t, ClientOptions{Address: s.Addr().String()})
	sendAll(t, c, 1, 5000)
	must(t, c.Flush(context.Background(), 5*time.Second))
	if seq, _, ok := c.Acked(); !ok || seq != 5000 {
		t.Errorf("Acked = %d, %v; want 5000", seq, ok)
	}
	waitFor(t, 5*time.Second, "every record", func() bool { return con.count() == 5000 })
	for i, r := range con.records() {
		if n := numberOf(t, r); n != i+1 {
			t.Fatalf("record %d is message %d", i, n)
		}
	}
	if st := c.Stats(); st.Batches >= 5000/10 {
		t.Errorf("%d writes for 5000 messages: not batched", st.Batches)
	}
}

// Ack mode: nothing is done before the receiver's records are durable;
// then everything is, in one cumulative acknowledgement or more.
func TestClientAckWaitsForDurable(t *testing.T) {
	s := listen(t, ServerOptions{Ack: true})
	release := make(chan struct{})
	var waits atomic.Int64
	con := consume(s, func(ctx context.Context) error {
		waits.Add(1)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	defer con.stop()
	c := newClient(t, ClientOptions{Address: s.Addr().String(), Ack: true})
	sendAll(t, c, 1, 1000)
	waitFor(t, 5*time.Second, "the records to arrive", func() bool { return con.count() == 1000 })
	waitFor(t, 5*time.Second, "a durability wait", func() bool { return waits.Load() > 0 })
	time.Sleep(50 * time.Millisecond)
	if seq := ackedSeq(c); seq != 0 {
		t.Fatalf("acknowledged up to %d before the records were durable", seq)
	}
	close(release)
	must(t, c.Flush(context.Background(), 5*time.Second))
	if seq, _, ok := c.Acked(); !ok || seq != 1000 {
		t.Errorf("Acked = %d, %v; want 1000", seq, ok)
	}
	waitFor(t, 5*time.Second, "the server to count its acknowledgements", func() bool { return s.Stats().Acks > 0 })
	if st := s.Stats(); st.Acks > st.Records {
		t.Errorf("server stats %+v", st)
	}
}

// A receiver that cannot make records durable never acknowledges: the
// connection is closed and the client sends everything again.
func TestClientAckNotDurable(t *testing.T) {
	rec := &logRecorder{}
	s := listen(t, ServerOptions{Ack: true, Logger: slog.New(rec)})
	var fail atomic.Bool
	fail.Store(true)
	sent := make(chan struct{})
	con := consume(s, func(ctx context.Context) error {
		select {
		case <-sent:
		case <-ctx.Done():
		}
		if fail.Load() {
			return errors.New("disk on fire")
		}
		return nil
	})
	defer con.stop()
	c := newClient(t, ClientOptions{Address: s.Addr().String(), Ack: true, BackoffMin: 10 * time.Millisecond})
	sendAll(t, c, 1, 10)
	close(sent)
	waitFor(t, 5*time.Second, "the connection to fail", func() bool { return c.Stats().Failures > 0 })
	if seq := ackedSeq(c); seq != 0 {
		t.Fatalf("acknowledged up to %d", seq)
	}
	fail.Store(false)
	// Flush fails at once while the client is between connections.
	waitFor(t, 5*time.Second, "everything acknowledged", func() bool {
		return c.Flush(context.Background(), 100*time.Millisecond) == nil
	})
	// Whatever the first connection delivered came again.
	m := seen(t, con)
	for i := 1; i <= 10; i++ {
		if m[i] == 0 {
			t.Errorf("message %d missing", i)
		}
	}
	if m[1] != 2 {
		t.Errorf("message 1 seen %d times, want 2", m[1])
	}
	if rec.count("cannot acknowledge") == 0 {
		t.Errorf("no warning logged:\n%s", rec)
	}
}

// The receiver dies (its server closes) with batches unacknowledged; a
// new one comes up on the same address: the client reconnects and sends
// them again. Every message arrives at least once.
func TestClientResendAfterReconnect(t *testing.T) {
	s1 := listen(t, ServerOptions{Ack: true})
	addr := s1.Addr().String()
	// The first receiver takes the records but never makes them durable.
	hold := make(chan struct{})
	con1 := consume(s1, func(ctx context.Context) error {
		select {
		case <-hold:
		case <-ctx.Done():
		}
		return ctx.Err()
	})
	rec := &logRecorder{}
	c := newClient(t, ClientOptions{Address: addr, Ack: true, BackoffMin: 20 * time.Millisecond,
		BackoffMax: 200 * time.Millisecond, Logger: slog.New(rec)})
	sendAll(t, c, 1, 3000)
	waitFor(t, 5*time.Second, "the first receiver to get everything", func() bool { return con1.count() == 3000 })
	must(t, s1.Close())
	con1.stop()
	close(hold)

	waitFor(t, 5*time.Second, "the client to see the connection fail", func() bool { return !c.Stats().Connected })
	// Messages refused while down are the host's to offer again.
	if err := c.Send(context.Background(), 3001, framed(3001)); !errors.Is(err, ErrDown) {
		t.Errorf("send while down: %v, want ErrDown", err)
	}
	time.Sleep(300 * time.Millisecond) // a few failed attempts

	s2 := listen(t, ServerOptions{Ack: true, Address: addr})
	con2 := consume(s2, nil)
	defer con2.stop()
	waitFor(t, 5*time.Second, "a reconnection", func() bool { return c.Stats().Connected })
	sendAll(t, c, 3001, 4000)
	must(t, c.Flush(context.Background(), 5*time.Second))
	m := seen(t, con2)
	for i := 1; i <= 4000; i++ {
		if m[i] != 1 {
			t.Fatalf("message %d reached the second receiver %d times", i, m[i])
		}
	}
	st := c.Stats()
	if st.Resent != 3000 || st.AckedSeq != 4000 || st.InFlight != 0 {
		t.Errorf("client stats %+v", st)
	}
	if n := rec.count("connection lost"); n != 1 {
		t.Errorf("%d 'connection lost' logs, want 1:\n%s", n, rec)
	}
	if n := rec.count("WARN"); n != 1 {
		t.Errorf("%d warnings, want 1 (the failed attempts after it are state-less):\n%s", n, rec)
	}
	if n := rec.count("INFO connected"); n != 2 {
		t.Errorf("%d 'connected' logs, want 2:\n%s", n, rec)
	}
}

// A sender asking for acknowledgements from a receiver that does not
// give them: it never sends (no plain fallback) and says why.
func TestClientAckAgainstPlainReceiver(t *testing.T) {
	s := listen(t, ServerOptions{})
	con := consume(s, nil)
	defer con.stop()
	rec := &logRecorder{}
	c := newClient(t, ClientOptions{Address: s.Addr().String(), Ack: true, Timeout: 100 * time.Millisecond,
		BackoffMin: 10 * time.Millisecond, Logger: slog.New(rec)})
	waitFor(t, 5*time.Second, "a warning", func() bool { return rec.count("does not acknowledge") > 0 })
	err := c.Send(context.Background(), 1, framed(1))
	if !errors.Is(err, ErrDown) || !errors.Is(err, ErrNoAck) {
		t.Errorf("send: %v, want ErrDown wrapping ErrNoAck", err)
	}
	if s.Stats().DamagedBytes != 0 || con.count() != 0 {
		t.Errorf("the plain receiver saw bytes: %+v", s.Stats())
	}
}

// A plain sender (Hindsight's, or sightline's without ack) and a
// receiver offering acknowledgements: the greeting is never read, the
// stream is plain.
func TestPlainSenderAckReceiver(t *testing.T) {
	s := listen(t, ServerOptions{Ack: true})
	con := consume(s, nil)
	defer con.stop()
	c := newClient(t, ClientOptions{Address: s.Addr().String()})
	sendAll(t, c, 1, 100)
	must(t, c.Flush(context.Background(), 5*time.Second))
	waitFor(t, 5*time.Second, "every record", func() bool { return con.count() == 100 })
	if st := s.Stats(); st.Acks != 0 || st.DamagedBytes != 0 {
		t.Errorf("server stats %+v", st)
	}
}

// Connection attempts back off exponentially up to the cap, and the
// failure is logged once.
func TestClientBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	must(t, ln.Close()) // nothing listens there now
	rec := &logRecorder{}
	c := newClient(t, ClientOptions{Address: addr, BackoffMin: 10 * time.Millisecond,
		BackoffMax: 80 * time.Millisecond, Logger: slog.New(rec)})
	time.Sleep(700 * time.Millisecond)
	n := c.Stats().Failures
	// 10, 20, 40, then 80 ms (±25%): about 4 + 7 attempts in 700 ms;
	// without backoff there would be thousands, without the cap 6.
	if n < 7 || n > 16 {
		t.Errorf("%d attempts in 700 ms, want about 11", n)
	}
	if w := rec.count("WARN"); w != 1 {
		t.Errorf("%d warnings, want 1:\n%s", w, rec)
	}
	if err := c.Send(context.Background(), 1, framed(1)); !errors.Is(err, ErrDown) {
		t.Errorf("send: %v, want ErrDown", err)
	}
}

// drop_message_on_error: what was held when the connection failed is
// dropped and reported as failures; new messages are refused.
func TestClientDropOnError(t *testing.T) {
	s := listen(t, ServerOptions{Ack: true})
	hold := make(chan struct{})
	con := consume(s, func(ctx context.Context) error {
		select {
		case <-hold:
		case <-ctx.Done():
		}
		return ctx.Err()
	})
	c := newClient(t, ClientOptions{Address: s.Addr().String(), Ack: true, DropOnError: true, BackoffMin: time.Hour})
	sendAll(t, c, 1, 50)
	waitFor(t, 5*time.Second, "the records", func() bool { return con.count() == 50 })
	must(t, s.Close())
	con.stop()
	close(hold)
	waitFor(t, 5*time.Second, "the drop", func() bool { return c.Stats().Dropped == 50 })
	seq, failures, ok := c.Acked()
	if !ok || seq != 50 || failures != 50 {
		t.Errorf("Acked = %d, %d, %v; want 50, 50", seq, failures, ok)
	}
	if err := c.Send(context.Background(), 51, framed(51)); !errors.Is(err, ErrDown) {
		t.Errorf("send: %v, want ErrDown", err)
	}
	must(t, c.Flush(context.Background(), time.Second)) // nothing held
}

// The window (async_buffer_size) bounds the messages in flight: Append
// waits for room, and says so after the timeout.
func TestClientWindow(t *testing.T) {
	s := listen(t, ServerOptions{Ack: true})
	release := make(chan struct{})
	con := consume(s, func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	defer con.stop()
	c := newClient(t, ClientOptions{Address: s.Addr().String(), Ack: true, Window: 10, Timeout: 200 * time.Millisecond})
	sendAll(t, c, 1, 10)
	start := time.Now()
	err := c.Send(context.Background(), 11, framed(11))
	// At the timeout the wait for room ends (ErrFull), and the connection
	// that acknowledged nothing for as long fails (ErrDown): either may
	// come first.
	if !errors.Is(err, ErrFull) && !errors.Is(err, ErrDown) || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("11th send: %v after %v, want ErrFull or ErrDown after the timeout", err, time.Since(start))
	}
	close(release)
	// No acknowledgement for the timeout also failed the connection; the
	// next one sends the ten again, and room comes with their
	// acknowledgement.
	waitFor(t, 5*time.Second, "room", func() bool { return c.Send(context.Background(), 11, framed(11)) == nil })
	if seq := ackedSeq(c); seq < 1 {
		t.Errorf("acked %d", seq)
	}
	// A retried sequence id is not queued twice.
	must(t, c.Send(context.Background(), 11, framed(11)))
	must(t, c.Flush(context.Background(), 5*time.Second))
	m := seen(t, con)
	if len(m) != 11 || m[11] != 1 {
		t.Errorf("messages seen %v, want 1..11, 11 once", m)
	}
}

// Append refuses what is not a frame.
func TestClientNotFramed(t *testing.T) {
	s := listen(t, ServerOptions{})
	c := newClient(t, ClientOptions{Address: s.Addr().String()})
	if err := c.Send(context.Background(), 1, numbered(1)); !errors.Is(err, ErrNotFramed) {
		t.Errorf("send: %v, want ErrNotFramed", err)
	}
	if n := c.Pending(); n != 0 {
		t.Errorf("%d held", n)
	}
}
