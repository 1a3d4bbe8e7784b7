package hekatcp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sightline/sightline/message"
)

// ErrClosed is returned by a Server or Client used after Close.
var ErrClosed = errors.New("hekatcp: closed")

// Defaults of the options.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultMaxMessageSize = 64 << 10
)

// Sizes of the receiving side; together they bound a connection's memory
// to about readSize + max_message_size + chunkBytes + readBuffer.
const (
	readSize   = 64 << 10  // the scanner's reads
	readBuffer = 16 << 10  // bufio, for the greeting and batch headers
	chunkBytes = 128 << 10 // records handed over at once
	chunkQueue = 4         // chunks waiting for the plugin, all connections
)

// ServerOptions configure a Server. The zero value of each field but
// Address is a working default.
type ServerOptions struct {
	// Address is the host:port to listen on.
	Address string
	// TLS, when set, makes every connection TLS (see SSLParams.TLSConfig).
	TLS *tls.Config
	// Ack offers acknowledgements: connections that ask for them get
	// them; the others are plain Heka streams.
	Ack bool
	// MaxMessageSize is the longest message accepted; longer frames are
	// skipped and reported. Default 64 KiB.
	MaxMessageSize int
	// Timeout bounds a TLS handshake and each write of the greeting or an
	// acknowledgement. Default 10 s.
	Timeout time.Duration
	// Logger receives connection events and damage reports. Default:
	// discard.
	Logger *slog.Logger
}

// ServerStats are a Server's counters since Listen.
type ServerStats struct {
	Accepted     int64 // connections accepted
	Open         int64 // connections open now
	Rejected     int64 // TLS handshakes that failed (a client without a required certificate)
	Records      int64 // records handed to the plugin
	Invalid      int64 // frames whose message does not decode, skipped
	DamagedBytes int64 // bytes skipped as damage (garbage, bad checksums, oversized frames)
	Acks         int64 // acknowledgements sent
}

// Server accepts Heka framed streams and hands the records found to one
// consumer (the plugin's goroutine) in chunks: Receive, inject each
// record, then Chunk.Done with the function telling when they are durable.
type Server struct {
	opts   ServerOptions
	ln     net.Listener
	log    *slog.Logger
	chunks chan *Chunk
	done   chan struct{} // closed by Close
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and every connection's goroutines
	once   sync.Once
	stop   func() bool // ends the context.AfterFunc of Bind, if any
	pool   sync.Pool   // *Chunk
	timer  *time.Timer // Receive's; used by the consumer only

	mu     sync.Mutex // guards conns and closed
	conns  map[*conn]struct{}
	closed bool

	accepted, open, rejected, records, invalid, damaged, acks atomic.Int64
}

// Listen starts a Server on opts.Address.
func Listen(opts ServerOptions) (*Server, error) {
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", opts.Address)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts: opts, ln: ln, log: opts.Logger,
		chunks: make(chan *Chunk, chunkQueue),
		done:   make(chan struct{}),
		ctx:    ctx, cancel: cancel,
		conns: map[*conn]struct{}{},
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Bind closes the server when ctx ends (the plugin's Context).
func (s *Server) Bind(ctx context.Context) {
	s.stop = context.AfterFunc(ctx, func() { _ = s.Close() })
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stats returns the server's counters.
func (s *Server) Stats() ServerStats {
	return ServerStats{
		Accepted: s.accepted.Load(), Open: s.open.Load(), Rejected: s.rejected.Load(),
		Records: s.records.Load(), Invalid: s.invalid.Load(), DamagedBytes: s.damaged.Load(),
		Acks: s.acks.Load(),
	}
}

// Close stops listening, closes every connection and waits for the
// server's goroutines. Chunks already received stay available to
// Receive. Records read but not yet in a chunk are lost (in plain mode
// the sender took them as delivered; an acknowledging sender sends them
// again). Close is safe to call twice.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			_ = c.nc.Close()
		}
		s.mu.Unlock()
		close(s.done)
		s.cancel()
		err = s.ln.Close()
		s.wg.Wait()
		if s.stop != nil {
			s.stop()
		}
	})
	return err
}

