package httpout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox"
)

// ModuleName is what plugins require.
const ModuleName = "sightline.http"

const (
	clientType = "sightline.http.client"
	batchType  = "sightline.http.batch"
)

// failureLogEvery is how often a failure that goes on is logged again.
const failureLogEvery = time.Minute

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: ModuleName, Open: openModule, IOOnly: true})
}

func openModule(L *lua.LState) int {
	mt := L.NewTypeMetatable(clientType)
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"bulk":  luaBulk,
		"post":  luaPost,
		"url":   luaURL,
		"close": luaClientClose,
	}))
	mt = L.NewTypeMetatable(batchType)
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"add":     luaBatchAdd,
		"count":   luaBatchCount,
		"size":    luaBatchSize,
		"reset":   luaBatchReset,
		"discard": luaBatchDiscard,
		"close":   luaBatchClose,
	}))
	L.Push(L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"client": luaClient,
		"batch":  luaBatch,
	}))
	return 1
}

// luaHTTPClient is the Value of a client userdata.
type luaHTTPClient struct {
	c   *Client
	log *slog.Logger

	failures int       // failed requests in a row
	lastLog  time.Time // of a failure
}

// luaClient is http.client(cfg).
func luaClient(L *lua.LState) int {
	cfg := L.CheckTable(1)
	opts, err := clientOptions(cfg)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	c, err := NewClient(opts)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	// Idle connections go when the plugin does.
	context.AfterFunc(sandbox.Context(L), c.Close)
	ud := L.NewUserData()
	ud.Value = &luaHTTPClient{c: c, log: sandbox.Logger(L)}
	ud.Metatable = L.GetTypeMetatable(clientType)
	L.Push(ud)
	return 1
}

// clientOptions reads a client's config table: url, or address and port
// (https when ssl_params is set); timeout (seconds); ssl_params (LuaSec
// names); username and password; headers.
func clientOptions(cfg *lua.LTable) (ClientOptions, error) {
	var o ClientOptions
	str := func(k string) (string, error) {
		switch v := cfg.RawGetString(k).(type) {
		case *lua.LNilType:
			return "", nil
		case lua.LString:
			return string(v), nil
		default:
			return "", fmt.Errorf("%s: want a string, got %s", k, v.Type())
		}
	}
	var err error
	if o.URL, err = str("url"); err != nil {
		return o, err
	}
	ssl := cfg.RawGetString("ssl_params")
	if o.URL == "" {
		addr, err := str("address")
		if err != nil {
			return o, err
		}
		if addr == "" {
			addr = "127.0.0.1"
		}
		port := 9200
		switch v := cfg.RawGetString("port").(type) {
		case *lua.LNilType:
		case lua.LNumber:
			if v < 1 || v > 65535 || float64(v) != math.Trunc(float64(v)) {
				return o, fmt.Errorf("port: %v is not a port number", v)
			}
			port = int(v)
		default:
			return o, fmt.Errorf("port: want a number, got %s", v.Type())
		}
		scheme := "http"
		if ssl != lua.LNil && ssl != lua.LFalse {
			scheme = "https"
		}
		o.URL = scheme + "://" + net.JoinHostPort(addr, strconv.Itoa(port))
	}
	switch v := cfg.RawGetString("timeout").(type) {
	case *lua.LNilType:
	case lua.LNumber:
		if v <= 0 || v > 86400 {
			return o, fmt.Errorf("timeout: %v seconds is not in (0, 86400]", v)
		}
		o.Timeout = time.Duration(float64(v) * float64(time.Second))
	default:
		return o, fmt.Errorf("timeout: want a number of seconds, got %s", v.Type())
	}
	if t, ok := ssl.(*lua.LTable); ok {
		to, err := tlsOptions(t)
		if err != nil {
			return o, fmt.Errorf("ssl_params.%w", err)
		}
		if o.TLS, err = to.TLSConfig(); err != nil {
			return o, fmt.Errorf("ssl_params.%w", err)
		}
	} else if ssl != lua.LNil && ssl != lua.LFalse {
		return o, fmt.Errorf("ssl_params: want a table, got %s", ssl.Type())
	}
	if o.Username, err = str("username"); err != nil {
		return o, err
	}
	if o.Password, err = str("password"); err != nil {
		return o, err
	}
	switch h := cfg.RawGetString("headers").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		o.Header = http.Header{}
		var herr error
		h.ForEach(func(k, v lua.LValue) {
			ks, ok1 := k.(lua.LString)
			vs, ok2 := v.(lua.LString)
			if !ok1 || !ok2 {
				herr = fmt.Errorf("headers: want string names and values, got %s = %s", k.Type(), v.Type())
				return
			}
			o.Header.Add(string(ks), string(vs))
		})
		if herr != nil {
			return o, herr
		}
	default:
		return o, fmt.Errorf("headers: want a table, got %s", h.Type())
	}
	return o, nil
}

