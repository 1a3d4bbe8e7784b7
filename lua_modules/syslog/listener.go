package syslog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// ListenerModuleName is the Go module behind the syslog input plugin.
const ListenerModuleName = "sightline.syslog"

const listenerType = "sightline.syslog.listener"

// Listener defaults and limits.
const (
	DefaultAddress  = "127.0.0.1"
	DefaultPort     = 514
	DefaultProtocol = "udp"
	// DefaultMaxConnections is max_connections' default: TCP connections
	// over it are closed at once.
	DefaultMaxConnections = 1024
	// DefaultBatchIdle is batch_idle's default: under run -once the
	// listener returns after this long without a record.
	DefaultBatchIdle = 2 * time.Second

	queueLen     = 256                    // records read and not yet injected
	batchLen     = 128                    // records injected per protected call
	pollInterval = 50 * time.Millisecond  // how often is_running is asked
	maxUDP       = 65536                  // larger than any UDP payload
	tcpBuf       = 64 << 10               // bufio size of a TCP connection
	maxLenDigits = 10                     // octet-counting length digits
	oversizeKeep = 256                    // bytes of an oversized record kept for the report
	acceptPause  = 100 * time.Millisecond // after an Accept error
)

// Options configure a Listener; the Lua plugin passes its config keys.
type Options struct {
	Address  string // "*" for every interface
	Port     int
	Protocol string // "udp", "tcp" or "both"
	// MaxSize is the longest record accepted (the plugin's
	// max_message_size); longer ones are reported and skipped.
	MaxSize        int
	MaxConnections int
	// SendDecodeFailures injects error.decode messages for records that
	// do not decode or are too long.
	SendDecodeFailures bool
	// BatchIdle, under run -once, is how long without a record ends Run.
	BatchIdle time.Duration
}

// record is one syslog record read from a socket.
type record struct {
	data     []byte
	from     netip.AddrPort
	proto    string
	oversize int // > 0: the record was this long (or longer) and dropped; data holds its start
}

// Listener reads syslog records from UDP and TCP sockets on goroutines of
// its own and hands them to the plugin's goroutine, which decodes and
// injects them in Run.
type Listener struct {
	opts Options
	log  *slog.Logger
	dec  decoder.Decoder
	tmpl message.Message // default headers

	udp net.PacketConn
	tcp net.Listener

	recs chan record
	quit chan struct{} // closed by Close: readers drop what they hold and return
	wg   sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	close    sync.Once
	accepted atomic.Int64
	refused  atomic.Int64

	// Owned by the plugin's goroutine.
	m       message.Message
	errMsg  message.Message
	batch   []record
	next    int
	fn      *lua.LFunction
	running *lua.LFunction
	stats   Stats
}

// Stats count what a Listener did.
type Stats struct {
	Received       int64 // records read
	Injected       int64 // messages injected (decode failures reported included)
	DecodeFailures int64 // records that did not decode
	Oversized      int64 // records over the size limit, skipped
	InjectFailures int64 // messages the sandbox refused (too large, ...)
	Connections    int64 // TCP connections accepted
	Refused        int64 // TCP connections closed at once (max_connections)
}

