package syslog

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

// A sub-decoder with a Lua module and a Go decoder that agree: "k=v"
// words become string fields.
const testSub = "decoders.syslog_test_kv"

func kvPairs(data string) [][2]string {
	var out [][2]string
	for _, w := range strings.Fields(data) {
		k, v, ok := strings.Cut(w, "=")
		if ok {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

type kvDecoder struct{}

func (kvDecoder) Decode(rec []byte, m *message.Message) error {
	kv := kvPairs(string(rec))
	if len(kv) == 0 {
		return decoder.ErrNoMatch
	}
	for _, p := range kv {
		m.Fields = append(m.Fields, message.Field{Name: p[0], Strings: []string{p[1]}})
	}
	return nil
}

// goDecode is the Go path as the listener takes it: default headers from
// the table, the Go decoder, sandbox.InjectMessage.
func goDecode(L *lua.LState) int {
	data := L.CheckString(1)
	dh := L.OptTable(2, nil)
	dec, ok := L.GetGlobal("__syslog_go_decoder").(*lua.LUserData)
	if !ok {
		d, err := decoder.New(L, DecoderName)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		dec = L.NewUserData()
		dec.Value = d
		L.SetGlobal("__syslog_go_decoder", dec)
	}
	m, err := HeadersFromTable(L, dh)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if err := dec.Value.(decoder.Decoder).Decode([]byte(data), &m); err != nil {
		L.Push(lua.LString(err.Error()))
		return 1
	}
	sandbox.InjectMessage(L, &m, sandbox.Checkpoint{})
	return 0
}

func init() {
	decoder.Register(testSub, func(*lua.LState) (decoder.Decoder, error) { return kvDecoder{}, nil })
	sandbox.RegisterModule(sandbox.Module{Name: testSub, IOOnly: true, Open: func(L *lua.LState) int {
		t := L.NewTable()
		t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
			kv := kvPairs(L.CheckString(1))
			if len(kv) == 0 {
				L.Push(lua.LString("parse failed"))
				return 1
			}
			msg := L.CheckTable(2)
			f, ok := msg.RawGetString("Fields").(*lua.LTable)
			if !ok {
				f = L.NewTable()
				msg.RawSetString("Fields", f)
			}
			for _, p := range kv {
				f.RawSetString(p[0], lua.LString(p[1]))
			}
			L.Push(L.GetGlobal("inject_message"))
			L.Push(msg)
			L.Call(1, 0)
			return 0
		}))
		L.Push(t)
		return 1
	}})
	sandbox.RegisterModule(sandbox.Module{Name: "syslog_test_go", IOOnly: true, Open: func(L *lua.LState) int {
		t := L.NewTable()
		t.RawSetString("decode", L.NewFunction(goDecode))
		L.Push(t)
		return 1
	}})
}

