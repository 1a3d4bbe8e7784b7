package clf

import (
	"errors"
	"reflect"
	"testing"
)

// TestNginxVariables checks each variable with a grammar of its own
// (the reference's test list, and more).
func TestNginxVariables(t *testing.T) {
	L := luaState(t)
	tests := []struct {
		format, line, key string
		want              any
	}{
		{`"$arg_generic"`, `"test \"item\""`, "arg_generic", `test \"item\"`},
		{"$binary_remote_addr", "aaaa", "binary_remote_addr", "aaaa"},
		{"$body_bytes_sent", "23", "body_bytes_sent", rep{23.0, "B"}},
		{"$bytes_sent", "24", "bytes_sent", rep{24.0, "B"}},
		{"$connection", "3", "connection", 3.0},
		{"$connection_requests", "0", "connection_requests", 0.0},
		{"$content_length", "123", "content_length", rep{123.0, "B"}},
		{"$host", "example.com", "host", rep{"example.com", "hostname"}},
		{"$host", "Example.COM", "host", rep{"Example.COM", "hostname"}},
		{"$host", "a%20b!$&'()*+,;=~_", "host", rep{"a%20b!$&'()*+,;=~_", "hostname"}},
		{"$hostname", "::1", "hostname", rep{"::1", "ipv6"}},
		{"$https", "on", "https", "on"},
		{"$https", "", "https", ""},
		{"$is_args", "?", "is_args", "?"},
		{"$is_args", "", "is_args", ""},
		{"$msec", "1391794831.755", "time", 1391794831755000000.0},
		{"$nginx_version", "1.1.1", "nginx_version", "1.1.1"},
		{"$pid", "99", "pid", 99.0},
		{"$pid", "-99", "pid", -99.0},
		{"$pipe", "p", "pipe", "p"},
		{"$pipe", ".", "pipe", "."},
		{"$proxy_protocol_addr", "127.0.0.1", "proxy_protocol_addr", rep{"127.0.0.1", "ipv4"}},
		{"$remote_addr", "127.0.0.1", "remote_addr", rep{"127.0.0.1", "ipv4"}},
		{"$remote_addr", "255.255.255.255", "remote_addr", rep{"255.255.255.255", "ipv4"}},
		{"$remote_addr", "2001:db8::1ba9:9ce5:c1e9:7a8", "remote_addr", rep{"2001:db8::1ba9:9ce5:c1e9:7a8", "ipv6"}},
		{"$remote_addr", "::ffff:1.2.3.4", "remote_addr", rep{"::ffff:1.2.3.4", "ipv6"}},
		{"$remote_addr", "fe80::1", "remote_addr", rep{"fe80::1", "ipv6"}},
		{"$remote_addr", "1:2:3:4:5:6:7:8", "remote_addr", rep{"1:2:3:4:5:6:7:8", "ipv6"}},
		{"$remote_addr", "1::", "remote_addr", rep{"1::", "ipv6"}},
		{"$remote_addr", "::", "remote_addr", rep{"::", "ipv6"}},
		{"$remote_port", "5435", "remote_port", 5435.0},
		{"$request_completion", "OK", "request_completion", "OK"},
		{"$request_completion", "", "request_completion", ""},
		{"$request_length", "23", "request_length", rep{23.0, "B"}},
		{"$request_method", "GET", "request_method", "GET"},
		{"$request_time", "1.123", "request_time", rep{1.123, "s"}},
		{"$scheme", "http", "scheme", "http"},
		{"$scheme", "https", "scheme", "https"},
		{"$server_addr", "127.0.0.1", "server_addr", rep{"127.0.0.1", "ipv4"}},
		{"$server_name", "example.com", "server_name", rep{"example.com", "hostname"}},
		{"$server_port", "5435", "server_port", 5435.0},
		{"$server_protocol", "HTTP/1.0", "server_protocol", "HTTP/1.0"},
		{"$status", "200", "status", 200.0},
		{"$tcpinfo_rtt", "200", "tcpinfo_rtt", 200.0},
		{"$tcpinfo_rttvar", "200", "tcpinfo_rttvar", 200.0},
		{"$tcpinfo_snd_cwnd", "200", "tcpinfo_snd_cwnd", 200.0},
		{"$tcpinfo_rcv_space", "200", "tcpinfo_rcv_space", 200.0},
		{"$time_iso8601", "2014-02-10T08:46:41-08:00", "time", 1392050801000000000.0},
		{"$time_iso8601", "2014-02-10T16:46:41Z", "time", 1392050801000000000.0},
		{"$time_iso8601", "2014-02-10T16:46:41.5+01:00", "time", 1392047201500000000.0},
		{"$time_local", "10/Feb/2014:08:46:41 -0800", "time", 1392050801000000000.0},
		{"$time_local", "10/Oct/2025:13:55:36 +0000", "time", 1760104536000000000.0},
		{"$time_local", "29/Feb/2024:23:59:60 +0130", "time", 1709245800000000000.0},
		{"$time_local", "31/Feb/2023:00:00:00 +0000", "time", 1677801600000000000.0}, // normalised as mktime does: 3 March
		{"$upstream_addr", "10.0.0.1:80", "upstream_addr", []any{"10.0.0.1:80"}},
		{"$upstream_addr", "10.0.0.1:80, 10.0.0.2:80 : unix:/tmp/sock", "upstream_addr", []any{"10.0.0.1:80", "10.0.0.2:80", "unix:/tmp/sock"}},
		{"$upstream_addr", "-", "upstream_addr", []any{"-"}},
		{"$upstream_cache_status", "MISS", "upstream_cache_status", "MISS"},
		{"$upstream_cache_status", "-", "upstream_cache_status", "-"},
		{"$upstream_cache_last_modified", "Mon, 10 Feb 2014 16:46:41 GMT", "upstream_cache_last_modified", 1392050801000000000.0},
		{"$upstream_cache_last_modified", "-", "upstream_cache_last_modified", "-"},
		{"$upstream_response_length", "0, 1234 : 56", "upstream_response_length", rep{[]any{0.0, 1234.0, 56.0}, "B"}},
		{"$upstream_response_length", "-", "upstream_response_length", "-"},
		{"$upstream_response_time", "0.001, - : 1.5", "upstream_response_time", rep{[]any{0.001, 0.0, 1.5}, "s"}},
		{"$upstream_response_time", "-", "upstream_response_time", rep{[]any{0.0}, "s"}},
		{"$upstream_status", "502, 200", "upstream_status", []any{502.0, 200.0}},
		{"$upstream_status", "-", "upstream_status", []any{0.0}},
		{"$upstream_http_x_cache", "HIT", "upstream_http_x_cache", "HIT"},
		{"$a$b", "xy z", "b", ""}, // the first takes all up to white space
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.line, func(t *testing.T) {
			keys, vals, err := matchLua(t, L, "build_nginx_grammar", tc.format, tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if vals == nil {
				t.Fatalf("no match")
			}
			if got := vals[tc.key]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v (keys %v)", tc.key, got, tc.want, keys)
			}
		})
	}
}

