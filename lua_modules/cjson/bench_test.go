package cjson

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// logJSON is a typical structured log line (an nginx access log as JSON,
// 20 keys, one nested object and one array).
const logJSON = `{"Timestamp":1392050801000000000,"Type":"nginx.access","Logger":"input.nginx","Severity":6,"Hostname":"web-01.example.com","Pid":1234,"remote_addr":"203.0.113.42","remote_user":"-","request":"GET /api/v1/items?page=2&sort=desc HTTP/1.1","status":200,"body_bytes_sent":5123,"http_referer":"https://example.com/items","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","request_time":0.023,"upstream":{"addr":"10.0.0.7:8080","status":200,"response_time":0.021},"tags":["api","v1","read"],"cache":false,"msg":"line one\nline \"two\""}`

func benchState(b *testing.B) (*lua.LState, lua.LValue, lua.LValue) {
	L := lua.NewState()
	b.Cleanup(L.Close)
	L.Push(L.NewFunction(Open))
	L.Push(lua.LString(Name))
	L.Call(1, 1)
	mod := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	return L, mod.RawGetString("encode"), mod.RawGetString("decode")
}

func call(b *testing.B, L *lua.LState, fn, arg lua.LValue) lua.LValue {
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: false}, arg); err != nil {
		b.Fatal(err)
	}
	v := L.Get(-1)
	L.Pop(1)
	return v
}

func BenchmarkDecode(b *testing.B) {
	L, _, decode := benchState(b)
	text := lua.LString(logJSON)
	b.SetBytes(int64(len(logJSON)))
	b.ReportAllocs()
	for b.Loop() {
		call(b, L, decode, text)
	}
}

func BenchmarkEncode(b *testing.B) {
	L, encode, decode := benchState(b)
	t := call(b, L, decode, lua.LString(logJSON))
	b.SetBytes(int64(len(logJSON)))
	b.ReportAllocs()
	for b.Loop() {
		call(b, L, encode, t)
	}
}

// BenchmarkEncodeEscapes is a log message whose text needs escaping.
func BenchmarkEncodeEscapes(b *testing.B) {
	L, encode, _ := benchState(b)
	s := lua.LString(strings.Repeat("path=/var/log/x \"quoted\"\ttab\n", 20))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		call(b, L, encode, s)
	}
}