// Receive returns the next chunk of records, waiting up to wait; nil
// when none came. After Close it returns the chunks still queued, then
// ErrClosed; when ctx ends, ctx's error. It is for one goroutine.
func (s *Server) Receive(ctx context.Context, wait time.Duration) (*Chunk, error) {
	select {
	case ch := <-s.chunks:
		return ch, nil
	default:
	}
	if s.timer == nil {
		s.timer = time.NewTimer(wait)
	} else {
		s.timer.Reset(wait)
	}
	defer s.timer.Stop()
	select {
	case ch := <-s.chunks:
		return ch, nil
	case <-s.timer.C:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		select {
		case ch := <-s.chunks:
			return ch, nil
		default:
			return nil, ErrClosed
		}
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	delay := 5 * time.Millisecond
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			// Out of file descriptors and the like: wait and go on.
			s.log.Warn("accept failed", "address", s.opts.Address, "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-s.done:
				return
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		if s.opts.TLS != nil {
			nc = tls.Server(nc, s.opts.TLS)
		}
		c := &conn{s: s, nc: nc, peer: nc.RemoteAddr().String(), ackNote: make(chan struct{}, 1)}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.accepted.Add(1)
		s.open.Add(1)
		go c.serve()
	}
}

func (s *Server) getChunk(c *conn) *Chunk {
	ch, _ := s.pool.Get().(*Chunk)
	if ch == nil {
		ch = &Chunk{s: s}
	}
	ch.c, ch.ack = c, 0
	ch.data, ch.ends = ch.data[:0], ch.ends[:0]
	return ch
}

// Chunk is a run of records from one connection, in order.
type Chunk struct {
	s    *Server
	c    *conn
	data []byte
	ends []int  // end offset in data of each record
	ack  uint64 // > 0: the last chunk of batch ack of an acknowledging connection
}

// Len returns the number of records.
func (ch *Chunk) Len() int { return len(ch.ends) }

// Record returns record i (an encoded message, unframed), valid until
// Done.
func (ch *Chunk) Record(i int) []byte {
	start := 0
	if i > 0 {
		start = ch.ends[i-1]
	}
	return ch.data[start:ch.ends[i]]
}

// NeedsAck reports whether the chunk ends a batch its sender waits to
// have acknowledged: Done must then be given the function that tells
// when the chunk's records (and every record handed on before them) are
// durable.
func (ch *Chunk) NeedsAck() bool { return ch.ack > 0 }

// Done releases the chunk after its records were handed on. For a chunk
// that NeedsAck, durable (sandbox.Durable's function) is waited for on
// the connection's own goroutine, then the batch is acknowledged; nil
// there means the records could not be handed on, and the batch is not
// acknowledged (the connection is closed, its sender sends it again).
func (ch *Chunk) Done(durable func(context.Context) error) {
	ch.s.records.Add(int64(len(ch.ends)))
	if ch.ack > 0 {
		ch.c.ackAfter(ch.ack, durable)
	}
	ch.c = nil
	if cap(ch.data) <= 4*chunkBytes {
		ch.s.pool.Put(ch)
	}
}

// conn is one accepted connection. Its serve goroutine reads; on an
// acknowledging connection its acker goroutine writes acknowledgements.
type conn struct {
	s    *Server
	nc   net.Conn
	peer string
	br   *bufio.Reader
	cur  *Chunk // being filled, owned by serve
	eof  bool   // the peer closed its side

	mu      sync.Mutex // guards ackSeq, ackWait
	ackSeq  uint64
	ackWait func(context.Context) error
	ackNote chan struct{} // cap 1: ackSeq changed

	records, invalid, damaged int64 // owned by serve
	damageLogged              bool
}

func (c *conn) serve() {
	s := c.s
	defer s.wg.Done()
	defer func() {
		_ = c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.open.Add(-1)
	}()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	log := s.log.With("peer", c.peer)

	if tc, ok := c.nc.(*tls.Conn); ok {
		hctx, hcancel := context.WithTimeout(ctx, s.opts.Timeout)
		err := tc.HandshakeContext(hctx)
		hcancel()
		if err != nil {
			s.rejected.Add(1)
			log.Warn("TLS handshake failed, connection refused", "err", err)
			return
		}
	}
	if s.opts.Ack {
		_ = c.nc.SetWriteDeadline(time.Now().Add(s.opts.Timeout))
		if _, err := io.WriteString(c.nc, hello); err != nil {
			log.Debug("greeting not sent", "err", err)
			return
		}
	}
	c.br = bufio.NewReaderSize(feedReader{c}, readBuffer)
	acking := false
	if s.opts.Ack {
		b, err := c.br.Peek(1)
		if err != nil {
			log.Debug("connection closed before any data", "err", err)
			return
		}
		if b[0] != message.RecordSeparator {
			if p, _ := c.br.Peek(len(hello)); string(p) == hello {
				_, _ = c.br.Discard(len(hello))
				acking = true
			}
		}
	}
	log.Debug("connection accepted", "acknowledged", acking)

	var err error
	if acking {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.acker(ctx, log)
		}()
		err = c.readBatches()
		cancel()
		_ = c.nc.Close()
		wg.Wait()
	} else {
		err = c.readStream()
	}
	select {
	case <-s.done:
		err = nil // our Close
	default:
	}
	if errors.Is(err, ErrProtocol) {
		log.Warn("connection closed", "err", err, "records", c.records, "invalid", c.invalid, "damaged_bytes", c.damaged)
		return
	}
	log.Debug("connection closed", "err", err, "records", c.records, "invalid", c.invalid, "damaged_bytes", c.damaged)
}

func (c *conn) scanner(r io.Reader) *message.Scanner {
	return message.NewScanner(r, message.ScanOptions{
		MaxMessageSize: c.s.opts.MaxMessageSize,
		Validate:       message.Validate,
		OnDamage:       c.damage,
		ReadSize:       readSize,
		DropOversize:   true,
	})
}

