package hekatcp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// Name is the module's name for require.
const Name = "sightline.heka_tcp"

const (
	serverType = "sightline.heka_tcp.server"
	clientType = "sightline.heka_tcp.client"

	// pollEvery is how often a running server looks at is_running().
	pollEvery = 100 * time.Millisecond
	// batchIdle is how long a server in batch mode (run -once) waits with
	// no connection open before it returns.
	batchIdle = time.Second
	// commitEvery and commitBytes bound an output's open batch when it
	// runs without async_buffer_size: it then waits for what it sent and
	// returns 0.
	commitEvery = 5000
	commitBytes = 4 << 20
)

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: Name, Open: open, IOOnly: true})
}

func open(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("listen", L.NewFunction(luaListen))
	t.RawSetString("connect", L.NewFunction(luaConnect))

	smt := L.NewTypeMetatable(serverType)
	smt.RawSetString("__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"run": serverRun, "close": serverClose, "stats": serverStats, "address": serverAddress,
	}))
	cmt := L.NewTypeMetatable(clientType)
	cmt.RawSetString("__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"send": clientSend, "poll": clientPoll, "close": clientClose, "stats": clientStats,
	}))
	L.Push(t)
	return 1
}

// options reads a table of plugin options; errors name the key.
type options struct {
	t *lua.LTable
}

func (o options) get(key string) lua.LValue { return o.t.RawGetString(key) }

func (o options) str(key, def string) (string, error) {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return def, nil
	case lua.LString:
		return string(v), nil
	default:
		return "", fmt.Errorf("%s: want a string, got a %s", key, v.Type())
	}
}

func (o options) boolean(key string) (bool, error) {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return false, nil
	case lua.LBool:
		return bool(v), nil
	default:
		return false, fmt.Errorf("%s: want true or false, got a %s", key, v.Type())
	}
}

// integer reads a whole number in [lo, hi].
func (o options) integer(key string, def, lo, hi int) (int, error) {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return def, nil
	case lua.LNumber:
		f := float64(v)
		if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
			return 0, fmt.Errorf("%s: want a whole number from %d to %d, got %v", key, lo, hi, f)
		}
		return int(f), nil
	default:
		return 0, fmt.Errorf("%s: want a number, got a %s", key, v.Type())
	}
}

// seconds reads a positive duration in seconds.
func (o options) seconds(key string, def time.Duration) (time.Duration, error) {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return def, nil
	case lua.LNumber:
		if f := float64(v); f > 0 && f <= 86400 {
			return time.Duration(f * float64(time.Second)), nil
		}
		return 0, fmt.Errorf("%s: want seconds above 0 (at most 86400), got %v", key, float64(v))
	default:
		return 0, fmt.Errorf("%s: want a number of seconds, got a %s", key, v.Type())
	}
}

