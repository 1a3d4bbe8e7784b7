package clf

import (
	"reflect"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestNginxErrorGrammar(t *testing.T) {
	L := luaState(t)
	tests := []struct {
		line string
		keys []string
		want map[string]any
	}{
		{`2014/03/01 11:29:39 [notice] 16842#0: using inherited sockets from "6;"`,
			[]string{"time", "severity", "pid", "tid", "msg"},
			map[string]any{"pid": 16842.0, "msg": `using inherited sockets from "6;"`, "severity": 5.0,
				"time": 1393673379000000000.0, "tid": 0.0}},
		{`2014/03/01 11:29:39 [notice] 16842#0: *8878 using inherited sockets from "6;"`,
			[]string{"time", "severity", "pid", "tid", "connection", "msg"},
			map[string]any{"pid": 16842.0, "msg": `using inherited sockets from "6;"`, "severity": 5.0,
				"time": 1393673379000000000.0, "tid": 0.0, "connection": 8878.0}},
		{`2024/01/31 23:59:59 [emerg] 1#2: *x no connection`,
			[]string{"time", "severity", "pid", "tid", "msg"},
			map[string]any{"pid": 1.0, "msg": "*x no connection", "severity": 0.0, "time": 1706745599000000000.0, "tid": 2.0}},
		{`2024/01/31 23:59:59 [debug] 1#2: `,
			[]string{"time", "severity", "pid", "tid", "msg"},
			map[string]any{"pid": 1.0, "msg": "", "severity": 7.0, "time": 1706745599000000000.0, "tid": 2.0}},
	}
	for _, tc := range tests {
		keys, vals := errorMatch(t, L, tc.line)
		if !reflect.DeepEqual(vals, tc.want) || !reflect.DeepEqual(keys, tc.keys) {
			t.Errorf("%q:\n got %v %#v\nwant %v %#v", tc.line, keys, vals, tc.keys, tc.want)
		}
	}
	for i, l := range []string{"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"} {
		_, vals := errorMatch(t, L, "2024/01/31 23:59:59 ["+l+"] 1#2: m")
		if vals["severity"] != float64(7-i) {
			t.Errorf("%s: severity %v", l, vals["severity"])
		}
	}
	for _, bad := range []string{
		"",
		"2024/01/31 23:59:59 [warning] 1#2: m",
		"2024/01/31 23:59:59 [warn] 1#2 m",
		"2024/01/31 23:59:59 [warn] 1: m",
		"2024-01-31 23:59:59 [warn] 1#2: m",
		"2024/01/31 23:59:59  [warn] 1#2: m",
	} {
		if _, vals := errorMatch(t, L, bad); vals != nil {
			t.Errorf("%q matched: %v", bad, vals)
		}
	}
}

func errorMatch(t *testing.T, L *lua.LState, line string) ([]string, map[string]any) {
	t.Helper()
	g := L.GetField(L.GetGlobal("clf"), "nginx_error_grammar")
	if err := L.CallByParam(lua.P{Fn: L.GetField(g, "match"), NRet: 1, Protect: true}, g, lua.LString(line)); err != nil {
		t.Fatal(err)
	}
	res := L.Get(-1)
	L.Pop(1)
	tb, ok := res.(*lua.LTable)
	if !ok {
		return nil, nil
	}
	var keys []string
	vals := map[string]any{}
	forEach(tb, func(k, v lua.LValue) {
		keys = append(keys, k.String())
		vals[k.String()] = toGo(v)
	})
	return keys, vals
}

func TestNormalizeUserAgent(t *testing.T) {
	L := luaState(t)
	tests := []struct {
		ua      string
		browser any
		version any
		os      any
	}{
		{"Mozilla/5.0 (Windows NT 6.2; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1667.0 Safari/537.36", "Chrome", 32.0, "Windows 8"},
		{"Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; WOW64; Trident/6.0)", "MSIE", 10.0, "Windows 7"},
		{"Mozilla/5.0 (Windows NT 6.1; rv:29.0) Gecko/20100101 Firefox/29.0", "Firefox", 29.0, "Windows 7"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.8; rv:29.0) Gecko/20100101 Firefox/29.0", "Firefox", 29.0, "Macintosh"},
		{"Mozilla/5.0 (Mobile; rv:29.0) Gecko/20100101 Firefox/29.0", "Firefox", 29.0, "FirefoxOS"},
		{"curl/7.29.0", nil, nil, nil},
		{"Apache-HttpClient/UNAVAILABLE (java 1.5)", nil, nil, nil},
		{"Mozilla/5.0 (iPad; U; CPU OS 3_2_1 like Mac OS X; en-us) AppleWebKit/531.21.10 (KHTML, like Gecko) Mobile/7B405", nil, nil, "iPad"},
		{"Googlebot/2.1 (+http://www.google.com/bot.html)", nil, nil, nil},
		{"", nil, nil, nil},
		{"-", nil, nil, nil},
		{"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0; MSIE; )", "MSIE", nil, "Windows 7"},
		{"Firefox/29.0 FxSync/1.31.0.20140327113732.desktop", "Firefox", 29.0, nil},
		{"Mozilla/5.0 (iPad; CPU OS 6_0 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko) Version/6.0 Mobile/10A5355d Safari/8536.25", "Safari", 8536.0, "iPad"},
		{"Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54", "Opera Mini", 10.0, nil},
		{"Opera/12.02 (Android 4.1; Linux; Opera Mobi/ADR-1111101157; U; en-US) Presto/2.9.201 Version/12.02", "Opera Mobi", 12.0, "Android"},
		{"Opera/9.80 (Windows NT 6.0) Presto/2.12.388 Version/12.14", "Opera", 12.0, "Windows Vista"},
		{"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.10136", "Edge", 12.0, "Windows 10"},
		{"Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko", "MSIE", 11.0, "Windows 8.1"},
		{"Firefox AndroidSync 1.20.0.1.0 (Firefox)", "FxSync", 1.0, "Android"},
		{"Firefox-iOS-Sync/1.0 (Firefox)", "FxSync", 1.0, "iOS"},
		{"Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36", "Chrome", 139.0, "Android"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari", 604.0, "iPhone"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0", "Firefox", 143.0, "Linux"},
	}
	for _, tc := range tests {
		L.SetGlobal("ua", lua.LString(tc.ua))
		if err := L.DoString(`b, v, o = clf.normalize_user_agent(ua)`); err != nil {
			t.Fatal(err)
		}
		got := []any{toGo(L.GetGlobal("b")), toGo(L.GetGlobal("v")), toGo(L.GetGlobal("o"))}
		if want := []any{tc.browser, tc.version, tc.os}; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v, want %v", tc.ua, got, want)
		}
	}
	if err := L.DoString(`assert(select("#", clf.normalize_user_agent(nil)) == 0)`); err != nil {
		t.Error(err)
	}
}

