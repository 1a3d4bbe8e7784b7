package clf

import (
	"bytes"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// FuzzAccessLine matches arbitrary lines with a grammar holding every kind
// of scanner; when a line matches, the Lua table encoded by the sandbox's
// encoder and the Go decoder's message must be the same bytes.
func FuzzAccessLine(f *testing.F) {
	format := `$remote_addr $msec [$time_local] $time_iso8601 "$request" $status $body_bytes_sent $request_time ` +
		`$upstream_addr $upstream_response_time $upstream_status $upstream_response_length $upstream_cache_last_modified ` +
		`$scheme $https$is_args $pid "$http_user_agent" $x`
	f.Add(`1.2.3.4 1.5 [10/Feb/2014:08:46:41 -0800] 2014-02-10T08:46:41Z "GET / HTTP/1.1" 200 5 0.1 a:1, b:2 : c 0.1, - 200, - 1, 2 - https on? 7 "Mozilla/5.0 (Windows NT 6.1) Firefox/29.0" y`)
	f.Add(`::ffff:1.2.3.4 1.5 [10/Feb/2014:08:46:41 -0800] 2014-02-10T08:46:41.25+01:00 "\"x\"" 200 -5 0.1 - - - - Mon, 28 Sep 1970 06:00:00 GMT http ? 7 "" y`)
	d, err := NewAccessDecoder(format, AccessOptions{UserAgentTransform: true})
	if err != nil {
		f.Fatal(err)
	}
	L := lua.NewState()
	defer L.Close()
	enc := luamsg.NewEncoder(luamsg.Headers{UUID: func() [16]byte { return testUUID }, Now: func() int64 { return 1 }})
	f.Fuzz(func(t *testing.T, line string) {
		var m message.Message
		m.Reset()
		if err := d.Decode([]byte(line), &m); err != nil {
			return
		}
		m.Uuid = testUUID
		enc.Defaults(&m)
		goRaw := m.AppendTo(nil)
		ok, err := d.g.Match(line, &d.st)
		if !ok || err != nil {
			t.Fatalf("decoded but does not match: %v", err)
		}
		fields := d.g.table(L, &d.st, line)
		msg := L.NewTable()
		msg.RawSetString("Timestamp", fields.RawGetString("time"))
		fields.RawSetString("time", lua.LNil)
		if ua, ok := fields.RawGetString("http_user_agent").(lua.LString); ok {
			n := NormalizeUserAgent(string(ua))
			fields.RawSetString(uaBrowserField, luaStringOrNil(n.Browser))
			if n.HasVersion {
				fields.RawSetString(uaVersionField, lua.LNumber(n.Version))
			}
			fields.RawSetString(uaOSField, luaStringOrNil(n.OS))
			fields.RawSetString("http_user_agent", lua.LNil)
		}
		msg.RawSetString("Fields", fields)
		var lm message.Message
		if err := enc.ToMessage(msg, &lm); err != nil {
			t.Fatal(err)
		}
		if luaRaw := lm.AppendTo(nil); !bytes.Equal(luaRaw, goRaw) {
			t.Fatalf("differ\nLua: %s\nGo:  %s", describe(luaRaw), describe(goRaw))
		}
	})
}

// FuzzFormats builds grammars from arbitrary formats and matches the
// format itself and a few lines with them: nothing may panic.
func FuzzFormats(f *testing.F) {
	for _, s := range []string{combinedFormat, msecFormat, `%h %l %u %t \"%r\" %>s %b`, `%{%d/%b/%Y %T}t %{x}i \101`, "$", "%", `\`} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, format, line string) {
		var st State
		for _, build := range []func(string) (*Grammar, error){BuildNginx, BuildApache} {
			g, err := build(format)
			if err != nil {
				continue
			}
			_, _ = g.Match(format, &st)
			_, _ = g.Match(line, &st)
		}
		_, _ = NginxError.Match(line, &st)
		_ = NormalizeUserAgent(line)
	})
}
