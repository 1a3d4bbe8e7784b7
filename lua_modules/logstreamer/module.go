package logstreamer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

// ModuleName is what plugins require.
const ModuleName = "sightline.logstreamer"

// luaTypeName names the metatable of the objects new returns.
const luaTypeName = "sightline.logstreamer"

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: ModuleName, Open: openModule, IOOnly: true})
}

func openModule(L *lua.LState) int {
	mt := L.NewTypeMetatable(luaTypeName)
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"restore":     luaRestore,
		"poll":        luaPoll,
		"wait":        luaWait,
		"read_to_end": luaReadToEnd,
		"close":       luaClose,
	}))
	mod := L.NewTable()
	L.SetField(mod, "new", L.NewFunction(luaNew))
	L.Push(mod)
	return 1
}

// instance is the Lua object: a Streamer and the sink that injects.
type instance struct {
	m    *Streamer
	sink *sink
	ctx  context.Context
	cfg  *Config
}

// luaNew is new(read_config): it reads the options with read_config,
// checks them, resolves the decoder and runs the first scan. Errors name
// the config key.
func luaNew(L *lua.LState) int {
	rc := L.CheckFunction(1)
	get := func(key string) (any, error) {
		if err := L.CallByParam(lua.P{Fn: rc, NRet: 1, Protect: true}, lua.LString(key)); err != nil {
			return nil, err
		}
		v := L.Get(-1)
		L.Pop(1)
		return fromLua(v, 0)
	}
	str := func(key string) string {
		v, _ := get(key)
		s, _ := v.(string)
		return s
	}
	name := strings.TrimPrefix(str("Logger"), "input.")
	hostname := str("Hostname")
	cfg, err := ParseConfig(get, name, hostname, sandbox.MaxMessageSize(L))
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if sandbox.BatchMode(L) {
		cfg.ReadToEnd = true
	}
	if v, _ := get("instruction_limit"); !cfg.ReadToEnd {
		if n, ok := v.(float64); ok && n != 0 {
			L.RaiseError("%s: instruction_limit: must be 0: logstreamer.lua is a continuous input", ErrConfig)
		}
	}
	log := sandbox.Logger(L)
	k, err := newSink(L, cfg, log)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	m, err := New(cfg, log, k)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	in := &instance{m: m, sink: k, ctx: sandbox.Context(L), cfg: cfg}
	if done := in.ctx.Done(); done != nil {
		// The plugin killed or closed: close the files.
		go func() {
			<-done
			m.Close()
		}()
	}
	ud := L.NewUserData()
	ud.Value = in
	L.SetMetatable(ud, L.GetTypeMetatable(luaTypeName))
	L.Push(ud)
	return 1
}

func check(L *lua.LState) *instance {
	ud := L.CheckUserData(1)
	in, ok := ud.Value.(*instance)
	if !ok {
		L.ArgError(1, "logstreamer expected")
	}
	in.sink.L = L
	return in
}

// luaRestore is ls:restore(checkpoint): the checkpoint process_message
// received (nil the first time).
func luaRestore(L *lua.LState) int {
	in := check(L)
	var saved map[string]*Position
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
	case lua.LString:
		var err error
		if saved, err = DecodeCheckpoint(string(v)); err != nil {
			L.RaiseError("%s", err.Error())
		}
	default:
		L.ArgError(2, "checkpoint must be nil or a logstreamer checkpoint string, not a "+v.Type().String())
	}
	in.m.Restore(saved)
	return 0
}

// luaPoll is ls:poll(): it reads what is new in every stream and returns
// true when it read anything.
func luaPoll(L *lua.LState) int {
	in := check(L)
	ok, err := in.m.Poll()
	if err != nil && !errors.Is(err, ErrClosed) {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lua.LBool(ok))
	return 1
}

// luaWait is ls:wait(): it sleeps check_data_interval, or until the plugin
// is killed.
func luaWait(L *lua.LState) int {
	in := check(L)
	t := time.NewTimer(in.cfg.CheckDataInterval)
	defer t.Stop()
	select {
	case <-t.C:
	case <-in.ctx.Done():
	}
	return 0
}

// luaReadToEnd is ls:read_to_end(): true when the plugin reads what there
// is and returns (read_to_end, or sightline run -once).
func luaReadToEnd(L *lua.LState) int {
	L.Push(lua.LBool(check(L).cfg.ReadToEnd))
	return 1
}