// tlsOptions reads ssl_params; errors start with the key's name.
func tlsOptions(t *lua.LTable) (TLSOptions, error) {
	var o TLSOptions
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"protocol", &o.Protocol}, {"key", &o.Key}, {"certificate", &o.Certificate},
		{"cafile", &o.CAFile}, {"capath", &o.CAPath}, {"servername", &o.ServerName},
	} {
		switch v := t.RawGetString(f.key).(type) {
		case *lua.LNilType:
		case lua.LString:
			*f.dst = string(v)
		default:
			return o, fmt.Errorf("%s: want a string, got %s", f.key, v.Type())
		}
	}
	if v := t.RawGetString("password"); v != lua.LNil {
		return o, errors.New("password: encrypted private keys are not supported; give an unencrypted key file")
	}
	switch v := t.RawGetString("verify").(type) {
	case *lua.LNilType:
	case lua.LString:
		o.Verify = []string{string(v)}
	case *lua.LTable:
		for i := 1; i <= v.Len(); i++ {
			o.Verify = append(o.Verify, lua.LVAsString(v.RawGetInt(i)))
		}
	default:
		return o, fmt.Errorf("verify: want a string or a list, got %s", v.Type())
	}
	return o, nil
}

func checkClient(L *lua.LState) *luaHTTPClient {
	ud := L.CheckUserData(1)
	c, ok := ud.Value.(*luaHTTPClient)
	if !ok {
		L.ArgError(1, "http client expected")
	}
	return c
}

