package hekatcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/sightline/sightline/message"
)

// Errors of Client.Append and Client.Flush.
var (
	// ErrDown means the client is not connected; errors wrap it with the
	// last connection error.
	ErrDown = errors.New("hekatcp: not connected")
	// ErrFull means the messages in flight stayed at the limit (window or
	// bytes) for the whole timeout: no acknowledgement came.
	ErrFull = errors.New("hekatcp: too much unacknowledged")
	// ErrNotFramed reports data given to Append that is not a Heka frame
	// (read_message("framed") gives one).
	ErrNotFramed = errors.New("hekatcp: not a framed message")
)

// Defaults of ClientOptions.
const (
	DefaultBatchSize   = 256 << 10
	DefaultMaxBuffered = 32 << 20
	DefaultBackoffMin  = 100 * time.Millisecond
	DefaultBackoffMax  = 10 * time.Second
)

// ClientOptions configure a Client. The zero value of each field but
// Address is a working default.
type ClientOptions struct {
	// Address is the receiver's host:port.
	Address string
	// TLS, when set, makes the connection TLS.
	TLS *tls.Config
	// Ack asks the receiver for acknowledgements: a message is done only
	// once the receiver has it durably in its queue. Without it a message
	// is done once written to the socket.
	Ack bool
	// Timeout bounds a connection attempt (TCP, TLS, greeting), each
	// write, the wait for an acknowledgement, and Append's wait for room.
	// Default 10 s.
	Timeout time.Duration
	// DropOnError drops the messages held when the connection fails, and
	// refuses new ones while it is down, instead of keeping them.
	DropOnError bool
	// Window is the most messages in flight (appended, not done), counted
	// in sequence ids: async_buffer_size. 0: no limit but MaxBuffered.
	Window int
	// MaxBuffered bounds the bytes held (written unacknowledged, and not
	// yet written). Default 32 MiB.
	MaxBuffered int
	// BatchSize is the size from which appended frames are written as one
	// batch (one write; a batch of the acknowledgement protocol). Default
	// 256 KiB.
	BatchSize int
	// BackoffMin and BackoffMax bound the wait between connection
	// attempts, doubled after each failure. Defaults 100 ms and 10 s.
	BackoffMin, BackoffMax time.Duration
	// Logger receives connection state changes. Default: discard.
	Logger *slog.Logger
}

func (o *ClientOptions) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBuffered <= 0 {
		o.MaxBuffered = DefaultMaxBuffered
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = DefaultBackoffMin
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffMin)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// ClientStats are a Client's counters.
type ClientStats struct {
	Connects   int64 // connections established
	Failures   int64 // connection attempts or connections that failed
	Batches    int64 // batches written (resent ones included)
	Resent     int64 // messages written again after a reconnection
	Acked      int64 // messages done (acknowledged, or written in plain mode)
	Dropped    int64 // messages dropped (DropOnError)
	InFlight   int   // messages held now
	Buffered   int   // bytes held now
	Connected  bool
	LastSeq    uint64 // highest sequence id appended
	AckedSeq   uint64 // every sequence id up to this one is done
	LastErrStr string // the last connection error, "" when none
}

type clientState int

const (
	stateConnecting clientState = iota
	stateUp
	stateDown
)

// batch is a run of frames written together: buf holds room for a batch
// header, then the frames.
type batch struct {
	buf  []byte
	n    int       // messages
	last uint64    // highest sequence id
	conn uint64    // batch number on the current connection
	sent time.Time // when written on the current connection; zero before

	writing bool // the writer is writing buf
	done    bool // acknowledged (or written, or dropped)
}