func luaClose(L *lua.LState) int {
	check(L).m.Close()
	return 0
}

// fromLua converts a config value.
func fromLua(v lua.LValue, depth int) (any, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		return float64(v), nil
	case lua.LBool:
		return bool(v), nil
	case *lua.LTable:
		if depth > 8 {
			return nil, errors.New("tables nested too deep")
		}
		if n := v.Len(); n > 0 {
			out := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				e, err := fromLua(v.RawGetInt(i), depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, e)
			}
			return out, nil
		}
		out := map[string]any{}
		var err error
		v.ForEach(func(k, e lua.LValue) {
			if ks, ok := k.(lua.LString); ok && err == nil {
				out[string(ks)], err = fromLua(e, depth+1)
			}
		})
		return out, err
	}
	return nil, fmt.Errorf("unsupported value of type %s", v.Type())
}

// sink turns records into messages and injects them; the checkpoint goes
// with inject_message's checkpoint-only form once per batch.
type sink struct {
	L        *lua.LState
	cfg      *Config
	log      *slog.Logger
	maxMsg   int
	msg      message.Message
	tmpl     []message.Field // default_headers Fields, copied into every message
	copies   []message.Field
	hdr      message.Message // default_headers headers
	dec      decoder.Decoder
	luaDec   *lua.LFunction
	dh       map[string]*lua.LTable // per stream, for a Lua decoder
	lastCP   string
	failures int64
	tooBig   int64
}

func newSink(L *lua.LState, cfg *Config, log *slog.Logger) (*sink, error) {
	k := &sink{L: L, cfg: cfg, log: log, maxMsg: sandbox.MaxMessageSize(L), dh: map[string]*lua.LTable{}}
	if err := k.headers(cfg.DefaultHeaders); err != nil {
		return nil, fmt.Errorf("%w: default_headers: %w", ErrConfig, err)
	}
	if name := cfg.DecoderModule; name != "" {
		if _, ok := decoder.Lookup(name); ok {
			d, err := decoder.New(L, name)
			if err != nil {
				return nil, fmt.Errorf("%w: decoder_module: %w", ErrConfig, err)
			}
			k.dec = d
		} else {
			fn, err := requireDecode(L, name)
			if err != nil {
				return nil, fmt.Errorf("%w: decoder_module: %w", ErrConfig, err)
			}
			k.luaDec = fn
		}
	}
	return k, nil
}

// requireDecode loads a Lua decoder module and returns its decode.
func requireDecode(L *lua.LState, name string) (*lua.LFunction, error) {
	req, ok := L.GetGlobal("require").(*lua.LFunction)
	if !ok {
		return nil, errors.New("require is not available")
	}
	if err := L.CallByParam(lua.P{Fn: req, NRet: 1, Protect: true}, lua.LString(name)); err != nil {
		return nil, err
	}
	mod := L.Get(-1)
	L.Pop(1)
	t, ok := mod.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("module %s is not a table", name)
	}
	fn, ok := t.RawGetString("decode").(*lua.LFunction)
	if !ok {
		return nil, fmt.Errorf("module %s has no decode function", name)
	}
	return fn, nil
}

// headers reads default_headers into the header template.
func (k *sink) headers(dh map[string]any) error {
	keys := make([]string, 0, len(dh))
	for key := range dh {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		v := dh[key]
		s, isStr := v.(string)
		n, isNum := v.(float64)
		switch key {
		case "Type", "Logger", "Hostname", "Payload", "EnvVersion":
			if !isStr {
				return fmt.Errorf("%s must be a string", key)
			}
			switch key {
			case "Type":
				k.hdr.SetType(s)
			case "Logger":
				k.hdr.SetLogger(s)
			case "Hostname":
				k.hdr.SetHostname(s)
			case "Payload":
				k.hdr.SetPayload(s)
			case "EnvVersion":
				k.hdr.SetEnvVersion(s)
			}
		case "Severity", "Pid":
			if !isNum {
				return fmt.Errorf("%s must be a number", key)
			}
			if key == "Severity" {
				k.hdr.SetSeverity(int32(n))
			} else {
				k.hdr.SetPid(int32(n))
			}
		case "Timestamp":
			if !isNum {
				return fmt.Errorf("%s must be a number", key)
			}
			k.hdr.Timestamp = int64(n)
		case "Fields":
			fields, ok := v.(map[string]any)
			if !ok {
				return errors.New("fields must be a table of name = value")
			}
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				f, err := toField(name, fields[name])
				if err != nil {
					return err
				}
				k.tmpl = append(k.tmpl, f)
			}
		default:
			return fmt.Errorf("unknown header %q", key)
		}
	}
	k.copies = make([]message.Field, len(k.tmpl))
	return nil
}

