package syslog

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

// pluginSource is the shipped input plugin.
func pluginSource(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../../plugins/lua/input/syslog.lua")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// freePort returns a port free for both UDP and TCP on 127.0.0.1.
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		_ = ln.Close()
		if err == nil {
			_ = pc.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// syncLog is a slog handler target safe for concurrent writes.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running starts process_message of the listener plugin on a goroutine and
// returns a function that stops it and returns its error.
func running(t *testing.T, s *sandbox.Sandbox) func() error {
	done := make(chan error, 1)
	go func() {
		_, _, err := s.ProcessInput(sandbox.Checkpoint{})
		done <- err
	}()
	return func() error {
		s.Stop()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("process_message did not return within 5 s of Stop")
			return nil
		}
	}
}

func waitCount(t *testing.T, h *host, n int) []*message.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := h.messages()
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			for _, m := range msgs {
				t.Logf("%s %q", m.Type, m.Payload)
			}
			t.Fatalf("%d messages, want %d", len(msgs), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestListener(t *testing.T) {
	port := freePort(t)
	cfg := fmt.Sprintf(`
address = "127.0.0.1"
port = %d
protocol = "both"
send_decode_failures = true
max_message_size = 512
default_headers = {Type = "syslog"}
`, port)
	log := &syncLog{}
	s, h, err := newPlugin(t, config.Input, pluginSource(t), cfg, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, s)
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	var want []string // payloads expected, in any order
	udp, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for i := range 20 {
		p := fmt.Sprintf("udp message %d", i)
		want = append(want, p)
		if _, err := fmt.Fprintf(udp, "<14>Oct 11 22:14:15 host app[%d]: %s\n", i, p); err != nil {
			t.Fatal(err)
		}
	}
	// RFC 5424 over UDP.
	want = append(want, "rfc5424 over udp")
	fmt.Fprintf(udp, `<165>1 2003-10-11T22:14:15.003Z h5 app 77 ID1 [x@1 k="v"] rfc5424 over udp`)
	// Oversized datagram: reported and skipped.
	if _, err := udp.Write([]byte("<14>Oct 11 22:14:15 host big: " + strings.Repeat("x", 600))); err != nil {
		t.Fatal(err)
	}

	// Many TCP connections, both framings, records split across writes.
	var wg sync.WaitGroup
	const conns = 8
	for c := range conns {
		for i := range 10 {
			want = append(want, fmt.Sprintf("tcp %d record %d", c, i))
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
			for i := range 10 {
				rec := fmt.Sprintf("<13>Feb  5 17:32:18 h%d prog[%d]: tcp %d record %d", c, i, c, i)
				if (c+i)%2 == 0 {
					fmt.Fprintf(&b, "%d %s", len(rec), rec)
				} else {
					fmt.Fprintf(&b, "%s\n", rec)
				}
			}
			data := b.Bytes()
			for len(data) > 0 { // small writes: frames split between reads
				n := min(len(data), 37)
				if _, err := conn.Write(data[:n]); err != nil {
					t.Error(err)
					return
				}
				data = data[n:]
			}
		}()
	}
	wg.Wait()
	// Oversized on TCP in both framings, then a good record on the same
	// connection: the stream stays in step.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	big := "<14>Oct 11 22:14:15 host big: " + strings.Repeat("y", 700)
	fmt.Fprintf(conn, "%d %s", len(big), big)
	fmt.Fprintf(conn, "%s\n", big)
	fmt.Fprintf(conn, "not syslog\n")
	want = append(want, "after the big ones")
	fmt.Fprintf(conn, "<14>Oct 11 22:14:15 host ok: after the big ones\n")
	conn.Close()

	const failures = 4 // 3 oversized, 1 undecodable
	msgs := waitCount(t, h, len(want)+failures)
	if err := stop(); err != nil {
		t.Fatalf("process_message: %v", err)
	}
	got := map[string]*message.Message{}
	var errs []*message.Message
	for _, m := range msgs {
		if m.Type == "error.decode" {
			errs = append(errs, m)
			continue
		}
		if m.Type != "syslog" {
			t.Errorf("Type %q", m.Type)
		}
		got[m.Payload] = m
	}
	for _, p := range want {
		if got[p] == nil {
			t.Errorf("missing %q", p)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct messages, want %d", len(got), len(want))
	}
	m := got["udp message 3"]
	if m != nil && (m.Pid != 3 || m.Hostname != "host" || m.Severity != 6 || !hasField(m, "sender_ip", "127.0.0.1") ||
		!hasField(m, "programname", "app")) {
		t.Errorf("udp message 3: %+v", *m)
	}
	m = got["rfc5424 over udp"]
	if m != nil && (m.Hostname != "h5" || m.Timestamp != 1065910455003000064 || !hasField(m, "_k", "v") || !hasField(m, "procid", "77")) {
		t.Errorf("rfc5424: %+v", *m)
	}
	var oversized, undecodable int
	for _, e := range errs {
		switch {
		case strings.Contains(e.Payload, "exceeds max_message_size 512"):
			oversized++
		case strings.Contains(e.Payload, "decoders.syslog parse failed") && hasField(e, "data", "not syslog"):
			undecodable++
		default:
			t.Errorf("error message %q", e.Payload)
		}
	}
	if oversized != 3 || undecodable != 1 {
		t.Errorf("%d oversized, %d undecodable reported; want 3, 1", oversized, undecodable)
	}
	if n := strings.Count(log.String(), "record over max_message_size, skipped"); n != 3 {
		t.Errorf("%d oversize warnings logged, want 3:\n%s", n, log)
	}
}

func hasField(m *message.Message, name, value string) bool {
	for _, f := range m.Fields {
		if f.Name == name {
			for _, s := range f.Strings {
				if s == value {
					return true
				}
			}
		}
	}
	return false
}

// Stop ends process_message promptly, with no traffic at all.
func TestListenerStopsPromptly(t *testing.T) {
	s, _ := mustPlugin(t, config.Input, pluginSource(t), fmt.Sprintf("port = %d\nprotocol = \"tcp\"", freePort(t)))
	stop := running(t, s)
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("stopped in %v", d)
	}
}

// Config errors name the key; a port in use is reported at load.
func TestListenerConfigErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	for cfg, want := range map[string]string{
		`protocol = "sctp"`:                "protocol must be",
		`port = 70000`:                     "port must be an integer",
		`address = 5`:                      "address must be a string",
		`default_headers = "x"`:            "default_headers must be a table",
		`decoder_module = "decoders.nope"`: "decoder_module",
		fmt.Sprintf("protocol = \"tcp\"\nport = %d", busy): "listen tcp",
		`decoders_syslog = {template = "%nope%"}`:          "invalid rsyslog property",
	} {
		_, _, err := newPlugin(t, config.Input, pluginSource(t), cfg, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", cfg, err, want)
		}
	}
}

// batchHost is a host in batch mode (run -once).
type batchHost struct{ host }

func (*batchHost) BatchMode() bool { return true }

// Under run -once the listener returns after batch_idle without records.
func TestListenerBatchMode(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/syslog.lua"
	if err := os.WriteFile(file, []byte(pluginSource(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := config.ParseLua(dir+"/p.cfg", []byte(fmt.Sprintf("port = %d\nbatch_idle = 0", freePort(t))), 0)
	if err != nil {
		t.Fatal(err)
	}
	tab.Set("filename", "syslog.lua")
	pc, err := config.NewPlugin(config.Input, tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sandbox.New(sandbox.Options{Plugin: pc, LuaFile: file, Host: &batchHost{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	done := make(chan error, 1)
	go func() {
		_, _, err := s.ProcessInput(sandbox.Checkpoint{})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		s.Stop()
		<-done
		t.Fatal("the listener did not return in batch mode")
	}
}

// Octet-counting and line-feed framing, straight on a reader.
func TestReadFrame(t *testing.T) {
	l := &Listener{opts: Options{MaxSize: 10}}
	in := "5 hello3 abcline one\r\n\n11 01234567890" + "x\n" + strings.Repeat("z", 30) + "\nlast"
	br := bufioReader(in)
	var got []string
	for {
		r, err := l.readFrame(br)
		if err != nil {
			break
		}
		if r.oversize > 0 {
			got = append(got, fmt.Sprintf("oversize %d", r.oversize))
		} else {
			got = append(got, string(r.data))
		}
	}
	want := []string{"hello", "abc", "line one", "", "oversize 11", "x", "oversize 30", "last"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frames %q, want %q", got, want)
	}
}

func bufioReader(s string) *bufio.Reader {
	return bufio.NewReaderSize(strings.NewReader(s), 16)
}
