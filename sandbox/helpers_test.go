package sandbox

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/goleak"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeHost collects what a plugin injects.
type fakeHost struct {
	mu   sync.Mutex
	msgs []*message.Message
	raws [][]byte
	cps  []Checkpoint
	err  error // returned by Inject when set
}

func (h *fakeHost) Inject(msg []byte, cp Checkpoint) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return h.err
	}
	h.cps = append(h.cps, cp)
	if msg == nil {
		return nil
	}
	raw := append([]byte(nil), msg...)
	var m message.Message
	if err := message.Decode(raw, &m); err != nil {
		return err
	}
	h.raws = append(h.raws, raw)
	h.msgs = append(h.msgs, &m)
	return nil
}

func (h *fakeHost) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.msgs)
}

// plugin describes a plugin for a test.
type plugin struct {
	typ  config.PluginType
	name string
	src  string
	keys map[string]any // config keys
	dir  string         // where the .lua goes; a temp dir when empty
	host *fakeHost
	h    Host // instead of host
	log  *slog.Logger
	opts func(*Options)
}

// load writes the plugin's file and creates its sandbox.
func (p plugin) load(t testing.TB) (*Sandbox, *fakeHost, error) {
	t.Helper()
	dir := p.dir
	if dir == "" {
		dir = t.TempDir()
	}
	name := p.name
	if name == "" {
		name = "test"
	}
	file := filepath.Join(dir, name+".lua")
	if err := os.WriteFile(file, []byte(p.src), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := config.NewTable(filepath.Join(dir, name+".cfg"))
	tab.Set("filename", name+".lua")
	if p.typ != config.Input {
		tab.Set("message_matcher", "TRUE")
	}
	for k, v := range p.keys {
		tab.Set(k, v)
	}
	cfg, err := config.NewPlugin(p.typ, tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Table.Set("Hostname", "testhost")
	cfg.Table.Set("Pid", 4242)
	host := p.host
	if host == nil {
		host = &fakeHost{}
	}
	opts := Options{Plugin: cfg, LuaFile: file, Host: host, Logger: p.log}
	if p.h != nil {
		opts.Host = p.h
	}
	if p.opts != nil {
		p.opts(&opts)
	}
	s, err := New(opts)
	if err == nil {
		t.Cleanup(func() { _ = s.Close(false) })
	}
	return s, host, err
}

// mustLoad is load that fails the test on error.
func (p plugin) mustLoad(t testing.TB) (*Sandbox, *fakeHost) {
	t.Helper()
	s, h, err := p.load(t)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, h
}

// input, analysis and output build plugins of each type.
func input(src string) plugin    { return plugin{typ: config.Input, src: src} }
func analysis(src string) plugin { return plugin{typ: config.Analysis, src: src} }
func output(src string) plugin   { return plugin{typ: config.Output, src: src} }

func (p plugin) with(k string, v any) plugin {
	m := make(map[string]any, len(p.keys)+1)
	for kk, vv := range p.keys {
		m[kk] = vv
	}
	m[k] = v
	p.keys = m
	return p
}

func (p plugin) withHost(h Host) plugin {
	p.h = h
	return p
}

// relayed turns Options.Relay on.
func (p plugin) relayed() plugin {
	prev := p.opts
	p.opts = func(o *Options) {
		if prev != nil {
			prev(o)
		}
		o.Relay = true
	}
	return p
}

// wantTerminated checks that err is a *TerminatedError wrapping sentinel
// whose reason contains each of parts.
func wantTerminated(t testing.TB, err error, sentinel error, parts ...string) *TerminatedError {
	t.Helper()
	var te *TerminatedError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want a *TerminatedError", err, err)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("err = %q wraps %v, want %v", te.Reason, te.Err, sentinel)
	}
	for _, p := range parts {
		if !strings.Contains(te.Reason, p) {
			t.Fatalf("reason %q does not contain %q", te.Reason, p)
		}
	}
	if len(te.Reason) > MaxErrorLen {
		t.Fatalf("reason is %d bytes", len(te.Reason))
	}
	return te
}

// testMessage returns an encoded message with the given type and
// payload, and a view of it.
func testMessage(t testing.TB, typ, payload string) *message.View {
	t.Helper()
	var m message.Message
	m.Uuid = message.NewUUID()
	m.Timestamp = 1_000_000_000
	m.SetType(typ)
	m.SetPayload(payload)
	m.SetHostname("h")
	m.Fields = append(m.Fields, message.Field{Name: "n", Type: message.ValueDouble, Doubles: []float64{42}})
	var v message.View
	if err := v.Reset(m.Encode()); err != nil {
		t.Fatal(err)
	}
	return &v
}

// callGlobal calls a global Lua function of the sandbox from the test,
// outside any entry point.
func callGlobal(t testing.TB, s *Sandbox, name string, args ...lua.LValue) {
	t.Helper()
	if err := s.L.CallByParam(lua.P{Fn: s.L.GetGlobal(name), Protect: true}, args...); err != nil {
		t.Fatal(err)
	}
}

// newTestLogger logs text records at debug level into b.
func newTestLogger(b *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{b: b}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
