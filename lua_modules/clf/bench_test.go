package clf

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// Benchmarks per line, over lines of the test generator.

func benchFormats() []struct{ name, format string } {
	return []struct{ name, format string }{{"combined", combinedFormat}, {"msec", msecFormat}}
}

// BenchmarkGoDecoder is the Go decoder (decoders.nginx.access without
// Lua), into a reused message.
func BenchmarkGoDecoder(b *testing.B) {
	for _, fc := range benchFormats() {
		b.Run(fc.name, func(b *testing.B) {
			lines := genLog(b, fc.name, 1000)
			recs := make([][]byte, len(lines))
			size := 0
			for i, l := range lines {
				recs[i] = []byte(l)
				size += len(l) + 1
			}
			d, err := NewAccessDecoder(fc.format, AccessOptions{})
			if err != nil {
				b.Fatal(err)
			}
			var m message.Message
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Reset()
				if err := d.Decode(recs[i%len(recs)], &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGoDecoderEncode adds encoding the message, as an input does
// before appending it to its queue.
func BenchmarkGoDecoderEncode(b *testing.B) {
	lines := genLog(b, "combined", 1000)
	recs := make([][]byte, len(lines))
	for i, l := range lines {
		recs[i] = []byte(l)
	}
	d, err := NewAccessDecoder(combinedFormat, AccessOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var m message.Message
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Reset()
		m.Uuid = testUUID
		m.SetLogger("input.nginx")
		if err := d.Decode(recs[i%len(recs)], &m); err != nil {
			b.Fatal(err)
		}
		buf = m.AppendTo(buf[:0])
	}
}

// BenchmarkLuaMatch is grammar:match(line) called from Lua.
func BenchmarkLuaMatch(b *testing.B) {
	for _, fc := range benchFormats() {
		b.Run(fc.name, func(b *testing.B) {
			lines := genLog(b, fc.name, 1000)
			L := luaState(b)
			tb := L.NewTable()
			for _, l := range lines {
				tb.Append(lua.LString(l))
			}
			L.SetGlobal("lines", tb)
			L.SetGlobal("format", lua.LString(fc.format))
			if err := L.DoString(`
				local g = clf.build_nginx_grammar(format)
				local lines, n = lines, #lines
				function run(count)
					for i = 1, count do
						local t = g:match(lines[(i % n) + 1])
						if not t then error("no match") end
					end
				end`); err != nil {
				b.Fatal(err)
			}
			run := L.GetGlobal("run")
			b.ReportAllocs()
			b.ResetTimer()
			if err := L.CallByParam(lua.P{Fn: run, NRet: 0, Protect: true}, lua.LNumber(b.N)); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkLuaDecode is decoders.nginx.access's decode(line) called from
// Lua, with inject_message encoding the message table.
func BenchmarkLuaDecode(b *testing.B) {
	lines := genLog(b, "combined", 1000)
	e := newDecodeEnv(b, accessModule, openAccess, accessFactory, map[string]lua.LValue{"log_format": lua.LString(combinedFormat)})
	L := e.L
	var m message.Message
	var buf []byte
	L.SetGlobal("inject_message", L.NewFunction(func(L *lua.LState) int {
		if err := e.enc.ToMessage(L.CheckTable(1), &m); err != nil {
			L.RaiseError("%s", err)
		}
		buf = m.AppendTo(buf[:0])
		return 0
	}))
	// Reload the module so that it takes the new inject_message.
	L.Push(L.NewFunction(openAccess))
	L.Push(lua.LString(accessModule))
	L.Call(1, 1)
	L.SetGlobal("decode", L.GetField(L.Get(-1), "decode"))
	L.Pop(1)
	tb := L.NewTable()
	for _, l := range lines {
		tb.Append(lua.LString(l))
	}
	L.SetGlobal("lines", tb)
	if err := L.DoString(`
		local lines, n, decode = lines, #lines, decode
		function run(count)
			for i = 1, count do
				local err = decode(lines[(i % n) + 1])
				if err then error(err) end
			end
		end`); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := L.CallByParam(lua.P{Fn: L.GetGlobal("run"), NRet: 0, Protect: true}, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
}