// toField builds a field of default_headers: a string, number, boolean,
// or {value = v, value_type = n, representation = s}.
func toField(name string, v any) (message.Field, error) {
	f := message.Field{Name: name}
	if t, ok := v.(map[string]any); ok {
		f.Representation, _ = t["representation"].(string)
		vt, _ := t["value_type"].(float64)
		v = t["value"]
		if n, ok := v.(float64); ok && vt == 2 {
			f.Type, f.Integers = message.ValueInteger, []int64{int64(n)}
			return f, nil
		}
	}
	switch v := v.(type) {
	case string:
		f.Type, f.Strings = message.ValueString, []string{v}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			f.Type, f.Integers = message.ValueInteger, []int64{int64(v)}
		} else {
			f.Type, f.Doubles = message.ValueDouble, []float64{v}
		}
	case bool:
		f.Type, f.Bools = message.ValueBool, []bool{v}
	default:
		return f, fmt.Errorf("field %s: unsupported value", name)
	}
	return f, nil
}

// bytesString views b as a string without copying; the message is
// encoded before b changes.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Record is Sink's: decode (or wrap) and inject one record.
func (k *sink) Record(name, file string, off int64, rec []byte) error {
	if k.luaDec != nil {
		return k.luaRecord(name, file, off, rec)
	}
	m := &k.msg
	m.Reset()
	m.SetLogger(name)
	m.SetHostname(k.cfg.Hostname)
	if k.dec == nil {
		m.SetType("logfile")
	}
	k.applyHeaders(m)
	if k.dec != nil {
		if err := k.dec.Decode(rec, m); err != nil {
			return k.failure(name, file, off, rec, err)
		}
	} else {
		m.SetPayload(bytesString(rec))
	}
	if k.cfg.SourceFields {
		m.Fields = append(m.Fields,
			message.Field{Name: "source_file", Type: message.ValueString, Strings: []string{file}},
			message.Field{Name: "source_offset", Type: message.ValueInteger, Integers: []int64{off}})
	}
	if n, ok := sandbox.InjectMessageIfFits(k.L, m, sandbox.Checkpoint{}); !ok {
		k.tooBig++
		if k.tooBig <= 100 || k.tooBig%1000 == 0 {
			k.log.Warn("logstreamer: message over max_message_size skipped", "stream", name, "file", file,
				"offset", off, "bytes", n, "max_message_size", k.maxMsg)
		}
	}
	return nil
}

// applyHeaders copies default_headers into m.
func (k *sink) applyHeaders(m *message.Message) {
	h := &k.hdr
	if h.Has != 0 {
		if h.Has&message.HasType != 0 {
			m.SetType(h.Type)
		}
		if h.Has&message.HasLogger != 0 {
			m.SetLogger(h.Logger)
		}
		if h.Has&message.HasHostname != 0 {
			m.SetHostname(h.Hostname)
		}
		if h.Has&message.HasPayload != 0 {
			m.SetPayload(h.Payload)
		}
		if h.Has&message.HasEnvVersion != 0 {
			m.SetEnvVersion(h.EnvVersion)
		}
		if h.Has&message.HasSeverity != 0 {
			m.SetSeverity(h.Severity)
		}
		if h.Has&message.HasPid != 0 {
			m.SetPid(h.Pid)
		}
	}
	if h.Timestamp != 0 {
		m.Timestamp = h.Timestamp
	}
	if len(k.tmpl) > 0 {
		for i, t := range k.tmpl {
			c := &k.copies[i]
			c.Name, c.Type, c.Representation = t.Name, t.Type, t.Representation
			c.Strings = append(c.Strings[:0], t.Strings...)
			c.Integers = append(c.Integers[:0], t.Integers...)
			c.Doubles = append(c.Doubles[:0], t.Doubles...)
			c.Bools = append(c.Bools[:0], t.Bools...)
		}
		m.Fields = append(m.Fields[:0], k.copies...)
	}
}