// TestNginxNoMatch checks values the typed variables refuse, and that a
// refused line is nil, not an error.
func TestNginxNoMatch(t *testing.T) {
	L := luaState(t)
	tests := []struct{ format, line string }{
		{"$status x", "-"},        // '-' is not a status
		{"$status x", "20 x"},     // two digits
		{"$body_bytes_sent", "-"}, // nginx writes 0, not '-'
		{"$request_time", "1"},    // a double needs a fraction
		{"$msec", "1391794831"},
		{"[$generic]", "[a]"}, // asymmetric delimiters: the string stops at '[' only, so takes "a]"
		{"$remote_addr x", "1.2.3.4:80 x"},
		{"$remote_addr", ""},
		{"$time_local", "10/Foo/2014:08:46:41 -0800"},
		{"$time_local", "10/Feb/2014:24:46:41 -0800"},
		{"$time_local", "10/Feb/2014:08:46:41 -08:00"},
		{"$time_iso8601", "2014-02-10T08:46:41-0800"},
		{"$time_iso8601", "2014-02-10 08:46:41Z"},
		{"[$time_local]", "10/Feb/2014:08:46:41 -0800"},
		{`"$request"`, `GET / HTTP/1.1"`},
		{"$upstream_response_length", "x"},
		{"$scheme", "ftp"},
		{"$server_protocol", "HTTP/2"},
		{"$binary_remote_addr", "abc"},
		{"a $pid", "a"},
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.line, func(t *testing.T) {
			_, vals, err := matchLua(t, L, "build_nginx_grammar", tc.format, tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if vals != nil {
				t.Errorf("matched: %v", vals)
			}
		})
	}
}

// TestNginxHostNoBacktrack checks that a host scanner commits as the
// reference's ordered choice does: an alternative that fails is left for
// the next (256.1.1.1 is no IPv4 address, so it is a host name), but one
// that matched a prefix is kept even when what follows then fails.
func TestNginxHostNoBacktrack(t *testing.T) {
	L := luaState(t)
	for _, tc := range []struct {
		line string
		want any
	}{
		{"256.1.1.1 x", rep{"256.1.1.1", "hostname"}},
		{"1.2.3.4.5 x", nil},    // v4 takes 1.2.3.4, then ' ' fails at ".5"
		{"1.2.3.456 x", nil},    // v4 takes 1.2.3.45
		{"1.2.3.4a x", nil},     // v4 takes 1.2.3.4
		{"fe80::1%eth0 x", nil}, // v6 takes fe80::1, '%e' is no pct-encoding
		{"cafe x", rep{"cafe", "hostname"}},
		{"dead:beef x", nil}, // v6 fails, hostname takes "dead", ':' is no space
	} {
		_, vals, err := matchLua(t, L, "build_nginx_grammar", "$remote_addr x", tc.line)
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if vals != nil {
			got = vals["remote_addr"]
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %#v, want %#v", tc.line, got, tc.want)
		}
	}
}