// Listen opens the sockets of opts. dec decodes every record onto a copy
// of headers; log receives reports of skipped records.
func Listen(opts Options, dec decoder.Decoder, headers *message.Message, log *slog.Logger) (*Listener, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = 64 << 10
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host := opts.Address
	if host == "*" {
		host = ""
	}
	addr := net.JoinHostPort(host, strconv.Itoa(opts.Port))
	l := &Listener{opts: opts, log: log, dec: dec, recs: make(chan record, queueLen),
		quit: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	if headers != nil {
		l.tmpl = *headers
	}
	var err error
	if opts.Protocol == "udp" || opts.Protocol == "both" {
		if l.udp, err = net.ListenPacket("udp", addr); err != nil {
			return nil, fmt.Errorf("listen udp %s: %w", addr, err)
		}
	}
	if opts.Protocol == "tcp" || opts.Protocol == "both" {
		if l.tcp, err = net.Listen("tcp", addr); err != nil {
			if l.udp != nil {
				_ = l.udp.Close()
			}
			return nil, fmt.Errorf("listen tcp %s: %w", addr, err)
		}
	}
	if l.udp == nil && l.tcp == nil {
		return nil, fmt.Errorf("protocol must be \"udp\", \"tcp\" or \"both\", not %q", opts.Protocol)
	}
	if l.udp != nil {
		l.wg.Add(1)
		go l.readUDP()
	}
	if l.tcp != nil {
		l.wg.Add(1)
		go l.accept()
	}
	return l, nil
}

// UDPAddr and TCPAddr return the bound addresses (nil when not listening).
func (l *Listener) UDPAddr() net.Addr {
	if l.udp == nil {
		return nil
	}
	return l.udp.LocalAddr()
}

// TCPAddr returns the bound TCP address, nil when not listening on TCP.
func (l *Listener) TCPAddr() net.Addr {
	if l.tcp == nil {
		return nil
	}
	return l.tcp.Addr()
}

// Stats returns the counters; call it on the plugin's goroutine.
func (l *Listener) Stats() Stats {
	st := l.stats
	st.Connections, st.Refused = l.accepted.Load(), l.refused.Load()
	return st
}

// Close stops reading: the sockets are closed and every goroutine of l
// has returned when it returns. Records read and not yet injected stay
// queued for Drain. Safe to call twice.
func (l *Listener) Close() {
	l.close.Do(func() {
		close(l.quit)
		if l.udp != nil {
			_ = l.udp.Close()
		}
		if l.tcp != nil {
			_ = l.tcp.Close()
		}
		l.mu.Lock()
		for c := range l.conns {
			_ = c.Close()
		}
		l.mu.Unlock()
	})
	l.wg.Wait()
}

// send queues a record for the plugin's goroutine; false once closed.
func (l *Listener) send(r record) bool {
	select {
	case l.recs <- r:
		return true
	case <-l.quit:
		return false
	}
}

func (l *Listener) closed() bool {
	select {
	case <-l.quit:
		return true
	default:
		return false
	}
}

func (l *Listener) readUDP() {
	defer l.wg.Done()
	buf := make([]byte, maxUDP)
	for {
		n, addr, err := l.udp.(*net.UDPConn).ReadFromUDPAddrPort(buf)
		if err != nil {
			if l.closed() {
				return
			}
			l.log.Warn("syslog: udp read", "err", err)
			continue
		}
		r := record{from: addr, proto: "udp"}
		if n > l.opts.MaxSize {
			r.oversize, r.data = n, append([]byte(nil), buf[:min(n, oversizeKeep)]...)
		} else {
			r.data = append([]byte(nil), trimEOL(buf[:n])...)
			if len(r.data) == 0 {
				continue
			}
		}
		if !l.send(r) {
			return
		}
	}
}

func (l *Listener) accept() {
	defer l.wg.Done()
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			if l.closed() {
				return
			}
			l.log.Warn("syslog: tcp accept", "err", err)
			select {
			case <-l.quit:
				return
			case <-time.After(acceptPause):
			}
			continue
		}
		l.mu.Lock()
		if len(l.conns) >= l.opts.MaxConnections || l.closed() {
			l.mu.Unlock()
			l.refused.Add(1)
			l.log.Warn("syslog: too many tcp connections, closing one", "from", c.RemoteAddr().String(), "max_connections", l.opts.MaxConnections)
			_ = c.Close()
			continue
		}
		l.conns[c] = struct{}{}
		l.accepted.Add(1)
		l.wg.Add(1)
		l.mu.Unlock()
		go l.serveConn(c)
	}
}

// serveConn reads the records of one TCP connection, each framed by its
// octet count ("<len> <record>") or ended by a line feed (RFC 6587).
func (l *Listener) serveConn(c net.Conn) {
	defer l.wg.Done()
	defer func() {
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
		_ = c.Close()
	}()
	var from netip.AddrPort
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		from = a.AddrPort()
	}
	br := bufio.NewReaderSize(c, tcpBuf)
	for {
		r, err := l.readFrame(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !l.closed() {
				l.log.Warn("syslog: tcp read", "from", from.String(), "err", err)
			}
			return
		}
		if r.oversize == 0 && len(r.data) == 0 {
			continue
		}
		r.from, r.proto = from, "tcp"
		if !l.send(r) {
			return
		}
	}
}