// address reads address and port.
func (o options) address(minPort int) (string, error) {
	host, err := o.str("address", "127.0.0.1")
	if err != nil {
		return "", err
	}
	port, err := o.integer("port", 5565, minPort, 65535)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// ssl reads ssl_params into a TLS configuration (nil when absent).
func (o options) ssl(server bool) (*SSLParams, error) {
	v := o.get("ssl_params")
	if v == lua.LNil {
		return nil, nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("ssl_params: want a table, got a %s", v.Type())
	}
	var p SSLParams
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		key, ok := k.(lua.LString)
		if !ok || !knownSSLKey(string(key)) {
			err = fmt.Errorf("ssl_params.%s: unknown key", lua.LVAsString(k))
			return
		}
		str := func(dst *string) {
			s, ok := v.(lua.LString)
			if !ok {
				err = fmt.Errorf("ssl_params.%s: want a string, got a %s", key, v.Type())
				return
			}
			*dst = string(s)
		}
		switch key {
		case "mode":
			str(&p.Mode)
		case "protocol":
			str(&p.Protocol)
		case "key":
			str(&p.Key)
		case "certificate":
			str(&p.Certificate)
		case "cafile":
			str(&p.CAFile)
		case "capath":
			str(&p.CAPath)
		case "password":
			str(&p.Password)
		case "server_name":
			str(&p.ServerName)
		case "verify":
			p.Verify, err = stringList("ssl_params.verify", v)
		}
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// stringList reads a string or an array of strings.
func stringList(key string, v lua.LValue) ([]string, error) {
	switch v := v.(type) {
	case lua.LString:
		return []string{string(v)}, nil
	case *lua.LTable:
		var out []string
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: want a string, got a %s", key, i, v.RawGetInt(i).Type())
			}
			out = append(out, string(s))
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s: want a string or an array of strings, got a %s", key, v.Type())
	}
}

func raise(L *lua.LState, err error) {
	L.RaiseError("heka_tcp: %s", err.Error())
}

// luaListen is heka_tcp.listen{address=, port=, ssl_params=, ack=,
// timeout=} → server.
func luaListen(L *lua.LState) int {
	o := options{L.CheckTable(1)}
	opts := ServerOptions{
		MaxMessageSize: sandbox.MaxMessageSize(L),
		Logger:         sandbox.Logger(L),
	}
	var err error
	if opts.Address, err = o.address(0); err != nil {
		raise(L, err)
	}
	if opts.Ack, err = o.boolean("ack"); err != nil {
		raise(L, err)
	}
	if opts.Timeout, err = o.seconds("timeout", DefaultTimeout); err != nil {
		raise(L, err)
	}
	p, err := o.ssl(true)
	if err != nil {
		raise(L, err)
	}
	if p != nil {
		if opts.TLS, err = p.TLSConfig(true); err != nil {
			raise(L, err)
		}
	}
	srv, err := Listen(opts)
	if err != nil {
		raise(L, fmt.Errorf("address, port: %w", err))
	}
	srv.Bind(sandbox.Context(L))
	opts.Logger.Info("listening", "address", srv.Addr().String(), "tls", opts.TLS != nil, "ack", opts.Ack)
	ud := L.NewUserData()
	ud.Value = srv
	L.SetMetatable(ud, L.GetTypeMetatable(serverType))
	L.Push(ud)
	return 1
}

func checkServer(L *lua.LState) *Server {
	if s, ok := L.CheckUserData(1).Value.(*Server); ok {
		return s
	}
	L.ArgError(1, "heka_tcp server expected")
	return nil
}

// serverRun is server:run(): it injects what the connections bring
// until is_running() turns false or the plugin is killed, then closes
// the server and injects what was already received. In batch mode (run
// -once) it also returns after batchIdle with no connection open.
func serverRun(L *lua.LState) int {
	s := checkServer(L)
	ctx := sandbox.Context(L)
	isRunning, _ := L.GetGlobal("is_running").(*lua.LFunction)
	running := func() bool {
		if isRunning == nil {
			return true
		}
		if err := L.CallByParam(lua.P{Fn: isRunning, NRet: 1, Protect: true}); err != nil {
			return false
		}
		ok := lua.LVAsBool(L.Get(-1))
		L.Pop(1)
		return ok
	}
	batch := sandbox.BatchMode(L)
	lastCheck, lastBusy := time.Now(), time.Now()
	for {
		ch, err := s.Receive(ctx, pollEvery)
		if err != nil {
			break
		}
		now := time.Now()
		if ch != nil {
			inject(L, ch)
			lastBusy = now
		}
		if ch == nil || now.Sub(lastCheck) >= pollEvery {
			if !running() {
				break
			}
			lastCheck = now
		}
		if batch && ch == nil {
			if s.open.Load() > 0 {
				lastBusy = now
			} else if now.Sub(lastBusy) >= batchIdle {
				break
			}
		}
	}
	_ = s.Close()
	// What was received already: plain senders took it as delivered.
	for {
		ch, err := s.Receive(context.Background(), 0)
		if ch == nil || err != nil {
			break
		}
		inject(L, ch)
	}
	return 0
}

// inject injects a chunk's records and releases it, asking for an
// acknowledgement once they are durable when its sender waits for one.
func inject(L *lua.LState, ch *Chunk) {
	for i := range ch.Len() {
		sandbox.Inject(L, ch.Record(i), sandbox.Checkpoint{})
	}
	var durable func(context.Context) error
	if ch.NeedsAck() {
		durable = sandbox.Durable(L)
	}
	ch.Done(durable)
}

func serverClose(L *lua.LState) int {
	_ = checkServer(L).Close()
	return 0
}

func serverAddress(L *lua.LState) int {
	L.Push(lua.LString(checkServer(L).Addr().String()))
	return 1
}

func serverStats(L *lua.LState) int {
	st := checkServer(L).Stats()
	t := L.CreateTable(0, 7)
	t.RawSetString("accepted", lua.LNumber(st.Accepted))
	t.RawSetString("open", lua.LNumber(st.Open))
	t.RawSetString("rejected", lua.LNumber(st.Rejected))
	t.RawSetString("records", lua.LNumber(st.Records))
	t.RawSetString("invalid", lua.LNumber(st.Invalid))
	t.RawSetString("damaged_bytes", lua.LNumber(st.DamagedBytes))
	t.RawSetString("acks", lua.LNumber(st.Acks))
	L.Push(t)
	return 1
}

// luaClient is an output's client and how it commits.
type luaClient struct {
	c     *Client
	drop  bool
	async bool // async_buffer_size > 0: -5 and update_checkpoint(seq)
	open  int  // batch mode: messages returned -4 since the last commit
}

// luaConnect is heka_tcp.connect{address=, port=, timeout=, ssl_params=,
// drop_message_on_error=, ack=, async_buffer_size=} → client.
func luaConnect(L *lua.LState) int {
	o := options{L.CheckTable(1)}
	opts := ClientOptions{Logger: sandbox.Logger(L)}
	var err error
	if opts.Address, err = o.address(1); err != nil {
		raise(L, err)
	}
	if opts.Timeout, err = o.seconds("timeout", DefaultTimeout); err != nil {
		raise(L, err)
	}
	if opts.Ack, err = o.boolean("ack"); err != nil {
		raise(L, err)
	}
	if opts.DropOnError, err = o.boolean("drop_message_on_error"); err != nil {
		raise(L, err)
	}
	if opts.Window, err = o.integer("async_buffer_size", 0, 0, math.MaxInt32); err != nil {
		raise(L, err)
	}
	p, err := o.ssl(false)
	if err != nil {
		raise(L, err)
	}
	if p != nil {
		if opts.TLS, err = p.TLSConfig(false); err != nil {
			raise(L, err)
		}
		if peer, _, _ := p.verifies(); !peer {
			opts.Logger.Warn(`ssl_params.verify has no "peer": the receiver's certificate is not checked`)
		}
	}
	c := NewClient(opts)
	c.Bind(sandbox.Context(L))
	ud := L.NewUserData()
	ud.Value = &luaClient{c: c, drop: opts.DropOnError, async: opts.Window > 0}
	L.SetMetatable(ud, L.GetTypeMetatable(clientType))
	L.Push(ud)
	return 1
}

func checkClient(L *lua.LState) *luaClient {
	if c, ok := L.CheckUserData(1).Value.(*luaClient); ok {
		return c
	}
	L.ArgError(1, "heka_tcp client expected")
	return nil
}

// clientSend is client:send(framed, sequence_id) → status, error, ack,
// failures: framed is a string or a zero-copy read_message("framed")
// handle. status is process_message's: -5 queued (async), -4 queued in
// the open batch, 0 batch committed, -3 retry, -2 dropped, -1 not a
// frame. ack and failures, when ack is not nil, are for
// update_checkpoint(ack, failures) (true: update_checkpoint()).
func clientSend(L *lua.LState) int {
	lc := checkClient(L)
	var fill func([]byte) ([]byte, error)
	switch v := L.Get(2).(type) {
	case lua.LString:
		fill = func(dst []byte) ([]byte, error) { return append(dst, v...), nil }
	case *lua.LUserData:
		out, ok := v.Value.(luamsg.Outputter)
		if !ok {
			L.ArgError(2, "want a string or a read_message handle")
		}
		fill = out.Output
	default:
		L.ArgError(2, "want a string or a read_message handle")
	}
	var seq uint64
	if n, ok := L.Get(3).(lua.LNumber); ok && n > 0 {
		seq = uint64(n)
	}
	ctx := sandbox.Context(L)
	err := lc.c.Append(ctx, seq, fill)
	if err != nil {
		status := -3
		switch {
		case errors.Is(err, ErrDown) && lc.drop:
			status = -2
		case errors.Is(err, ErrNotFramed):
			status = -1
		case errors.Is(err, ErrDown), errors.Is(err, ErrFull), errors.Is(err, ErrClosed), ctx.Err() != nil:
		default:
			status = -1 // the handle could not be read
		}
		L.Push(lua.LNumber(status))
		L.Push(lua.LString(err.Error()))
		return 2 + pushAck(L, lc)
	}
	if lc.async {
		L.Push(lua.LNumber(sandbox.StatusAsync))
		L.Push(lua.LNil)
		return 2 + pushAck(L, lc)
	}
	lc.open++
	if _, held := lc.c.Held(); lc.open < commitEvery && held < commitBytes {
		L.Push(lua.LNumber(sandbox.StatusBatch))
		L.Push(lua.LNil)
		return 2
	}
	if err := lc.c.Flush(ctx, lc.c.opts.Timeout); err != nil {
		// Offered again later; Append knows it has it.
		L.Push(lua.LNumber(-3))
		L.Push(lua.LString(err.Error()))
		return 2
	}
	lc.open = 0
	L.Push(lua.LNumber(0))
	L.Push(lua.LNil)
	return 2
}

// pushAck pushes the acknowledgement to commit (async mode): sequence
// id and failures, or nil and nil.
func pushAck(L *lua.LState, lc *luaClient) int {
	if seq, failures, ok := lc.c.Acked(); ok && lc.async {
		L.Push(lua.LNumber(seq))
		L.Push(lua.LNumber(failures))
		return 2
	}
	L.Push(lua.LNil)
	L.Push(lua.LNil)
	return 2
}

// clientPoll is client:poll(shutdown) → ack, failures: what to commit,
// as for send. At shutdown it first waits, up to timeout, for what is in
// flight; in batch mode an open batch is flushed and committed.
func clientPoll(L *lua.LState) int {
	lc := checkClient(L)
	shutdown := lua.LVAsBool(L.Get(2))
	ctx := sandbox.Context(L)
	var err error
	if shutdown || (!lc.async && lc.open > 0) {
		err = lc.c.Flush(ctx, lc.c.opts.Timeout)
		if err != nil && shutdown {
			lc.c.log.Warn("messages not delivered at shutdown are sent again after the restart",
				"messages", lc.c.Pending(), "err", err)
		}
	}
	if lc.async {
		return pushAck(L, lc)
	}
	if err == nil && lc.open > 0 {
		lc.open = 0
		L.Push(lua.LTrue)
		L.Push(lua.LNil)
		return 2
	}
	L.Push(lua.LNil)
	L.Push(lua.LNil)
	return 2
}

func clientClose(L *lua.LState) int {
	_ = checkClient(L).c.Close()
	return 0
}

func clientStats(L *lua.LState) int {
	st := checkClient(L).c.Stats()
	t := L.CreateTable(0, 12)
	t.RawSetString("connects", lua.LNumber(st.Connects))
	t.RawSetString("failures", lua.LNumber(st.Failures))
	t.RawSetString("batches", lua.LNumber(st.Batches))
	t.RawSetString("resent", lua.LNumber(st.Resent))
	t.RawSetString("acked", lua.LNumber(st.Acked))
	t.RawSetString("dropped", lua.LNumber(st.Dropped))
	t.RawSetString("in_flight", lua.LNumber(st.InFlight))
	t.RawSetString("buffered", lua.LNumber(st.Buffered))
	t.RawSetString("connected", lua.LBool(st.Connected))
	t.RawSetString("last_seq", lua.LNumber(st.LastSeq))
	t.RawSetString("acked_seq", lua.LNumber(st.AckedSeq))
	if st.LastErrStr != "" {
		t.RawSetString("last_error", lua.LString(st.LastErrStr))
	}
	L.Push(t)
	return 1
}