// Client sends Heka frames to one receiver over one connection, which
// its own goroutine establishes and re-establishes with exponential
// backoff. Append queues a frame under the plugin's sequence id and
// returns at once; frames are written in batches; Acked reports up to
// which sequence id messages are done. Everything not done is kept and
// sent again after a reconnection (at least once).
type Client struct {
	opts   ClientOptions
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // cap 1: the writer has work
	stop   func() bool   // ends the context.AfterFunc of Bind, if any

	mu       sync.Mutex // guards everything below
	cur      *batch     // being filled by Append
	queued   []*batch   // sealed, not yet written on this connection
	unacked  []*batch   // written on this connection (or being written), not done
	free     [][]byte
	msgs     int    // messages in cur, queued, unacked
	buffered int    // bytes of those
	lastSeq  uint64 // highest sequence id appended
	acked    uint64 // every sequence id up to this one is done
	reported uint64 // acked as of the last Acked
	failed   int    // dropped since the last Acked
	state    clientState
	lastErr  error
	attempts int    // failed attempts since the last connection
	nextConn uint64 // last batch number given on this connection
	changed  chan struct{}
	closed   bool
	stats    ClientStats
}

// NewClient starts a Client; it connects in the background.
func NewClient(opts ClientOptions) *Client {
	opts.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		opts: opts, log: opts.Logger.With("address", opts.Address),
		ctx: ctx, cancel: cancel,
		wake:    make(chan struct{}, 1),
		changed: make(chan struct{}),
	}
	c.wg.Add(1)
	go c.run()
	return c
}

// Bind closes the client when ctx ends (the plugin's Context).
func (c *Client) Bind(ctx context.Context) {
	c.stop = context.AfterFunc(ctx, func() { _ = c.Close() })
}

// Close stops the client's goroutines and closes its connection. What
// was not done is forgotten: the plugin did not commit it, so it is
// offered again after a restart. Close is safe to call twice.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.notifyLocked()
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	if c.stop != nil {
		c.stop()
	}
	return nil
}

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stats
	st.InFlight, st.Buffered = c.msgs, c.buffered
	st.Connected = c.state == stateUp
	st.LastSeq, st.AckedSeq = c.lastSeq, c.acked
	if c.lastErr != nil {
		st.LastErrStr = c.lastErr.Error()
	}
	return st
}