// Samples: RFC 3164 with and without a year (an RFC 3339 time), with and
// without a pid, a tag without a colon, RFC 5424 with several SD elements
// and with none, a sub-decoder, and records that do not decode.
var samples = []string{
	`<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`,
	`<13>Feb  5 17:32:18 10.0.0.99 sshd[1234]: Accepted publickey for foo from 10.1.1.1 port 22 ssh2`,
	`<6>2014-02-10T08:33:15.407935-08:00 trink-x230 kernel: imklog 5.8.6, log source = /proc/kmsg started.`,
	`<166>2014-06-26T23:13:23-07:00 example.com     at java.net.SocketInputStream.socketRead0(Native Method)`,
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...`,
	`<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.`,
	`<14>Oct 11 22:14:15 host kv[99]: a=1 b=two`,
	`<14>Oct 11 22:14:15 host kv[99]: no pairs here`,
	`<14>Oct 11 22:14:15 host other: a=1 stays the payload`,
	`not syslog at all`,
}

const identityPlugin = `
require "string"
local lua_dec = require "decoders.syslog"
local go_dec = require "syslog_test_go"
local dh = {Type = "syslog", Payload = "default payload",
    Fields = {sender_ip = "10.0.0.1", sender_port = {value = 514, value_type = 2}}}
samples = samples or {}
function process_message()
    for i, line in ipairs(samples) do
        local ok, err = pcall(lua_dec.decode, line, dh)
        if not ok or err then inject_message({Type = "error", Payload = "lua: " .. tostring(err), Timestamp = 0}) end
        ok, err = pcall(go_dec.decode, line, dh)
        if not ok or err then inject_message({Type = "error", Payload = "go: " .. tostring(err), Timestamp = 0}) end
    end
    return 0
end
`

// The Lua decoders.syslog and the Go decoder give the same messages.
func TestLuaGoIdentical(t *testing.T) {
	var src strings.Builder
	src.WriteString("samples = {\n")
	for _, s := range samples {
		fmt.Fprintf(&src, "%q,\n", s)
	}
	src.WriteString("}\n")
	src.WriteString(identityPlugin)
	cfg := `decoders_syslog = {
    template = {"RFC5424", "RSYSLOG_ForwardFormat", "RSYSLOG_TraditionalForwardFormat"},
    sub_decoders = {kv = "` + testSub + `"},
}`
	s, h := mustPlugin(t, config.Input, src.String(), cfg)
	if _, _, err := s.ProcessInput(sandbox.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	msgs := h.messages()
	if len(msgs) != 2*len(samples) {
		for _, m := range msgs {
			t.Logf("%s %q", m.Type, m.Payload)
		}
		t.Fatalf("%d messages, want %d", len(msgs), 2*len(samples))
	}
	for i := 0; i < len(msgs); i += 2 {
		l, g := msgs[i], msgs[i+1]
		if l.Type == "error" {
			le, ge := strings.TrimPrefix(l.Payload, "lua: "), strings.TrimPrefix(g.Payload, "go: ")
			if g.Type != "error" || !strings.HasSuffix(le, ge) {
				t.Errorf("%q: lua %q, go %q", samples[i/2], l.Payload, g.Payload)
			}
			continue
		}
		l.Uuid, g.Uuid = [16]byte{}, [16]byte{}
		lb, gb := l.AppendTo(nil), g.AppendTo(nil)
		if !bytes.Equal(lb, gb) {
			t.Errorf("%q:\nlua %+v\ngo  %+v", samples[i/2], *l, *g)
		}
	}
	// Spot checks of the content.
	year := time.Now().UTC().Year()
	check := func(i int, want func(m *message.Message) string) {
		t.Helper()
		if msg := want(msgs[2*i]); msg != "" {
			t.Errorf("sample %d: %s; message %+v", i, msg, *msgs[2*i])
		}
	}
	check(0, func(m *message.Message) string {
		ts := time.Date(year, 10, 11, 22, 14, 15, 0, time.UTC).UnixNano()
		if m.Severity != 2 || m.Hostname != "mymachine" || m.Timestamp != ts || m.Pid != 4242 ||
			m.Payload != "'su root' failed for lonvick on /dev/pts/8" || m.Type != "syslog" {
			return "headers"
		}
		return fieldsAre(m, "sender_ip=10.0.0.1 sender_port=514 syslogfacility=4 programname=su")
	})
	check(1, func(m *message.Message) string {
		if m.Pid != 1234 || m.Severity != 5 || m.Hostname != "10.0.0.99" {
			return "headers"
		}
		return fieldsAre(m, "sender_ip=10.0.0.1 sender_port=514 syslogfacility=1 programname=sshd")
	})
	check(2, func(m *message.Message) string {
		if m.Timestamp != 1392049995407934976 || m.Severity != 6 { // the double 1392049995407935000
			return "headers"
		}
		return ""
	})
	check(4, func(m *message.Message) string {
		if m.Timestamp != 1065910455003000064 || m.Hostname != "mymachine.example.com" || m.Payload != "An application event log entry..." {
			return "headers"
		}
		return fieldsAre(m, "sender_ip=10.0.0.1 sender_port=514 app-name=evntslog procid=- msgid=ID47 syslogfacility=20 "+
			"sd_id=exampleSDID@32473,examplePriority@32473 _iut=3 _eventSource=Application _eventID=1011 _class=high")
	})
	check(5, func(m *message.Message) string {
		return fieldsAre(m, "sender_ip=10.0.0.1 sender_port=514 app-name=myproc procid=8710 msgid=- syslogfacility=20")
	})
	check(6, func(m *message.Message) string {
		if m.Payload != "default payload" || m.Pid != 99 {
			return "headers"
		}
		return fieldsAre(m, "sender_ip=10.0.0.1 sender_port=514 syslogfacility=1 programname=kv a=1 b=two")
	})
	if p := msgs[14].Payload; p != "lua: decoders.syslog.kv parse failed" {
		t.Errorf("sub-decoder failure: %q", p)
	}
	if p := msgs[18].Payload; p != "lua: decoders.syslog parse failed" {
		t.Errorf("no match: %q", p)
	}
}

// fieldsAre checks m's fields, in order, against "name=v1,v2 ...".
func fieldsAre(m *message.Message, want string) string {
	var got []string
	for _, f := range m.Fields {
		vs := append([]string(nil), f.Strings...)
		for _, d := range f.Doubles {
			vs = append(vs, fmt.Sprint(d))
		}
		for _, n := range f.Integers {
			vs = append(vs, fmt.Sprint(n))
		}
		got = append(got, f.Name+"="+strings.Join(vs, ","))
	}
	if g := strings.Join(got, " "); g != want {
		return fmt.Sprintf("fields %q, want %q", g, want)
	}
	return ""
}

// Go decoders only: a grammar sub-decoder is refused by the Go factory
// with the config key named.
func TestGoFactoryRefusesLuaSubDecoders(t *testing.T) {
	src := `
local go_dec = require "syslog_test_go"
function process_message()
    local ok, err = pcall(go_dec.decode, "x", nil)
    assert(not ok)
    error(err)
end`
	s, _ := mustPlugin(t, config.Input, src, `decoders_syslog = {sub_decoders = {sshd = "lpeg.linux.sshd"}}`)
	_, _, err := s.ProcessInput(sandbox.Checkpoint{})
	if err == nil || !strings.Contains(err.Error(), "decoders_syslog.sub_decoders.sshd") {
		t.Errorf("err %v", err)
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct{ name, rec string }{
		{"rfc3164", samples[1]},
		{"rfc5424", samples[4]},
	} {
		b.Run(c.name, func(b *testing.B) {
			d, err := NewDecoder(Config{Templates: ListenerTemplates}, nil)
			if err != nil {
				b.Fatal(err)
			}
			rec := []byte(c.rec)
			var m message.Message
			var buf []byte
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			for b.Loop() {
				m.Reset()
				if err := d.Decode(rec, &m); err != nil {
					b.Fatal(err)
				}
				buf = m.AppendTo(buf[:0])
			}
		})
	}
}

// The Lua path, for comparison: decoders.syslog's decode and
// inject_message, per record.
func BenchmarkDecodeLua(b *testing.B) {
	src := `
local dec = require "decoders.syslog"
local dh = {Type = "syslog"}
function process_message()
    for i = 1, N do dec.decode(LINE, dh) end
    return 0
end`
	s, h := mustPlugin(b, config.Input, fmt.Sprintf("N = %d\nLINE = %q\n", 1000, samples[1])+src,
		`decoders_syslog = {template = {"RFC5424", "RSYSLOG_ForwardFormat", "RSYSLOG_TraditionalForwardFormat"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.ProcessInput(sandbox.Checkpoint{}); err != nil {
			b.Fatal(err)
		}
		h.mu.Lock()
		h.msgs = h.msgs[:0]
		h.mu.Unlock()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/record")
}
