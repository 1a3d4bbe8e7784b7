package clf

import (
	"reflect"
	"testing"
)

func TestApacheDirectives(t *testing.T) {
	L := luaState(t)
	tests := []struct {
		format, key, line string
		want              any
	}{
		{"%a", "remote_addr", "127.0.0.1", rep{"127.0.0.1", "ipv4"}},
		{"%A", "server_addr", "127.0.0.1", rep{"127.0.0.1", "ipv4"}},
		{"%B", "body_bytes_sent", "23", rep{23.0, "B"}},
		{"%b", "body_bytes_sent", "23", rep{23.0, "B"}},
		{"%b", "body_bytes_sent", "-", rep{0.0, "B"}},
		{"%D", "request_time", "123", rep{123.0, "us"}},
		{"%f", "request_filename", "test.txt", "test.txt"},
		{"%h", "remote_addr", "example.com", rep{"example.com", "hostname"}},
		{"%H", "server_protocol", "HTTP/1.0", "HTTP/1.0"},
		{"%k", "connection_requests", "0", 0.0},
		{"%l", "remote_user", "waldo", "waldo"},
		{"%L", "request_log_id", "???", "???"},
		{"%m", "request_method", "GET", "GET"},
		{"%p", "server_port", "5435", 5435.0},
		{"%P", "pid", "99", 99.0},
		{"%q", "query_string", "query", "query"},
		{"%r", "request", "request", "request"},
		{"%R", "request_handler", "handler", "handler"},
		{"%s", "status", "200", 200.0},
		{"%t", "time", "[10/Feb/2014:08:46:41 -0800]", 1392050801000000000.0},
		{"%T", "request_time", "1", rep{1.0, "s"}},
		{"%u", "remote_user", "remote", "remote"},
		{"%U", "uri", "uri", "uri"},
		{"%v", "server_name", "example.com", rep{"example.com", "hostname"}},
		{"%V", "server_name", "example.com", rep{"example.com", "hostname"}},
		{`\"%V\"`, "server_name", `"example.com"`, rep{"example.com", "hostname"}},
		{"%X", "connection_status", "X", "X"},
		{"%X", "connection_status", "+", "+"},
		{"%X", "connection_status", "-", "-"},
		{"%I", "request_length", "23", rep{23.0, "B"}},
		{"%O", "response_length", "23", rep{23.0, "B"}},
		{"%S", "total_length", "23", rep{23.0, "B"}},
		{"%>s", "status", "200", 200.0},
		{"%<s", "status", "200", 200.0},
		{"%{c}a", "remote_addr", "127.0.0.1", rep{"127.0.0.1", "ipv4"}},
		{"%{Test-item}C", "cookie_Test-item", "item", "item"},
		{"%{Test-item}e", "env_Test-item", "item", "item"},
		{`"%{User-agent}i"`, "http_user_agent", `"Mozilla/5.0 (comment)"`, "Mozilla/5.0 (comment)"},
		{`"%400,501{User-agent}i"`, "http_user_agent", `"Mozilla/5.0 (comment)"`, "Mozilla/5.0 (comment)"},
		{`"%!400,501{User-agent}i"`, "http_user_agent", `"Mozilla/5.0 (comment)"`, "Mozilla/5.0 (comment)"},
		{"%{Test-item}n", "module_Test-item", "item", "item"},
		{"%{Test-item}o", "sent_http_test_item", "item", "item"},
		{"%{canonical}p", "server_port", "99", 99.0},
		{"%{local}p", "server_port", "99", 99.0},
		{"%{remote}p", "remote_port", "99", 99.0},
		{"%{pid}P", "pid", "99", 99.0},
		{"%{tid}P", "tid", "99", 99.0},
		{"%{hextid}P", "tid", "63", 99.0},
		{"%{sec}t", "time", "1392050801", 1392050801000000000.0},
		{"%{begin:sec}t", "time", "1392050801", 1392050801000000000.0},
		{"%{end:sec}t", "time", "1392050801", 1392050801000000000.0},
		{"%{msec}t", "time", "1392050801000", 1392050801000000000.0},
		{"%{usec}t", "time", "1392050801000000", 1392050801000000000.0},
		{"%{msec_frac}t", "sec_frac", "010", 0.010},
		{"%{usec_frac}t", "sec_frac", "010000", 0.010},
		{"%{%d/%b/%Y:%H:%M:%S %z}t", "time", "10/Feb/2014:08:46:41 -0800", 1392050801000000000.0},
		{"%{%s}t", "time", "1392050801", 1392050801000000000.0},
		{"%{%Y-%m-%dT%T %Z}t", "time", "2014-02-10T08:46:41 PST", 1392050801000000000.0},
		{"%{%c}t", "time", "Mon Feb 10 16:46:41 2014", 1392050801000000000.0},
		{"%{%e %B %y %I:%M:%S %p}t", "time", " 9 February 14 04:46:41 PM", 1391964401000000000.0},
		{"%{%F %r}t", "time", "2014-02-10 12:00:00 AM", 1391990400000000000.0},
		{"%{%D %R}t", "time", "02/10/14 16:46", 1392050760000000000.0},
		{`"%r"`, "request", `"test \"item\""`, `test \"item\"`},
		{`"%{Test-item}o"`, "sent_http_test_item", `"test \"item\""`, `test \"item\"`},
		{"%{SSL_PROTOCOL}x", "ssl_protocol", "TLSv1.2", "TLSv1.2"},
		{`"%{SSL_CIPHER}x"`, "ssl_cipher", `"ECDHE-RSA-AES256-SHA"`, "ECDHE-RSA-AES256-SHA"},
		{"%%%s", "status", "%200", 200.0},
		{`\t%s\101`, "status", "\t200e", 200.0}, // decimal, as the reference reads it
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			_, vals, err := matchLua(t, L, "build_apache_grammar", tc.format, tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if vals == nil {
				t.Fatalf("no match of %q", tc.line)
			}
			if got := vals[tc.key]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v (all: %v)", tc.key, got, tc.want, vals)
			}
		})
	}
}

