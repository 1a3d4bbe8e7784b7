package hekatcp

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/plugins"
	"github.com/sightline/sightline/sandbox"
)

// host is an input's host for the module tests: it keeps what is
// injected and can tell when it is durable (at once, or when released).
type host struct {
	mu      sync.Mutex
	raws    [][]byte
	durable int // messages durable so far
	hold    bool
}

func (h *host) Inject(msg []byte, _ sandbox.Checkpoint) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.raws = append(h.raws, append([]byte(nil), msg...))
	return nil
}

func (h *host) Durable() func(context.Context) error {
	h.mu.Lock()
	n := len(h.raws)
	h.mu.Unlock()
	return func(ctx context.Context) error {
		for {
			h.mu.Lock()
			if !h.hold {
				h.durable = max(h.durable, n)
				h.mu.Unlock()
				return nil
			}
			h.mu.Unlock()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
	}
}

func (h *host) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.raws)
}

// plugin creates a sandbox running a standard plugin (or src when set)
// with the config cfg (Lua syntax).
func plugin(t testing.TB, typ config.PluginType, file, src, cfg string, h sandbox.Host) *sandbox.Sandbox {
	t.Helper()
	code := []byte(src)
	if src == "" {
		var ok bool
		if code, _, ok = plugins.Source(typ.String(), file); !ok {
			t.Fatalf("no embedded plugin %s/%s", typ, file)
		}
	}
	tab, err := config.ParseLua("test.cfg", []byte(`filename = "`+file+`"`+"\n"+cfg), 0)
	must(t, err)
	p, err := config.NewPlugin(typ, tab, nil)
	must(t, err)
	s, err := sandbox.New(sandbox.Options{Plugin: p, LuaFile: file, Source: code, Host: h})
	if err != nil {
		t.Fatalf("creating the plugin: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(false) })
	return s
}

// freePort returns a loopback port nothing listens on (now).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The standard input plugin with ack: a sightline client's messages are
// injected unchanged and acknowledged only once durable; the plugin
// stops promptly when asked.
func TestInputPlugin(t *testing.T) {
	port := freePort(t)
	h := &host{hold: true}
	s := plugin(t, config.Input, "heka_tcp.lua", "", fmt.Sprintf("instruction_limit = 0\nport = %d\nack = true\n", port), h)
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		st, _, err := s.ProcessInput(sandbox.Checkpoint{})
		done <- result{st, err}
	}()
	c := newClient(t, ClientOptions{Address: fmt.Sprintf("127.0.0.1:%d", port), Ack: true})
	sent := make([][]byte, 501)
	for i := 1; i <= 500; i++ {
		sent[i] = numbered(i)
	}
	waitFor(t, 5*time.Second, "the connection", func() bool {
		return c.Send(context.Background(), 1, message.AppendFrame(nil, sent[1])) == nil
	})
	for i := 2; i <= 500; i++ {
		must(t, c.Send(context.Background(), uint64(i), message.AppendFrame(nil, sent[i])))
	}
	waitFor(t, 5*time.Second, "the injections", func() bool { return h.count() == 500 })
	time.Sleep(20 * time.Millisecond)
	if seq := ackedSeq(c); seq != 0 {
		t.Fatalf("acknowledged %d before durable", seq)
	}
	h.mu.Lock()
	h.hold = false
	h.mu.Unlock()
	must(t, c.Flush(context.Background(), 5*time.Second))
	for i, raw := range h.raws {
		if !bytes.Equal(raw, sent[i+1]) {
			t.Fatalf("message %d changed", i+1)
		}
	}

	start := time.Now()
	s.Stop()
	r := <-done
	if r.err != nil || r.status != 0 {
		t.Fatalf("process_message: %d, %v", r.status, r.err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("stopping took %v", d)
	}
	// The listener is gone.
	if nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		nc.Close()
		t.Errorf("still listening after the plugin stopped")
	}
}

// output runs the standard output plugin over messages 1..n and returns
// the statuses it returned.
func runOutput(t testing.TB, s *sandbox.Sandbox, from, to int) []int {
	t.Helper()
	var statuses []int
	var v message.View
	for i := from; i <= to; i++ {
		raw := numbered(i)
		must(t, v.Reset(raw))
		for {
			res, err := s.ProcessOutput(&v, i)
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if !res.Retry {
				statuses = append(statuses, res.Status)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return statuses
}

func committed(s *sandbox.Sandbox) int {
	pos, ok := s.Committable()
	if !ok {
		return 0
	}
	return pos.(int)
}

// The standard output plugin in async mode with ack: -5 for every
// message, the cursor committed up to what the receiver acknowledged.
func TestOutputPluginAsync(t *testing.T) {
	srv := listen(t, ServerOptions{Ack: true})
	con := consume(srv, nil)
	defer con.stop()
	port := srv.Addr().(*net.TCPAddr).Port
	s := plugin(t, config.Output, "heka_tcp.lua", "",
		fmt.Sprintf("message_matcher = 'TRUE'\nport = %d\nack = true\nasync_buffer_size = 50\n", port), nil)
	statuses := runOutput(t, s, 1, 300)
	for i, st := range statuses {
		if st != sandbox.StatusAsync {
			t.Fatalf("message %d: status %d", i+1, st)
		}
	}
	waitFor(t, 5*time.Second, "the receiver", func() bool { return con.count() == 300 })
	must(t, s.TimerEvent(0, true))
	if c := committed(s); c != 300 {
		t.Errorf("committed %d, want 300", c)
	}
}

// Without async_buffer_size the output batches: -4, then 0 every
// commitEvery messages, and timer_event commits the rest.
func TestOutputPluginBatch(t *testing.T) {
	srv := listen(t, ServerOptions{})
	con := consume(srv, nil)
	defer con.stop()
	port := srv.Addr().(*net.TCPAddr).Port
	s := plugin(t, config.Output, "heka_tcp.lua", "", fmt.Sprintf("message_matcher = 'TRUE'\nport = %d\n", port), nil)
	statuses := runOutput(t, s, 1, commitEvery+10)
	for i, st := range statuses {
		want := sandbox.StatusBatch
		if i+1 == commitEvery {
			want = 0
		}
		if st != want {
			t.Fatalf("message %d: status %d, want %d", i+1, st, want)
		}
	}
	if c := committed(s); c != commitEvery {
		t.Errorf("committed %d, want %d", c, commitEvery)
	}
	must(t, s.TimerEvent(0, false))
	if c := committed(s); c != commitEvery+10 {
		t.Errorf("committed %d after timer_event, want %d", c, commitEvery+10)
	}
	waitFor(t, 5*time.Second, "the receiver", func() bool { return con.count() == commitEvery+10 })
}

// With the receiver gone: -3 (retry), or -2 with drop_message_on_error.
func TestOutputPluginDown(t *testing.T) {
	port := freePort(t)
	for _, tc := range []struct {
		cfg  string
		want int
	}{
		{"", -3},
		{"drop_message_on_error = true\n", -2},
	} {
		s := plugin(t, config.Output, "heka_tcp.lua", "",
			fmt.Sprintf("message_matcher = 'TRUE'\nport = %d\nasync_buffer_size = 10\n%s", port, tc.cfg), nil)
		var v message.View
		must(t, v.Reset(numbered(1)))
		res, err := s.ProcessOutput(&v, 1)
		must(t, err)
		if res.Status != tc.want || !strings.Contains(res.Message, "connection refused") {
			t.Errorf("%q: status %d %q, want %d and the connection error", tc.cfg, res.Status, res.Message, tc.want)
		}
		must(t, s.TimerEvent(0, true))
	}
}

// Bad options fail the plugin's creation with the key named.
func TestModuleOptionErrors(t *testing.T) {
	cases := []struct {
		typ  config.PluginType
		call string
		want string
	}{
		{config.Input, `listen{port = 70000}`, "heka_tcp: port: want a whole number from 0 to 65535, got 70000"},
		{config.Input, `listen{port = "x"}`, "heka_tcp: port: want a number, got a string"},
		{config.Input, `listen{address = 1}`, "heka_tcp: address: want a string, got a number"},
		{config.Input, `listen{ack = "yes"}`, "heka_tcp: ack: want true or false, got a string"},
		{config.Input, `listen{ssl_params = {certifcate = "x"}}`, "heka_tcp: ssl_params.certifcate: unknown key"},
		{config.Input, `listen{ssl_params = {}}`, "heka_tcp: ssl_params.certificate: required in server mode"},
		{config.Input, `listen{address = "256.1.1.1", port = 1}`, "heka_tcp: address, port: listen tcp"},
		{config.Output, `connect{port = 0}`, "heka_tcp: port: want a whole number from 1 to 65535, got 0"},
		{config.Output, `connect{timeout = 0}`, "heka_tcp: timeout: want seconds above 0"},
		{config.Output, `connect{async_buffer_size = -1}`, "heka_tcp: async_buffer_size: want a whole number"},
		{config.Output, `connect{ssl_params = {verify = {"peer", 3}}}`, "heka_tcp: ssl_params.verify[2]: want a string, got a number"},
		{config.Output, `connect{ssl_params = "tls"}`, "heka_tcp: ssl_params: want a table, got a string"},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			tab, err := config.ParseLua("test.cfg", []byte(`filename = "t.lua"`+"\nmessage_matcher = 'TRUE'\n"), 0)
			must(t, err)
			p, err := config.NewPlugin(tc.typ, tab, nil)
			must(t, err)
			src := `local x = require("sightline.heka_tcp").` + tc.call + "\nfunction process_message() return 0 end\nfunction timer_event() end\n"
			s, err := sandbox.New(sandbox.Options{Plugin: p, LuaFile: "t.lua", Source: []byte(src)})
			if err == nil {
				_ = s.Close(false)
				t.Fatal("created")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// The module is for input and output plugins only.
func TestModuleIOOnly(t *testing.T) {
	tab, err := config.ParseLua("test.cfg", []byte("filename = 't.lua'\nmessage_matcher = 'TRUE'\n"), 0)
	must(t, err)
	p, err := config.NewPlugin(config.Analysis, tab, nil)
	must(t, err)
	_, err = sandbox.New(sandbox.Options{Plugin: p, LuaFile: "t.lua",
		Source: []byte("require 'sightline.heka_tcp'\nfunction process_message() return 0 end\nfunction timer_event() end")})
	if err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("error %v, want disabled", err)
	}
}