// readFrame reads the next record of a TCP stream.
func (l *Listener) readFrame(br *bufio.Reader) (record, error) {
	if n, ok, err := octetCount(br); err != nil {
		return record{}, err
	} else if ok {
		if n > l.opts.MaxSize {
			head := make([]byte, min(n, oversizeKeep))
			if _, err := io.ReadFull(br, head); err != nil {
				return record{}, err
			}
			if _, err := br.Discard(n - len(head)); err != nil {
				return record{}, err
			}
			return record{oversize: n, data: head}, nil
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(br, data); err != nil {
			return record{}, fmt.Errorf("octet-counted record of %d bytes cut short: %w", n, err)
		}
		return record{data: trimEOL(data)}, nil
	}
	var line []byte
	total, ended := 0, false // bytes read, and whether a line feed ended them
	for {
		chunk, err := br.ReadSlice('\n')
		total += len(chunk)
		if len(line) <= l.opts.MaxSize+2 {
			line = append(line, chunk...)
		}
		if err == nil {
			ended = true
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && total > 0 {
			break // the last record may lack its line feed
		}
		return record{}, err
	}
	if total > len(line) { // not kept whole: over the limit
		size := total
		if ended {
			size--
		}
		return record{oversize: size, data: line[:min(len(line), oversizeKeep)]}, nil
	}
	data := trimEOL(line)
	if len(data) > l.opts.MaxSize {
		return record{oversize: len(data), data: data[:min(len(data), oversizeKeep)]}, nil
	}
	return record{data: data}, nil
}

// octetCount reads an octet-counting length ("123 ") if the stream is at
// one: a digit 1-9, up to ten digits, then a space.
func octetCount(br *bufio.Reader) (int, bool, error) {
	b, err := br.Peek(1)
	if err != nil {
		return 0, false, err
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false, nil
	}
	b, _ = br.Peek(maxLenDigits + 1)
	n := 0
	for i, c := range b {
		if c == ' ' && i > 0 {
			if _, err := br.Discard(i + 1); err != nil {
				return 0, false, err
			}
			return n, true, nil
		}
		if c < '0' || c > '9' {
			return 0, false, nil
		}
		n = n*10 + int(c-'0')
	}
	return 0, false, nil
}

// trimEOL removes one trailing line feed, and a carriage return before it.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// Run decodes and injects records until the plugin is stopped (its
// is_running() turns false or its context ends) or, under run -once, no
// record came for BatchIdle. It must be called on the plugin's goroutine,
// from inside process_message. Before returning it closes the sockets and
// injects what was read.
func (l *Listener) Run(L *lua.LState) {
	if l.closed() {
		return // a listener runs once
	}
	ctx := sandbox.Context(L)
	batch := sandbox.BatchMode(L)
	if f, ok := L.GetGlobal("is_running").(*lua.LFunction); ok {
		l.running = f
	}
	l.fn = L.NewFunction(l.injectBatch)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case r := <-l.recs:
			l.batch = append(l.batch[:0], r)
			l.fill()
			l.inject(L)
			last = time.Now()
		case <-tick.C:
		case <-ctx.Done():
			l.Close()
			return
		}
		if !l.isRunning(L) || batch && time.Since(last) >= l.opts.BatchIdle {
			break
		}
	}
	l.Close()
	for {
		l.batch = l.batch[:0]
		l.fill()
		if len(l.batch) == 0 || ctx.Err() != nil {
			return
		}
		l.inject(L)
	}
}

// fill adds queued records to the batch, without waiting.
func (l *Listener) fill() {
	for len(l.batch) < batchLen {
		select {
		case r := <-l.recs:
			l.batch = append(l.batch, r)
		default:
			return
		}
	}
}

func (l *Listener) isRunning(L *lua.LState) bool {
	if l.running == nil {
		return true
	}
	if err := L.CallByParam(lua.P{Fn: l.running, NRet: 1, Protect: true}); err != nil {
		return false
	}
	v := L.Get(-1)
	L.Pop(1)
	return lua.LVAsBool(v)
}

// inject injects the batch, in protected calls: a message the sandbox
// refuses is reported and skipped.
func (l *Listener) inject(L *lua.LState) {
	for l.next = 0; l.next < len(l.batch); {
		err := L.CallByParam(lua.P{Fn: l.fn, NRet: 0, Protect: true})
		if err == nil {
			break
		}
		r := &l.batch[l.next]
		l.stats.InjectFailures++
		l.log.Warn("syslog: record not injected", "from", r.from.String(), "proto", r.proto, "bytes", len(r.data), "err", err.Error())
		l.next++
		if sandbox.Context(L).Err() != nil {
			return
		}
	}
	l.batch = l.batch[:0]
}

