package clf

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// decodeEnv runs a decoder module's Lua decode and its Go decoder side by
// side, in a bare Lua state whose read_config gives cfg and whose
// inject_message encodes what it gets with the sandbox's encoder.
type decodeEnv struct {
	L        *lua.LState
	enc      *luamsg.Encoder
	decode   lua.LValue
	injected [][]byte
	goDec    decoder.Decoder
}

var testUUID = [16]byte{1, 2, 3, 4, 5, 6, 0x40, 8, 0xa0, 10, 11, 12, 13, 14, 15, 16}

func newDecodeEnv(t testing.TB, module string, open lua.LGFunction, factory decoder.Factory, cfg map[string]lua.LValue) *decodeEnv {
	t.Helper()
	e := &decodeEnv{L: lua.NewState()}
	t.Cleanup(e.L.Close)
	e.enc = luamsg.NewEncoder(luamsg.Headers{Logger: "input.nginx", Hostname: "host1", Pid: 42,
		Now: func() int64 { return 7 }, UUID: func() [16]byte { return testUUID }})
	L := e.L
	L.SetGlobal("read_config", L.NewFunction(func(L *lua.LState) int {
		if cfg != nil && L.CheckString(1) == configKey(module) {
			t := L.NewTable()
			for k, v := range cfg {
				t.RawSetString(k, v)
			}
			L.Push(t)
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}))
	L.SetGlobal("inject_message", L.NewFunction(func(L *lua.LState) int {
		var m message.Message
		if err := e.enc.ToMessage(L.CheckTable(1), &m); err != nil {
			L.RaiseError("inject_message() failed: %s", err)
		}
		e.injected = append(e.injected, m.AppendTo(nil))
		return 0
	}))
	L.Push(L.NewFunction(open))
	L.Push(lua.LString(module))
	L.Call(1, 1)
	e.decode = L.GetField(L.Get(-1), "decode")
	L.Pop(1)
	var err error
	if e.goDec, err = factory(L); err != nil {
		t.Fatal(err)
	}
	return e
}

// luaDecode calls decode(line, dh) and returns its result (nil or the
// error string) and the message it injected.
func (e *decodeEnv) luaDecode(t testing.TB, line string, dh lua.LValue) (lua.LValue, []byte) {
	t.Helper()
	e.injected = nil
	if err := e.L.CallByParam(lua.P{Fn: e.decode, NRet: 1, Protect: true}, lua.LString(line), dh); err != nil {
		t.Fatalf("decode(%q): %v", line, err)
	}
	res := e.L.Get(-1)
	e.L.Pop(1)
	if len(e.injected) > 1 {
		t.Fatalf("decode injected %d messages", len(e.injected))
	}
	if len(e.injected) == 1 {
		return res, e.injected[0]
	}
	return res, nil
}

// goDecode decodes line with the Go decoder into a message prepared with
// prep (the default headers), filling the defaults as InjectMessage does.
func (e *decodeEnv) goDecode(line string, m *message.Message, prep func(*message.Message)) ([]byte, error) {
	m.Reset()
	if prep != nil {
		prep(m)
	}
	if err := e.goDec.Decode([]byte(line), m); err != nil {
		return nil, err
	}
	e.enc.Defaults(m)
	if m.Uuid == ([16]byte{}) {
		m.Uuid = testUUID
	}
	return m.AppendTo(nil), nil
}

// compare decodes every line both ways and requires the same message (or
// the same refusal).
func (e *decodeEnv) compare(t *testing.T, lines []string, dh lua.LValue, prep func(*message.Message)) (matched int) {
	t.Helper()
	var m message.Message
	for _, line := range lines {
		res, luaMsg := e.luaDecode(t, line, dh)
		goMsg, err := e.goDecode(line, &m, prep)
		if res != lua.LNil {
			if res.String() != "parse failed" || !errors.Is(err, decoder.ErrNoMatch) {
				t.Fatalf("%q: Lua %v, Go %v", line, res, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: Lua decoded, Go: %v", line, err)
		}
		if !bytes.Equal(luaMsg, goMsg) {
			t.Fatalf("%q: messages differ\nLua: %s\nGo:  %s", line, describe(luaMsg), describe(goMsg))
		}
		matched++
	}
	return matched
}

// describe prints a message for a failure report.
func describe(raw []byte) string {
	var m message.Message
	if err := message.Decode(raw, &m); err != nil {
		return err.Error()
	}
	s := fmt.Sprintf("ts=%d type=%q logger=%q host=%q pid=%d sev=%d payload=%q", m.Timestamp, m.Type, m.Logger, m.Hostname, m.Pid, m.Severity, m.Payload)
	for _, f := range m.Fields {
		s += fmt.Sprintf("\n  %s %v %q %q %v", f.Name, f.Type, f.Representation, f.Strings, f.Doubles)
	}
	return s
}

// extraLines are lines beyond the generator's: IPv6, quotes, failures.
var extraLines = []string{
	`::1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0"`,
	`example.com - bob [10/Feb/2014:08:46:41 +0130] "GET /\"q\" HTTP/1.1" 200 12 "-" "-"`,
	`10.0.0.1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" - 0 "-" "-"`,
	`10.0.0.1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 200 0 "-" "" trailing`,
	`garbage`,
	``,
}

func TestAccessDecoderLuaAndGoAgree(t *testing.T) {
	lines := append(genLog(t, "combined", 300), extraLines...)
	msecLines := genLog(t, "msec", 300)
	opts := []map[string]lua.LValue{
		{},
		{"user_agent_transform": lua.LTrue},
		{"user_agent_transform": lua.LTrue, "user_agent_keep": lua.LTrue},
		{"user_agent_transform": lua.LTrue, "user_agent_conditional": lua.LTrue},
		{"payload_keep": lua.LTrue, "user_agent_transform": lua.LFalse},
	}
	for _, fc := range []struct {
		name, format string
		lines        []string
	}{{"combined", combinedFormat, lines}, {"msec", msecFormat, msecLines}} {
		for i, o := range opts {
			t.Run(fmt.Sprintf("%s/%d", fc.name, i), func(t *testing.T) {
				cfg := map[string]lua.LValue{"log_format": lua.LString(fc.format)}
				for k, v := range o {
					cfg[k] = v
				}
				e := newDecodeEnv(t, accessModule, openAccess, accessFactory, cfg)
				if n := e.compare(t, fc.lines, lua.LNil, nil); n < len(fc.lines)-3 {
					t.Errorf("only %d of %d lines matched", n, len(fc.lines))
				}
				// Default headers, with a field the decoder adds to and
				// one it overwrites.
				dh := e.L.NewTable()
				dh.RawSetString("Type", lua.LString("nginx.access"))
				dh.RawSetString("Hostname", lua.LString("web1"))
				dh.RawSetString("Timestamp", lua.LNumber(5))
				f := e.L.NewTable()
				f.RawSetString("env", lua.LString("prod"))
				f.RawSetString("status", lua.LString("old"))
				dh.RawSetString("Fields", f)
				e.compare(t, fc.lines[:50], dh, func(m *message.Message) {
					m.SetType("nginx.access")
					m.SetHostname("web1")
					m.Timestamp = 5
					m.Fields = append(m.Fields, message.Field{Name: "env", Strings: []string{"prod"}},
						message.Field{Name: "status", Strings: []string{"old"}})
				})
			})
		}
	}
}

// TestAccessDecoderMessage checks one decoded message in full.
func TestAccessDecoderMessage(t *testing.T) {
	d, err := NewAccessDecoder(combinedFormat, AccessOptions{UserAgentTransform: true})
	if err != nil {
		t.Fatal(err)
	}
	var m message.Message
	m.Reset()
	line := `2001:db8::1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0"`
	if err := d.Decode([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	if m.Timestamp != 1392050801000000000 || m.Has&message.HasPayload != 0 {
		t.Errorf("headers: %+v", m)
	}
	want := []struct {
		name string
		typ  message.ValueType
		rep  string
		val  any
	}{
		{"remote_addr", message.ValueString, "ipv6", "2001:db8::1"},
		{"remote_user", message.ValueString, "", "-"},
		{"request", message.ValueString, "", "GET / HTTP/1.1"},
		{"status", message.ValueDouble, "", 304.0},
		{"body_bytes_sent", message.ValueDouble, "B", 0.0},
		{"http_referer", message.ValueString, "", "-"},
		{"user_agent_browser", message.ValueString, "", "Firefox"},
		{"user_agent_version", message.ValueDouble, "", 26.0},
		{"user_agent_os", message.ValueString, "", "Linux"},
	}
	if len(m.Fields) != len(want) {
		t.Fatalf("%d fields: %s", len(m.Fields), describe(m.AppendTo(nil)))
	}
	for i, w := range want {
		f := m.Fields[i]
		var v any
		if f.Type == message.ValueDouble {
			v = f.Doubles[0]
		} else {
			v = f.Strings[0]
		}
		if f.Name != w.name || f.Type != w.typ || f.Representation != w.rep || v != w.val {
			t.Errorf("field %d: %s %v %q %v, want %+v", i, f.Name, f.Type, f.Representation, v, w)
		}
	}
	if err := d.Decode([]byte("nope"), &m); !errors.Is(err, decoder.ErrNoMatch) {
		t.Errorf("no match: %v", err)
	}
}

func TestAccessDecoderConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg map[string]lua.LValue
		err string
	}{
		{nil, "decoders_nginx_access must be a table"},
		{map[string]lua.LValue{}, "decoders_nginx_access.log_format must be a string"},
		{map[string]lua.LValue{"log_format": lua.LString("")}, "could not parse the log_format configuration"},
	} {
		L := lua.NewState()
		cfg := tc.cfg
		L.SetGlobal("read_config", L.NewFunction(func(L *lua.LState) int {
			if cfg == nil {
				return 0
			}
			t := L.NewTable()
			for k, v := range cfg {
				t.RawSetString(k, v)
			}
			L.Push(t)
			return 1
		}))
		if _, err := accessFactory(L); err == nil || !contains(err.Error(), tc.err) {
			t.Errorf("factory: %v, want %q", err, tc.err)
		}
		err := L.CallByParam(lua.P{Fn: L.NewFunction(openAccess), NRet: 1, Protect: true}, lua.LString(accessModule))
		if err == nil || !contains(err.Error(), tc.err) {
			t.Errorf("require: %v, want %q", err, tc.err)
		}
		L.Close()
	}
}

func TestErrorDecoderLuaAndGoAgree(t *testing.T) {
	e := newDecodeEnv(t, errorModule, openError, errorFactory, nil)
	lines := []string{
		`2014/03/01 11:29:39 [notice] 16842#0: using inherited sockets from "6;"`,
		`2014/03/01 11:29:39 [error] 16842#3: *8878 open() "/x" failed (2: No such file or directory), client: 1.2.3.4`,
		`2024/01/31 23:59:59 [emerg] 1#2: *x no connection`,
		`not an error line`,
	}
	if n := e.compare(t, lines, lua.LNil, nil); n != 3 {
		t.Errorf("%d matched", n)
	}
	var m message.Message
	raw, err := e.goDecode(lines[1], &m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := message.Decode(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Severity != 3 || m.Pid != 16842 || m.Timestamp != 1393673379000000000 ||
		m.Payload != `open() "/x" failed (2: No such file or directory), client: 1.2.3.4` ||
		len(m.Fields) != 2 || m.Fields[0].Name != "tid" || m.Fields[0].Doubles[0] != 3 ||
		m.Fields[1].Name != "connection" || m.Fields[1].Doubles[0] != 8878 {
		t.Errorf("got %s", describe(raw))
	}
}

// TestAccessDecoderAllocs: decoding into a reused message does not
// allocate.
func TestAccessDecoderAllocs(t *testing.T) {
	for _, fc := range []struct{ name, format string }{{"combined", combinedFormat}, {"msec", msecFormat}} {
		lines := genLog(t, fc.name, 50)
		d, err := NewAccessDecoder(fc.format, AccessOptions{UserAgentTransform: true})
		if err != nil {
			t.Fatal(err)
		}
		recs := make([][]byte, len(lines))
		for i, l := range lines {
			recs[i] = []byte(l)
		}
		var m message.Message
		i := 0
		allocs := testing.AllocsPerRun(200, func() {
			m.Reset()
			if err := d.Decode(recs[i%len(recs)], &m); err != nil {
				t.Fatal(err)
			}
			i++
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per line", fc.name, allocs)
		}
	}
	var d ErrorDecoder
	var m message.Message
	rec := []byte(`2014/03/01 11:29:40 [error] 16842#3: *8878 open() "/x" failed (2: No such file or directory)`)
	allocs := testing.AllocsPerRun(200, func() {
		m.Reset()
		if err := d.Decode(rec, &m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("error log: %v allocations per line", allocs)
	}
}