// readStream reads a plain Heka stream to its end.
func (c *conn) readStream() error {
	sc := c.scanner(c.br)
	for {
		for sc.Next() {
			if err := c.add(sc); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
		if c.eof {
			break
		}
	}
	sc.Finish()
	for sc.Next() {
		if err := c.add(sc); err != nil {
			return err
		}
	}
	return c.deliver(0)
}

// readBatches reads the batches of an acknowledging connection, handing
// each batch's last chunk on with its number.
func (c *conn) readBatches() error {
	body := &batchReader{r: c.br}
	sc := c.scanner(body)
	var hdr [batchHeaderSize]byte
	for seq := uint64(1); ; seq++ {
		if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return c.deliver(0)
			}
			return err
		}
		n, err := parseBatchHeader(hdr[:], seq)
		if err != nil {
			return err
		}
		// The scanner reads the batch to its end (the body reader then
		// returns no more bytes) or fails.
		body.remain = n
		for {
			for sc.Next() {
				if err := c.add(sc); err != nil {
					return err
				}
			}
			if err := sc.Err(); err != nil {
				return err
			}
			if body.remain == 0 {
				break
			}
		}
		if sc.Buffered() > 0 {
			return fmt.Errorf("%w: batch %d ends inside a frame", ErrProtocol, seq)
		}
		if err := c.deliver(seq); err != nil {
			return err
		}
	}
}

// add copies the scanner's current record into the chunk being filled,
// skipping a message that does not decode.
func (c *conn) add(sc *message.Scanner) error {
	msg := sc.Message()
	if sc.Checked() { // frames without a checksum were validated by the scanner
		if err := message.Validate(msg); err != nil {
			c.invalid++
			c.s.invalid.Add(1)
			if c.invalid == 1 {
				off, _ := sc.Frame()
				c.s.log.Warn("invalid message skipped (further ones on this connection are only counted)",
					"peer", c.peer, "offset", off, "err", err)
			}
			return nil
		}
	}
	if c.cur == nil {
		c.cur = c.s.getChunk(c)
	}
	c.cur.data = append(c.cur.data, msg...)
	c.cur.ends = append(c.cur.ends, len(c.cur.data))
	c.records++
	if len(c.cur.data) >= chunkBytes {
		return c.deliver(0)
	}
	return nil
}

// deliver hands the chunk being filled to the consumer; ack > 0 marks
// it as the end of batch ack (sent even when empty).
func (c *conn) deliver(ack uint64) error {
	ch := c.cur
	if ch == nil {
		if ack == 0 {
			return nil
		}
		ch = c.s.getChunk(c)
	}
	c.cur = nil
	ch.ack = ack
	select {
	case c.s.chunks <- ch:
		return nil
	case <-c.s.done:
		return ErrClosed
	}
}

func (c *conn) damage(d message.Damage) {
	c.damaged += d.Length
	c.s.damaged.Add(d.Length)
	if !c.damageLogged {
		c.damageLogged = true
		c.s.log.Warn("damaged data skipped (further damage on this connection is only counted)",
			"peer", c.peer, "offset", d.Offset, "bytes", d.Length, "reason", d.Reason)
	}
}

// ackAfter asks the acker to acknowledge batch seq once durable
// returns. Acknowledgements are cumulative: a later request replaces one
// not yet served.
func (c *conn) ackAfter(seq uint64, durable func(context.Context) error) {
	c.mu.Lock()
	c.ackSeq, c.ackWait = seq, durable
	if durable == nil {
		c.ackWait = func(context.Context) error { return errors.New("records not handed on") }
	}
	c.mu.Unlock()
	select {
	case c.ackNote <- struct{}{}:
	default:
	}
}

// acker waits for the records of each batch to be durable, then
// acknowledges it. A failure closes the connection: the sender sends
// what it did not see acknowledged again.
func (c *conn) acker(ctx context.Context, log *slog.Logger) {
	buf := make([]byte, 0, ackSize)
	for {
		select {
		case <-c.ackNote:
		case <-ctx.Done():
			return
		}
		c.mu.Lock()
		seq, wait := c.ackSeq, c.ackWait
		c.ackWait = nil
		c.mu.Unlock()
		if wait == nil {
			continue
		}
		if err := wait(ctx); err != nil {
			if ctx.Err() == nil {
				log.Warn("cannot acknowledge, closing the connection", "batch", seq, "err", err)
				_ = c.nc.Close()
			}
			return
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.opts.Timeout))
		if _, err := c.nc.Write(appendAck(buf[:0], seq)); err != nil {
			log.Debug("acknowledgement not sent", "batch", seq, "err", err)
			_ = c.nc.Close()
			return
		}
		c.s.acks.Add(1)
	}
}

// feedReader reads the connection for the bufio.Reader, first handing
// on the records gathered so far: a chunk is delivered whenever reading
// might block, so records never wait for more bytes to arrive.
type feedReader struct{ c *conn }

func (f feedReader) Read(p []byte) (int, error) {
	if ch := f.c.cur; ch != nil && len(ch.ends) > 0 {
		if err := f.c.deliver(0); err != nil {
			return 0, err
		}
	}
	n, err := f.c.nc.Read(p)
	if errors.Is(err, io.EOF) {
		f.c.eof = true
	}
	return n, err
}