// injectBatch decodes and injects l.batch[l.next:]; l.next is the record
// in hand when an injection raises an error.
func (l *Listener) injectBatch(L *lua.LState) int {
	for ; l.next < len(l.batch); l.next++ {
		r := &l.batch[l.next]
		switch {
		case r.oversize > 0:
			l.stats.Oversized++
			l.log.Warn("syslog: record over max_message_size, skipped", "from", r.from.String(), "proto", r.proto,
				"bytes", r.oversize, "max_message_size", l.opts.MaxSize)
			if l.opts.SendDecodeFailures {
				l.sendFailure(L, r, fmt.Sprintf("record of %d bytes exceeds max_message_size %d", r.oversize, l.opts.MaxSize))
			}
		default:
			l.stats.Received++
			l.decode(L, r)
		}
	}
	return 0
}

func (l *Listener) decode(L *lua.LState, r *record) {
	m := &l.m
	fields := m.Fields[:0]
	*m = l.tmpl
	m.Fields = append(fields, l.tmpl.Fields...)
	m.Fields = append(m.Fields,
		message.Field{Name: "sender_ip", Strings: []string{r.from.Addr().Unmap().String()}},
		message.Field{Name: "sender_port", Type: message.ValueInteger, Integers: []int64{int64(r.from.Port())}})
	if err := l.dec.Decode(r.data, m); err != nil {
		l.stats.DecodeFailures++
		if l.opts.SendDecodeFailures {
			l.sendFailure(L, r, err.Error())
		}
		return
	}
	sandbox.InjectMessage(L, m, sandbox.Checkpoint{})
	l.stats.Injected++
}

// sendFailure injects {Type="error.decode", Payload=reason,
// Fields={data=..., sender_ip=..., sender_port=...}}.
func (l *Listener) sendFailure(L *lua.LState, r *record, reason string) {
	m := &l.errMsg
	m.Reset()
	m.SetType("error.decode")
	m.SetPayload(reason)
	m.Fields = append(m.Fields,
		message.Field{Name: "data", Strings: []string{string(r.data)}},
		message.Field{Name: "sender_ip", Strings: []string{r.from.Addr().Unmap().String()}},
		message.Field{Name: "sender_port", Type: message.ValueInteger, Integers: []int64{int64(r.from.Port())}})
	sandbox.InjectMessage(L, m, sandbox.Checkpoint{})
	l.stats.Injected++
}

// HeadersFromTable converts a default_headers table to the message every
// record starts from: the headers and fields the table gives, nothing
// else (the sandbox adds Logger, Hostname, Pid, Uuid and Timestamp at
// injection when the decoder leaves them unset).
func HeadersFromTable(L *lua.LState, t *lua.LTable) (message.Message, error) {
	var m message.Message
	if t == nil {
		m.Reset()
		return m, nil
	}
	c := L.NewTable()
	t.ForEach(func(k, v lua.LValue) { c.RawSet(k, v) })
	if err := luamsg.NewEncoder(luamsg.Headers{}).ToMessage(c, &m); err != nil {
		return m, err
	}
	for _, h := range [...]struct {
		key string
		bit message.HeaderSet
	}{{"Logger", message.HasLogger}, {"Hostname", message.HasHostname}, {"Pid", message.HasPid}} {
		if t.RawGetString(h.key) == lua.LNil {
			m.Has &^= h.bit
		}
	}
	m.Logger, m.Hostname = ifHas(m, message.HasLogger, m.Logger), ifHas(m, message.HasHostname, m.Hostname)
	if m.Has&message.HasPid == 0 {
		m.Pid = 0
	}
	if t.RawGetString("Uuid") == lua.LNil {
		m.Uuid = [16]byte{}
	}
	if _, ok := t.RawGetString("Timestamp").(lua.LNumber); !ok {
		if _, ok := t.RawGetString("Timestamp").(lua.LString); !ok {
			m.Timestamp = 0
		}
	}
	return m, nil
}

func ifHas(m message.Message, bit message.HeaderSet, s string) string {
	if m.Has&bit == 0 {
		return ""
	}
	return s
}