// TestApacheStrftimeNoDate: os.time needs a day, month and year; the
// reference raises its error from the match.
func TestApacheStrftimeNoDate(t *testing.T) {
	L := luaState(t)
	_, _, err := matchLua(t, L, "build_apache_grammar", "%{%H:%M}t", "10:11")
	if err == nil || !contains(err.Error(), "field 'day' missing in date table") {
		t.Errorf("err = %v", err)
	}
	// The other specifiers match what they should.
	_, vals, err := matchLua(t, L, "build_apache_grammar", "%{%a %A %j %u %w %U %C %n%t%% %d %m %Y}t",
		"Mon Monday 366 7 6 53 20 \n\t% 01 02 2003")
	if err != nil || vals == nil || vals["time"] != 1044100800000000000.0 {
		t.Errorf("vals %v err %v", vals, err)
	}
}

func TestApacheFormats(t *testing.T) {
	L := luaState(t)
	combined := `127.0.0.1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0"`
	tests := []struct {
		name, format, line string
		want               map[string]any
	}{
		{"custom", `%% %a %B %b %D %f %k %p %P %s %t %T %v %X %I %O %S %A`,
			`% 127.0.0.1 235 235 204 test.txt 2 80 1234 404 [20/Mar/2014:08:56:26 -0700] 0 example.com + 311 498 809 ::1`,
			map[string]any{
				"server_addr": rep{"::1", "ipv6"}, "pid": 1234.0, "total_length": rep{809.0, "B"},
				"server_port": 80.0, "request_length": rep{311.0, "B"}, "connection_requests": 2.0,
				"connection_status": "+", "body_bytes_sent": rep{235.0, "B"},
				"remote_addr": rep{"127.0.0.1", "ipv4"}, "time": 1395330986000000000.0,
				"response_length": rep{498.0, "B"}, "request_time": rep{0.0, "s"},
				"request_filename": "test.txt", "status": 404.0, "server_name": rep{"example.com", "hostname"},
			}},
		{"clf", `%h %l %u %t \"%r\" %>s %b`, `127.0.0.1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 304 0`,
			map[string]any{
				"remote_addr": rep{"127.0.0.1", "ipv4"}, "remote_user": "-", "body_bytes_sent": rep{0.0, "B"},
				"time": 1392050801000000000.0, "request": "GET / HTTP/1.1", "status": 304.0,
			}},
		{"vhost_combined", `%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"`,
			`127.0.1.1:80 127.0.0.1 - - [20/Mar/2014:12:38:34 -0700] "GET / HTTP/1.1" 404 492 "-" "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0"`,
			map[string]any{
				"remote_user": "-", "server_port": 80.0, "http_referer": "-", "remote_addr": rep{"127.0.0.1", "ipv4"},
				"time": 1395344314000000000.0, "response_length": rep{492.0, "B"}, "request": "GET / HTTP/1.1",
				"http_user_agent": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0",
				"status":          404.0, "server_name": rep{"127.0.1.1", "ipv4"},
			}},
		{"custom_method", `%v %h %l %u %t \"%m %f %H\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"`,
			`127.0.1.1 127.0.0.1 - - [20/Mar/2014:12:38:34 -0700] "Get_Script2 / HTTP/1.1" 404 492 "-" "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0"`,
			map[string]any{
				"server_name": rep{"127.0.1.1", "ipv4"}, "remote_addr": rep{"127.0.0.1", "ipv4"}, "remote_user": "-",
				"time": 1395344314000000000.0, "request_method": "Get_Script2", "request_filename": "/",
				"server_protocol": "HTTP/1.1", "status": 404.0, "response_length": rep{492.0, "B"}, "http_referer": "-",
				"http_user_agent": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0",
			}},
		{"combined", `%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"`, combined,
			map[string]any{
				"remote_addr": rep{"127.0.0.1", "ipv4"}, "remote_user": "-", "time": 1392050801000000000.0,
				"request": "GET / HTTP/1.1", "status": 304.0, "body_bytes_sent": rep{0.0, "B"}, "http_referer": "-",
				"http_user_agent": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:26.0) Gecko/20100101 Firefox/26.0",
			}},
		{"referer", `%{Referer}i -> %U`, `- -> /`, map[string]any{"uri": "/", "http_referer": "-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, vals, err := matchLua(t, L, "build_apache_grammar", tc.format, tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(vals, tc.want) {
				t.Errorf("got  %#v\nwant %#v", vals, tc.want)
			}
		})
	}
}

func TestApacheBadFormats(t *testing.T) {
	L := luaState(t)
	for _, tc := range []struct{ format, err string }{
		{"", "could not parse the log_format configuration"},
		{"%z", "unknown variable: z"},
		{"%{x}z", "unknown variable: z"},
		{"%{x}p", "unknown port format: x"},
		{"%{x}P", "unknown pid format: x"},
		{"%{%Q}t", "unknown strftime specifier: Q"},
		{`a\qb`, "invalid escape sequence"},
		{`\999`, "invalid escape sequence"},
	} {
		_, _, err := matchLua(t, L, "build_apache_grammar", tc.format, "x")
		if err == nil || !contains(err.Error(), tc.err) {
			t.Errorf("%q: err %v, want %q", tc.format, err, tc.err)
		}
	}
	// Not directives: literal text.
	_, vals, err := matchLua(t, L, "build_apache_grammar", "%{x} %5 %", "%{x} %5 %")
	if err != nil || vals == nil || len(vals) != 0 {
		t.Errorf("literal percents: %v %v", vals, err)
	}
}