func TestNginxCombined(t *testing.T) {
	L := luaState(t)
	line := `127.0.0.1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0"`
	keys, vals, err := matchLua(t, L, "build_nginx_grammar", combinedFormat, line)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"remote_addr":     rep{"127.0.0.1", "ipv4"},
		"remote_user":     "-",
		"time":            1392050801000000000.0,
		"request":         "GET / HTTP/1.1",
		"status":          304.0,
		"body_bytes_sent": rep{0.0, "B"},
		"http_referer":    "-",
		"http_user_agent": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0",
	}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got %#v\nwant %#v", vals, want)
	}
	wantKeys := []string{"remote_addr", "remote_user", "time", "request", "status", "body_bytes_sent", "http_referer", "http_user_agent"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("key order %v, want %v", keys, wantKeys)
	}
}

// TestNginxMsec is the reference's msec test: what follows the format is
// ignored (the grammar matches a prefix).
func TestNginxMsec(t *testing.T) {
	L := luaState(t)
	line := `1391794831.755 127.0.0.1 "GET / HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0" "-" 0.000`
	_, vals, err := matchLua(t, L, "build_nginx_grammar", `$msec $remote_addr "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`, line)
	if err != nil {
		t.Fatal(err)
	}
	if vals["time"] != 1391794831755000000.0 || vals["status"] != 304.0 || vals["request"] != "GET / HTTP/1.1" {
		t.Errorf("got %#v", vals)
	}
}

// TestNginxSpacesAndQuotes: a space in the format is one or more white
// space characters; \" does not end a quoted field, and stays in it.
func TestNginxSpacesAndQuotes(t *testing.T) {
	L := luaState(t)
	_, vals, err := matchLua(t, L, "build_nginx_grammar", `$remote_addr "$request" $status`, "1.2.3.4 \t \"GET /\\\"x\\\" HTTP/1.1\"  200")
	if err != nil {
		t.Fatal(err)
	}
	if vals == nil || vals["request"] != `GET /\"x\" HTTP/1.1` || vals["status"] != 200.0 {
		t.Errorf("got %#v", vals)
	}
	// A backslash before a quote escapes it: the field runs on.
	_, vals, _ = matchLua(t, L, "build_nginx_grammar", `"$a" $b`, `"x\" y" z`)
	if vals == nil || vals["a"] != `x\" y` || vals["b"] != "z" {
		t.Errorf("got %#v", vals)
	}
	// So a field ending in a backslash swallows its closing quote.
	_, vals, _ = matchLua(t, L, "build_nginx_grammar", `"$a" "$b"`, `"x\" "y"`)
	if vals != nil {
		t.Errorf("got %#v", vals)
	}
}

// TestNginxDuplicateAndTime: the same name twice keeps its first
// position and last value; $time_local and $msec both capture "time".
func TestNginxDuplicateAndTime(t *testing.T) {
	L := luaState(t)
	keys, vals, err := matchLua(t, L, "build_nginx_grammar", `$msec $a [$time_local] $a`, `1.5 x [10/Feb/2014:08:46:41 -0800] y`)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys, []string{"time", "a"}) || vals["a"] != "y" || vals["time"] != 1392050801000000000.0 {
		t.Errorf("keys %v vals %#v", keys, vals)
	}
}

func TestNginxBadFormat(t *testing.T) {
	L := luaState(t)
	if _, _, err := matchLua(t, L, "build_nginx_grammar", "", "x"); err == nil ||
		!contains(err.Error(), "could not parse the log_format configuration") {
		t.Errorf("empty format: %v", err)
	}
	if _, err := BuildNginx(""); !errors.Is(err, ErrFormat) {
		t.Errorf("BuildNginx: %v", err)
	}
	// A lone '$' or "${x}" is literal text.
	_, vals, err := matchLua(t, L, "build_nginx_grammar", "$ ${x} $y", "$ ${x} z")
	if err != nil || vals == nil || vals["y"] != "z" {
		t.Errorf("literal dollars: %v %v", vals, err)
	}
}

func TestMatchInit(t *testing.T) {
	L := luaState(t)
	if err := L.DoString(`
		local g = clf.build_nginx_grammar("$status")
		assert(g:match("xx200", 3).status == 200)
		assert(g:match("xx200", -3).status == 200)
		assert(g:match("xx200", 10) == nil)
		assert(g:match("xx200") == nil)
		assert(tostring(g):find("nginx grammar: $status", 1, true))
		local ok, err = pcall(g.match, {}, "x")
		assert(not ok)
	`); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