// luaBulk is client:bulk(path, batch): nil, err on a transport failure,
// else a table {status, items, accepted, failed, retry, errors, body,
// mismatch, retry_errors}. See Client.Bulk for what happens to the batch.
func luaBulk(L *lua.LState) int {
	c := checkClient(L)
	path := L.CheckString(2)
	b := checkBatch(L, 3)
	n := b.Count()
	res, err := c.c.Bulk(sandbox.Context(L), path, b)
	if err != nil {
		c.failed(fmt.Sprintf("bulk request of %d documents failed", n), "error", err.Error())
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if res.Status < 200 || res.Status > 299 {
		c.failed(fmt.Sprintf("bulk request of %d documents refused", n), "status", res.Status, "body", clip(res.Body, 512))
	} else {
		c.succeeded()
		c.logItems(res, n)
	}
	t := L.CreateTable(0, 8)
	t.RawSetString("status", lua.LNumber(res.Status))
	t.RawSetString("items", lua.LNumber(res.Items))
	t.RawSetString("accepted", lua.LNumber(res.Accepted))
	t.RawSetString("failed", lua.LNumber(res.Failed))
	t.RawSetString("retry", lua.LNumber(res.Retry))
	t.RawSetString("mismatch", lua.LBool(res.Mismatch))
	if res.Body != "" {
		t.RawSetString("body", lua.LString(clip(res.Body, 4096)))
	}
	t.RawSetString("errors", itemErrors(L, res.Errors))
	t.RawSetString("retry_errors", itemErrors(L, res.RetryErrors))
	L.Push(t)
	return 1
}

func itemErrors(L *lua.LState, errs []ItemError) *lua.LTable {
	t := L.CreateTable(len(errs), 0)
	for _, e := range errs {
		t.Append(lua.LString(e.String()))
	}
	return t
}

// failed logs a failed request: the first of a series, then once a
// minute.
func (c *luaHTTPClient) failed(msg string, args ...any) {
	c.failures++
	now := time.Now()
	if c.failures == 1 || now.Sub(c.lastLog) >= failureLogEvery {
		c.lastLog = now
		c.log.Warn(msg, append(args, "url", c.c.base.String(), "failures_in_a_row", c.failures)...)
	}
}

func (c *luaHTTPClient) succeeded() {
	if c.failures > 0 {
		c.log.Info("requests succeed again", "url", c.c.base.String(), "after_failures", c.failures)
	}
	c.failures = 0
}

// logItems reports the items Elasticsearch rejected.
func (c *luaHTTPClient) logItems(res *BulkResult, n int) {
	if res.Unparsed != nil {
		c.log.Warn("bulk response is not JSON Elasticsearch writes; taking the documents as indexed", "documents", n, "error", res.Unparsed.Error())
	}
	if res.Failed == 0 && res.Retry == 0 {
		return
	}
	if res.Failed > 0 {
		c.log.Warn("documents rejected, not sent again", "rejected", res.Failed, "documents", n, "first_errors", joinErrors(res.Errors))
	}
	if res.Retry > 0 {
		c.log.Info("documents to send again", "retry", res.Retry, "documents", n, "mismatch", res.Mismatch, "first_errors", joinErrors(res.RetryErrors))
	}
}

func joinErrors(errs []ItemError) string {
	s := make([]string, len(errs))
	for i, e := range errs {
		s[i] = e.String()
	}
	return strings.Join(s, "; ")
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// luaPost is client:post(path, body[, content_type]): status, body (at
// most 64 KiB), or nil, err on a transport failure.
func luaPost(L *lua.LState) int {
	c := checkClient(L)
	path := L.CheckString(2)
	body := L.CheckString(3)
	ct := L.OptString(4, "application/json")
	resp, err := c.c.Post(sandbox.Context(L), path, ct, []byte(body))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LNumber(resp.Status))
	L.Push(lua.LString(resp.Body))
	return 2
}

func luaURL(L *lua.LState) int {
	c := checkClient(L)
	L.Push(lua.LString(c.c.URL(L.OptString(2, "/"))))
	return 1
}

func luaClientClose(L *lua.LState) int {
	checkClient(L).c.Close()
	return 0
}

// luaBatchValue is the Value of a batch userdata. Its memory (the
// write buffer and the entry offsets) counts toward memory_limit.
type luaBatchValue struct {
	b   *Batch
	log *slog.Logger
}

// MemSize implements sandbox.MemSizer.
func (v *luaBatchValue) MemSize() int { return 64<<10 + 8*cap(v.b.offsets) }

// luaBatch is http.batch(path): a batch in the file at path, truncated.
func luaBatch(L *lua.LState) int {
	path := L.CheckString(1)
	b, err := OpenBatch(path)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	ud := L.NewUserData()
	ud.Value = &luaBatchValue{b: b, log: sandbox.Logger(L)}
	ud.Metatable = L.GetTypeMetatable(batchType)
	L.Push(ud)
	return 1
}

func checkBatch(L *lua.LState, n int) *Batch { return checkBatchValue(L, n).b }

func checkBatchValue(L *lua.LState, n int) *luaBatchValue {
	ud := L.CheckUserData(n)
	v, ok := ud.Value.(*luaBatchValue)
	if !ok {
		L.ArgError(n, "http batch expected")
	}
	return v
}

// luaBatchAdd is batch:add(data): appends an entry, returns the count.
// data is a string, or a value with __tostring (a zero-copy read_message
// handle, as the generic encoders return).
func luaBatchAdd(L *lua.LState) int {
	b := checkBatch(L, 1)
	var data string
	switch v := L.Get(2).(type) {
	case lua.LString:
		data = string(v)
	case *lua.LUserData:
		if L.GetMetaField(v, "__tostring") == lua.LNil {
			L.ArgError(2, "string expected, got userdata without __tostring")
		}
		data = L.ToStringMeta(v).String()
	default:
		data = L.CheckString(2)
	}
	if err := b.AddString(data); err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lua.LNumber(b.Count()))
	return 1
}

func luaBatchCount(L *lua.LState) int {
	L.Push(lua.LNumber(checkBatch(L, 1).Count()))
	return 1
}

func luaBatchSize(L *lua.LState) int {
	L.Push(lua.LNumber(checkBatch(L, 1).Size()))
	return 1
}

func luaBatchReset(L *lua.LState) int {
	if err := checkBatch(L, 1).Reset(); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}

// luaBatchDiscard is batch:discard(reason): empties the batch, logging a
// warning with the number of entries dropped and the reason. It returns
// that number.
func luaBatchDiscard(L *lua.LState) int {
	v := checkBatchValue(L, 1)
	n := v.b.Count()
	if n > 0 {
		v.log.Warn("batch discarded", "documents", n, "reason", L.OptString(2, ""))
	}
	if err := v.b.Reset(); err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lua.LNumber(n))
	return 1
}

func luaBatchClose(L *lua.LState) int {
	if err := checkBatch(L, 1).Close(); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}