// luaRecord calls a Lua decoder's decode(data, default_headers).
func (k *sink) luaRecord(name, file string, off int64, rec []byte) error {
	L := k.L
	dh := k.dh[name]
	if dh == nil {
		dh = L.NewTable()
		dh.RawSetString("Logger", lua.LString(name))
		dh.RawSetString("Hostname", lua.LString(k.cfg.Hostname))
		for key, v := range k.cfg.DefaultHeaders {
			dh.RawSetString(key, toLua(L, v))
		}
		k.dh[name] = dh
	}
	if k.cfg.SourceFields {
		fields, ok := dh.RawGetString("Fields").(*lua.LTable)
		if !ok {
			fields = L.NewTable()
			dh.RawSetString("Fields", fields)
		}
		fields.RawSetString("source_file", lua.LString(file))
		t := L.NewTable()
		t.RawSetString("value", lua.LNumber(off))
		t.RawSetString("value_type", lua.LNumber(2))
		fields.RawSetString("source_offset", t)
	}
	err := L.CallByParam(lua.P{Fn: k.luaDec, NRet: 1, Protect: true}, lua.LString(rec), dh)
	if err != nil {
		if errors.Is(sandbox.Context(L).Err(), context.Canceled) {
			return err
		}
		if rerr := sandbox.Refused(L); rerr != nil {
			// Not the decoder's failure: its message was refused (the
			// plugin is stopping), and so will be every later one.
			return fmt.Errorf("logstreamer: inject_message() failed: %w", rerr)
		}
		var ae *lua.ApiError
		if errors.As(err, &ae) && ae.Object != nil {
			err = errors.New(ae.Object.String()) // without the stack trace
		}
		return k.failure(name, file, off, rec, err)
	}
	ret := L.Get(-1)
	L.Pop(1)
	if s, ok := ret.(lua.LString); ok {
		return k.failure(name, file, off, rec, errors.New(string(s)))
	}
	return nil
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	case []any:
		t := L.NewTable()
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case map[string]any:
		t := L.NewTable()
		for key, e := range v {
			t.RawSetString(key, toLua(L, e))
		}
		return t
	}
	return lua.LNil
}

// failure reports a record the decoder refused: injected as error.decode
// with send_decode_failures, else logged.
func (k *sink) failure(name, file string, off int64, rec []byte, err error) error {
	k.failures++
	if k.cfg.SendDecodeFailures {
		m := &k.msg
		m.Reset()
		m.SetType("error.decode")
		m.SetLogger(name)
		m.SetHostname(k.cfg.Hostname)
		m.SetPayload(err.Error())
		data := rec
		if len(data) > k.maxMsg/2 {
			data = data[:k.maxMsg/2]
		}
		m.Fields = append(m.Fields, message.Field{Name: "data", Type: message.ValueString, Strings: []string{bytesString(data)}})
		if k.cfg.SourceFields {
			m.Fields = append(m.Fields,
				message.Field{Name: "source_file", Type: message.ValueString, Strings: []string{file}},
				message.Field{Name: "source_offset", Type: message.ValueInteger, Integers: []int64{off}})
		}
		sandbox.InjectMessage(k.L, m, sandbox.Checkpoint{})
		return nil
	}
	if k.failures <= 100 || k.failures%1000 == 0 {
		k.log.Warn("logstreamer: decode failed; record skipped", "stream", name, "file", file, "offset", off,
			"decoder_module", k.cfg.DecoderModule, "err", err, "failures", k.failures)
	}
	return nil
}

// Checkpoint is Sink's: the journal of every stream, set as the plugin's
// checkpoint after the batch's messages; the runner saves it once they
// are synced.
func (k *sink) Checkpoint(cp string) error {
	if cp == k.lastCP {
		return nil
	}
	if len(cp) > cursor.MaxCheckpointSize {
		return fmt.Errorf("logstreamer: the checkpoint of every stream is %d bytes, over the %d a cursor file holds: fewer streams per plugin (split the config)",
			len(cp), cursor.MaxCheckpointSize)
	}
	sandbox.Inject(k.L, nil, sandbox.Checkpoint{Kind: sandbox.CheckpointString, String: cp})
	k.lastCP = cp // once taken: an Inject that raised is sent again
	return nil
}
