package luamsg

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// benchTable is a typical 12-field message table in hash form: a parsed
// nginx access log line as an input plugin injects it (the message of
// message's benchmarks).
const benchTable = `{
	Type = "nginx.access", Logger = "input.nginx", Severity = 6, Pid = 4242, Hostname = "edge-1.example.net",
	Timestamp = 1760104536123456789,
	Payload = '203.0.113.17 - - [10/Oct/2025:13:55:36 +0000] "GET /api/v1/items?page=2&sort=desc HTTP/1.1" 200 51234 "https://example.com/start" "Mozilla/5.0"',
	Fields = {
		remote_addr = {value = "203.0.113.17", representation = "ipv4"},
		remote_user = "-",
		request = "GET /api/v1/items?page=2&sort=desc HTTP/1.1",
		status = {value = 200, value_type = 2},
		body_bytes_sent = {value = 51234, value_type = 2, representation = "B"},
		http_referer = "https://example.com/start",
		http_user_agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		request_time = {value = 0.023, representation = "s"},
		upstream_response_times = {value = {0.011, 0.009}, representation = "s"},
		upstream_addrs = {"10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"},
		cache_hit = false,
		session = {value = "\1\2\3\4\5\6\7\8", value_type = 1},
	}}`

// BenchmarkToMessage is inject_message's work on a 12-field hash-form
// table: ToMessage and AppendTo, reusing the message and the buffer.
func BenchmarkToMessage(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString("t = " + benchTable); err != nil {
		b.Fatal(err)
	}
	t := L.GetGlobal("t").(*lua.LTable)
	enc := NewEncoder(Headers{Logger: "input.nginx", Hostname: "edge-1", Pid: 1})
	var m message.Message
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.ToMessage(t, &m); err != nil {
			b.Fatal(err)
		}
		buf = m.AppendTo(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkInjectFromLua is the whole of a plugin's inject_message call:
// Lua builds the 12-field table (a new one each time, as plugins do) and
// calls a Go inject_message running ToMessage and AppendTo.
func BenchmarkInjectFromLua(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	enc := NewEncoder(Headers{Logger: "input.nginx", Hostname: "edge-1", Pid: 1})
	var m message.Message
	var buf []byte
	L.SetGlobal("inject_message", L.NewFunction(func(L *lua.LState) int {
		if err := enc.ToMessage(L.CheckTable(1), &m); err != nil {
			L.RaiseError("%s", err.Error())
		}
		buf = m.AppendTo(buf[:0])
		return 0
	}))
	if err := L.DoString("function f() inject_message(" + benchTable + ") end"); err != nil {
		b.Fatal(err)
	}
	f := L.GetGlobal("f")
	b.ReportAllocs()
	for b.Loop() {
		L.Push(f)
		L.Call(0, 0)
	}
}

func benchView(b *testing.B) *message.View {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString("t = " + benchTable); err != nil {
		b.Fatal(err)
	}
	var m message.Message
	if err := NewEncoder(Headers{}).ToMessage(L.GetGlobal("t").(*lua.LTable), &m); err != nil {
		b.Fatal(err)
	}
	v := new(message.View)
	if err := v.Reset(m.Encode()); err != nil {
		b.Fatal(err)
	}
	return v
}

func BenchmarkReadMessage(b *testing.B) {
	v := benchView(b)
	for _, tc := range []struct {
		name, variable string
		ai             int
	}{
		{"Header", "Hostname", 0},
		{"Severity", "Severity", 0},
		{"FieldString", "Fields[http_user_agent]", 0},
		{"FieldInteger", "Fields[status]", 0},
		{"FieldArray", "Fields[upstream_addrs]", 2},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				x, err := ReadMessage(v, tc.variable, 0, tc.ai)
				if err != nil || x == lua.LNil {
					b.Fatal(x, err)
				}
			}
		})
	}
}

// BenchmarkReadMessageLua calls read_message from Lua, as a plugin does.
func BenchmarkReadMessageLua(b *testing.B) {
	v := benchView(b)
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("read_message", L.NewFunction(NewReadMessageFunc(func() *message.View { return v })))
	if err := L.DoString(`
		function header() return read_message("Hostname") end
		function field() return read_message("Fields[status]") end`); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"header", "field"} {
		b.Run(name, func(b *testing.B) {
			f := L.GetGlobal(name)
			b.ReportAllocs()
			for b.Loop() {
				L.Push(f)
				L.Call(0, 1)
				L.Pop(1)
			}
		})
	}
}

func BenchmarkDecodeMessage(b *testing.B) {
	raw := benchView(b).Raw()
	L := lua.NewState()
	defer L.Close()
	var m message.Message
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMessage(L, raw, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamFind(b *testing.B) {
	raw := benchView(b).Raw()
	frame := message.AppendFrame(nil, raw)
	r := NewStreamReader("bench", 0)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Append(frame); err != nil {
			b.Fatal(err)
		}
		if found, _, _ := r.Find(true); !found {
			b.Fatal("not found")
		}
	}
}