func TestNginxUpstream(t *testing.T) {
	L := luaState(t)
	format := `$upstream_addr $upstream_cache_status $upstream_response_length $upstream_response_time $upstream_status "$upstream_http_test" $upstream_cache_last_modified`
	line := `192.168.1.1:80, 192.168.1.2:80, unix:/tmp/sock : 192.168.10.1:80, 192.168.10.2:80 HIT 1, 2, 3 : 4, 5 1.1, 1.2, 1.3 : 1.4, - 200, 201, 202 : 203, - "header field" Mon, 28 Sep 1970 06:00:00 GMT`
	_, vals, err := matchLua(t, L, "build_nginx_grammar", format, line)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"upstream_addr":                []any{"192.168.1.1:80", "192.168.1.2:80", "unix:/tmp/sock", "192.168.10.1:80", "192.168.10.2:80"},
		"upstream_cache_status":        "HIT",
		"upstream_response_length":     rep{[]any{1.0, 2.0, 3.0, 4.0, 5.0}, "B"},
		"upstream_response_time":       rep{[]any{1.1, 1.2, 1.3, 1.4, 0.0}, "s"},
		"upstream_status":              []any{200.0, 201.0, 202.0, 203.0, 0.0},
		"upstream_http_test":           "header field",
		"upstream_cache_last_modified": 2.33496e16,
	}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got  %#v\nwant %#v", vals, want)
	}
	_, vals, err = matchLua(t, L, "build_nginx_grammar", format, `- - - - - "-" -`)
	if err != nil || vals == nil {
		t.Fatalf("defaults: %v %v", vals, err)
	}
	want = map[string]any{
		"upstream_addr": []any{"-"}, "upstream_cache_status": "-", "upstream_response_length": "-",
		"upstream_response_time": rep{[]any{0.0}, "s"}, "upstream_status": []any{0.0},
		"upstream_http_test": "-", "upstream_cache_last_modified": "-",
	}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("defaults: got  %#v\nwant %#v", vals, want)
	}
}
