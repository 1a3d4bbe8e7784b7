package test

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syslogOut writes one line per message: Type, Hostname, Severity, Pid,
// Timestamp, Payload, then name=value for each field; flushed at once.
const syslogOut = `
require "io"
require "string"
require "table"
local out = assert(io.open(read_config("out"), "w"))
function process_message()
    local m = decode_message(read_message("raw"))
    local parts = {m.Type or "", m.Hostname or "", tostring(m.Severity), tostring(m.Pid),
        string.format("%d", m.Timestamp), m.Payload or ""}
    for _, f in ipairs(m.Fields or {}) do
        parts[#parts + 1] = f.name .. "=" .. tostring(f.value[1])
    end
    out:write(table.concat(parts, "|"), "\n")
    out:flush()
    return 0
end
function timer_event() end
`

// freeSyslogPort returns a port free for UDP and TCP on 127.0.0.1.
func freeSyslogPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// TestSyslogListener runs the binary with the syslog input on UDP and TCP
// and an output writing a file, sends RFC 3164 and RFC 5424 records as
// datagrams and on TCP connections in both framings, and checks every
// message arrives with its fields; an oversized record is reported in the
// log and skipped, and the daemon stops cleanly on SIGTERM.
func TestSyslogListener(t *testing.T) {
	dir := t.TempDir()
	port := freeSyslogPort(t)
	files(t, dir, map[string]string{
		"sightline.toml": "output_path = \"output\"\nsandbox_run_path = \"run\"\nsandbox_install_path = \"\"\nmax_message_size = 1024\n",
		"run/input/syslog.toml": fmt.Sprintf(`filename = "syslog.lua"
instruction_limit = 0
address = "127.0.0.1"
port = %d
protocol = "both"
default_headers = { Type = "syslog" }

[decoders_syslog]
sub_decoders = { nginx = "decoders.nginx.access" }

[decoders_nginx_access]
log_format = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
`, port),
		"run/output/out.toml": "filename = \"out.lua\"\nmessage_matcher = \"Type == 'syslog'\"\nout = \"out.txt\"\n",
		"run/output/out.lua":  syslogOut,
		"run/analysis/.keep":  "",
	})
	p := start(t, dir, "sightline.toml")
	defer func() {
		select {
		case <-p.done:
		default:
			p.kill(t)
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Wait for the listener: a TCP connection succeeds.
	if !waitFor(func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 20*time.Second) {
		t.Fatalf("the listener did not come up; stderr:\n%s", p.stderr)
	}

	want := map[string]string{} // payload -> what its line must contain
	udp, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for i := range 50 {
		payload := fmt.Sprintf("udp record %d", i)
		want[payload] = fmt.Sprintf("syslog|web1|3|%d|", 100+i)
		fmt.Fprintf(udp, "<11>Oct 11 22:14:15 web1 app[%d]: %s", 100+i, payload)
		time.Sleep(time.Millisecond) // loopback UDP drops nothing at this rate
	}
	want["rfc5424 record"] = "syslog|mymachine.example.com|5|"
	fmt.Fprintf(udp, `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 42 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] rfc5424 record`)
	// A sub-decoder (Go decoders.nginx.access): no Payload, nginx's fields.
	want[""] = "syslog|web1|6|"
	fmt.Fprintf(udp, `<190>2014-02-10T08:46:41-08:00 web1 nginx: 127.0.0.1 - - [10/Feb/2014:08:46:41 -0800] "GET / HTTP/1.1" 304 0 "-" "Mozilla/5.0"`)
	// Oversized: reported and skipped.
	fmt.Fprintf(udp, "<11>Oct 11 22:14:15 web1 big: %s", strings.Repeat("x", 2000))

	var wg sync.WaitGroup
	for c := range 5 {
		for i := range 20 {
			want[fmt.Sprintf("tcp %d/%d", c, i)] = fmt.Sprintf("syslog|db%d|6|", c)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			var b bytes.Buffer
			for i := range 20 {
				rec := fmt.Sprintf("<30>2024-03-01T10:00:%02d.5+01:00 db%d postgres[7]: tcp %d/%d", i, c, c, i)
				if c%2 == 0 {
					fmt.Fprintf(&b, "%d %s", len(rec), rec) // octet counting
				} else {
					fmt.Fprintf(&b, "%s\n", rec) // line feed
				}
				if i == 10 { // an oversized record in the middle of the stream
					big := "<30>2024-03-01T10:00:00Z db big: " + strings.Repeat("y", 3000)
					if c%2 == 0 {
						fmt.Fprintf(&b, "%d %s", len(big), big)
					} else {
						fmt.Fprintf(&b, "%s\n", big)
					}
				}
			}
			if _, err := conn.Write(b.Bytes()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	out := filepath.Join(dir, "out.txt")
	var lines []string
	ok := waitFor(func() bool {
		lines = readLines(t, out)
		return len(lines) >= len(want)
	}, 30*time.Second)
	if !ok {
		t.Errorf("%d lines, want %d; stderr:\n%s", len(lines), len(want), p.stderr)
	}
	time.Sleep(200 * time.Millisecond) // anything extra would show now
	lines = readLines(t, out)
	seen := map[string]bool{}
	for _, l := range lines {
		parts := strings.Split(l, "|")
		if len(parts) < 6 {
			t.Errorf("line %q", l)
			continue
		}
		payload := parts[5]
		prefix, ok := want[payload]
		if !ok {
			t.Errorf("unexpected message %q", l)
			continue
		}
		if seen[payload] {
			t.Errorf("duplicate %q", l)
		}
		seen[payload] = true
		if !strings.HasPrefix(l, prefix) {
			t.Errorf("%q does not start with %q", l, prefix)
		}
		if !strings.Contains(l, "|sender_ip=127.0.0.1|sender_port=") {
			t.Errorf("%q: no sender fields", l)
		}
	}
	for payload := range want {
		if !seen[payload] {
			t.Errorf("missing %q", payload)
		}
	}
	for _, l := range lines {
		switch {
		case strings.Contains(l, "|rfc5424 record|"):
			for _, f := range []string{"|app-name=evntslog", "|procid=42", "|msgid=ID47", "|syslogfacility=20",
				"|sd_id=exampleSDID@32473", "|_iut=3", "|_eventSource=Application", "|1065910455003000064|"} {
				if !strings.Contains(l, f) {
					t.Errorf("%q lacks %q", l, f)
				}
			}
		case strings.HasPrefix(l, "syslog|web1|6|"):
			for _, f := range []string{"|1392050801000000000||", "|programname=nginx", "|remote_addr=127.0.0.1", "|status=304",
				"|request=GET / HTTP/1.1", "|http_user_agent=Mozilla/5.0"} {
				if !strings.Contains(l, f) {
					t.Errorf("%q lacks %q", l, f)
				}
			}
		case strings.Contains(l, "|tcp 0/3|"):
			if !strings.Contains(l, "|1709283603500000000|") || !strings.Contains(l, "|programname=postgres") {
				t.Errorf("tcp record: %q", l)
			}
		}
	}
	if n := strings.Count(p.stderr.String(), "record over max_message_size, skipped"); n != 6 {
		t.Errorf("%d oversize reports, want 6; stderr:\n%s", n, p.stderr)
	}
	start := time.Now()
	p.stop(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopping took %v", d)
	}
}