// notifyLocked wakes everyone waiting for a change of state or of acked.
func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitLocked releases the lock until a change, ctx's end or the
// deadline; it reports false when the deadline passed or ctx ended.
func (c *Client) waitLocked(ctx context.Context, deadline time.Time) bool {
	ch := c.changed
	c.mu.Unlock()
	defer c.mu.Lock()
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (c *Client) downErrLocked() error {
	if c.lastErr == nil {
		return ErrDown
	}
	return fmt.Errorf("%w: %w", ErrDown, c.lastErr)
}

// Append queues one frame for sequence id seq (increasing; the same id
// again, a retried message, is taken as already queued). fill appends
// the frame to dst and returns the extended slice (a zero-copy
// read_message("framed") handle's Output). It waits, up to Timeout, for
// a connection attempt in progress and for room (Window, MaxBuffered).
// Errors: ErrDown (wrapped) while not connected, ErrFull, ErrNotFramed,
// ErrClosed, fill's error, ctx's.
func (c *Client) Append(ctx context.Context, seq uint64, fill func(dst []byte) ([]byte, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq != 0 && seq <= c.lastSeq {
		return nil
	}
	deadline := time.Now().Add(c.opts.Timeout)
	for {
		if c.closed {
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch c.state {
		case stateDown:
			return c.downErrLocked()
		case stateConnecting:
			if !c.waitLocked(ctx, deadline) {
				if c.state != stateUp {
					return c.downErrLocked()
				}
			}
			continue
		}
		if !c.roomLocked(seq) {
			if !c.waitLocked(ctx, deadline) && !c.roomLocked(seq) && c.state == stateUp {
				return fmt.Errorf("%w: %d messages (%d bytes) waiting for acknowledgement for %v",
					ErrFull, c.msgs, c.buffered, c.opts.Timeout)
			}
			continue
		}
		break
	}
	if c.cur == nil {
		c.cur = c.newBatchLocked()
	}
	b := c.cur
	old := len(b.buf)
	buf, err := fill(b.buf) // b.buf keeps its length until the frame is taken
	if err != nil {
		return err
	}
	if len(buf) == old || buf[old] != message.RecordSeparator {
		return ErrNotFramed
	}
	b.buf = buf
	b.n++
	b.last = seq
	c.msgs++
	c.buffered += len(buf) - old
	c.lastSeq = seq
	if len(b.buf)-batchHeaderSize >= c.opts.BatchSize {
		c.queued = append(c.queued, b)
		c.cur = nil
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// Send is Append for a frame already in hand.
func (c *Client) Send(ctx context.Context, seq uint64, frame []byte) error {
	return c.Append(ctx, seq, func(dst []byte) ([]byte, error) { return append(dst, frame...), nil })
}

// roomLocked reports whether message seq may be appended now.
func (c *Client) roomLocked(seq uint64) bool {
	if c.msgs == 0 {
		return true
	}
	if c.buffered >= c.opts.MaxBuffered {
		return false
	}
	// The output's ring counts every sequence id since the last one
	// acknowledged: seq-1-acked are in flight before this one.
	return c.opts.Window <= 0 || seq == 0 || seq-1-c.acked < uint64(c.opts.Window)
}

func (c *Client) newBatchLocked() *batch {
	var buf []byte
	if n := len(c.free); n > 0 {
		buf, c.free = c.free[n-1][:batchHeaderSize], c.free[:n-1]
	} else {
		buf = make([]byte, batchHeaderSize, c.opts.BatchSize+batchHeaderSize+4096)
	}
	return &batch{buf: buf}
}

// doneLocked records that batch b is done (acknowledged or written).
func (c *Client) doneLocked(b *batch) {
	c.msgs -= b.n
	c.buffered -= len(b.buf) - batchHeaderSize
	c.stats.Acked += int64(b.n)
	if b.last > c.acked {
		c.acked = b.last
	}
	b.done = true
	if !b.writing {
		c.recycleLocked(b)
	}
}

// recycleLocked keeps a done batch's buffer for a later batch. The
// writer's buffer is recycled only after its Write returned: the
// acknowledgement of a batch may arrive before that.
func (c *Client) recycleLocked(b *batch) {
	if cap(b.buf) <= 2*(c.opts.BatchSize+batchHeaderSize+4096) && len(c.free) < 8 {
		c.free = append(c.free, b.buf)
	}
	b.buf = nil
}

// Acked returns the sequence id up to which every message is done and
// how many were dropped since the last call; ok is false when neither
// changed since then.
func (c *Client) Acked() (seq uint64, failures int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.acked == c.reported && c.failed == 0 {
		return 0, 0, false
	}
	c.reported = c.acked
	failures, c.failed = c.failed, 0
	return c.acked, failures, true
}

// Pending returns the number of messages held (not done).
func (c *Client) Pending() int {
	n, _ := c.Held()
	return n
}

// Held returns the messages held (not done) and their bytes.
func (c *Client) Held() (msgs, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs, c.buffered
}

// Flush writes what is queued and waits, up to timeout, until every
// message appended is done. It returns at once with ErrDown (wrapped)
// while not connected, unless DropOnError dropped everything.
func (c *Client) Flush(ctx context.Context, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.n > 0 {
		c.queued = append(c.queued, c.cur)
		c.cur = nil
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	deadline := time.Now().Add(timeout)
	for c.msgs > 0 {
		if c.closed {
			return ErrClosed
		}
		if c.state == stateDown {
			return c.downErrLocked()
		}
		if !c.waitLocked(ctx, deadline) && c.msgs > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("%w: %d messages not done after %v", ErrFull, c.msgs, timeout)
		}
	}
	return nil
}

// run connects, serves the connection until it fails, and reconnects
// after a backoff, until Close.
func (c *Client) run() {
	defer c.wg.Done()
	backoff := c.opts.BackoffMin
	for {
		c.mu.Lock()
		if c.state != stateConnecting {
			c.state = stateConnecting
			c.notifyLocked()
		}
		c.mu.Unlock()
		nc, err := c.dial()
		if err == nil {
			began := time.Now()
			err = c.serve(nc)
			if time.Since(began) >= time.Second {
				backoff = c.opts.BackoffMin // it worked for a while
			}
		}
		if c.ctx.Err() != nil {
			return
		}
		c.down(err, backoff)
		// Jitter of ±25% keeps a fleet of senders from reconnecting in step.
		d := backoff/2 + rand.N(backoff/2+1) + backoff/4
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, c.opts.BackoffMax)
	}
}

// dial connects, shakes hands (TLS) and, with Ack, exchanges greetings.
func (c *Client) dial() (net.Conn, error) {
	d := net.Dialer{Timeout: c.opts.Timeout, KeepAlive: 15 * time.Second}
	nc, err := d.DialContext(c.ctx, "tcp", c.opts.Address)
	if err != nil {
		return nil, err
	}
	if c.opts.TLS != nil {
		tc := tls.Client(nc, c.opts.TLS)
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.Timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc = tc
	}
	if !c.opts.Ack {
		return nc, nil
	}
	// A TLS server that refuses our certificate says so on the first read.
	_ = nc.SetReadDeadline(time.Now().Add(c.opts.Timeout))
	var greet [len(hello)]byte
	if _, err := io.ReadFull(nc, greet[:]); err != nil {
		_ = nc.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("%w: no greeting within %v", ErrNoAck, c.opts.Timeout)
		}
		return nil, fmt.Errorf("waiting for the greeting: %w", err)
	}
	if string(greet[:]) != hello {
		_ = nc.Close()
		return nil, fmt.Errorf("%w: greeting %q", ErrNoAck, greet[:])
	}
	_ = nc.SetReadDeadline(time.Time{})
	_ = nc.SetWriteDeadline(time.Now().Add(c.opts.Timeout))
	if _, err := io.WriteString(nc, hello); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return nc, nil
}

// down records a failed attempt or a lost connection, logging the
// change of state once.
func (c *Client) down(err error, backoff time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	wasUp := c.state == stateUp
	c.state = stateDown
	c.lastErr = err
	c.attempts++
	c.stats.Failures++
	// Everything held goes back to the queue, to be sent first on the
	// next connection.
	c.queued = append(c.unacked, c.queued...)
	c.unacked = nil
	for _, b := range c.queued {
		b.sent = time.Time{}
	}
	dropped := 0
	if c.opts.DropOnError && c.msgs > 0 {
		if c.cur != nil {
			c.queued = append(c.queued, c.cur)
			c.cur = nil
		}
		for _, b := range c.queued {
			dropped += b.n
			c.doneLocked(b)
		}
		c.stats.Acked -= int64(dropped)
		c.stats.Dropped += int64(dropped)
		c.failed += dropped
		c.queued = nil
	}
	c.notifyLocked()
	switch {
	case wasUp:
		c.log.Warn("connection lost; reconnecting", "err", err, "held", c.msgs, "dropped", dropped)
	case c.attempts == 1:
		c.log.Warn("cannot connect; retrying with backoff (logged again once connected)",
			"err", err, "backoff_max", c.opts.BackoffMax, "held", c.msgs, "dropped", dropped)
	default:
		c.log.Debug("connection attempt failed", "err", err, "attempt", c.attempts, "next_in", backoff)
	}
}

// serve writes on connection nc until it fails or the client closes:
// first everything held from before, then what Append queues. With Ack,
// a reader goroutine takes the acknowledgements.
func (c *Client) serve(nc net.Conn) error {
	c.mu.Lock()
	c.nextConn = 0
	held := c.msgs
	c.state = stateUp
	c.stats.Connects++
	if c.attempts > 0 || c.stats.Connects > 1 {
		c.log.Info("connected", "failed_attempts", c.attempts, "resending", held)
	} else {
		c.log.Info("connected", "acknowledged", c.opts.Ack)
	}
	c.attempts = 0
	c.lastErr = nil
	resend := held > 0
	c.notifyLocked()
	c.mu.Unlock()

	// The reader takes the acknowledgements; in plain mode it notices a
	// receiver that closed the connection or refused our TLS certificate
	// (TLS 1.3 tells after the handshake), so no write goes into the void.
	dead := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(dead)
		if c.opts.Ack {
			readErr = c.readAcks(nc)
		} else {
			readErr = discard(nc)
		}
	}()
	defer func() {
		_ = nc.Close()
		wg.Wait()
	}()
	for {
		b, first := c.next(dead)
		if b == nil {
			if c.ctx.Err() != nil {
				return c.ctx.Err()
			}
			<-dead
			return readErr
		}
		if resend && first {
			c.mu.Lock()
			c.stats.Resent += int64(b.n)
			c.mu.Unlock()
		}
		var err error
		_ = nc.SetWriteDeadline(time.Now().Add(c.opts.Timeout))
		buf := b.buf // b.writing: kept until the write returns
		if c.opts.Ack {
			putBatchHeader(buf, b.conn, len(buf)-batchHeaderSize)
			_, err = nc.Write(buf)
		} else {
			_, err = nc.Write(buf[batchHeaderSize:])
		}
		c.mu.Lock()
		c.stats.Batches++
		b.writing = false
		if err == nil && !c.opts.Ack {
			// Plain mode: written is done. b is the oldest written.
			c.unacked = c.unacked[1:]
			c.doneLocked(b)
			c.notifyLocked()
		} else if b.done {
			c.recycleLocked(b)
		}
		c.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// next waits for the next batch to write and moves it to unacked with
// the next batch number. It returns nil when the client closes or dead
// is closed. first reports a batch held from a previous connection.
func (c *Client) next(dead <-chan struct{}) (b *batch, first bool) {
	for {
		c.mu.Lock()
		switch {
		case len(c.queued) > 0:
			b = c.queued[0]
			c.queued[0] = nil
			c.queued = c.queued[1:]
			first = b.conn != 0
		case c.cur != nil && c.cur.n > 0:
			b, c.cur = c.cur, nil
		}
		if b != nil {
			c.nextConn++
			b.conn = c.nextConn
			b.sent = time.Now()
			b.writing = true
			c.unacked = append(c.unacked, b)
			c.mu.Unlock()
			return b, first
		}
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-dead:
			return nil, false
		case <-c.ctx.Done():
			return nil, false
		}
	}
}

// readAcks reads acknowledgements until the connection fails, marking
// the batches they cover done. No acknowledgement for Timeout while a
// batch waits for one fails the connection.
func (c *Client) readAcks(nc net.Conn) error {
	var buf [ackSize]byte
	got := 0
	for {
		_ = nc.SetReadDeadline(time.Now().Add(c.opts.Timeout))
		n, err := nc.Read(buf[got:])
		got += n
		if got == ackSize {
			got = 0
			seq, err := parseAck(buf[:])
			if err != nil {
				return err
			}
			if err := c.ack(seq); err != nil {
				return err
			}
		}
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.mu.Lock()
			stale := len(c.unacked) > 0 && time.Since(c.unacked[0].sent) >= c.opts.Timeout
			c.mu.Unlock()
			if !stale {
				continue
			}
			return fmt.Errorf("no acknowledgement within %v", c.opts.Timeout)
		}
		return err
	}
}

// discard reads and drops what a plain receiver sends (a greeting when
// it offers acknowledgements; nothing from the reference) until the
// connection ends.
func discard(nc net.Conn) error {
	var buf [512]byte
	for {
		if _, err := nc.Read(buf[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the receiver closed the connection")
			}
			return err
		}
	}
}

// ack marks every batch up to number seq of this connection done.
func (c *Client) ack(seq uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq > c.nextConn {
		return fmt.Errorf("%w: acknowledgement of batch %d, only %d sent", ErrProtocol, seq, c.nextConn)
	}
	i := 0
	for ; i < len(c.unacked) && c.unacked[i].conn <= seq; i++ {
		c.doneLocked(c.unacked[i])
		c.unacked[i] = nil
	}
	if i > 0 {
		c.unacked = c.unacked[i:]
		c.notifyLocked()
	}
	return nil
}
