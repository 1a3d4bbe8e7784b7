package syslog

import (
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// host collects what a plugin injects.
type host struct {
	mu   sync.Mutex
	msgs []*message.Message
}

func (h *host) Inject(raw []byte, _ sandbox.Checkpoint) error {
	if raw == nil {
		return nil
	}
	var m message.Message
	if err := message.Decode(append([]byte(nil), raw...), &m); err != nil {
		return err
	}
	h.mu.Lock()
	h.msgs = append(h.msgs, &m)
	h.mu.Unlock()
	return nil
}

func (h *host) messages() []*message.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*message.Message(nil), h.msgs...)
}

// newPlugin creates a sandbox of type typ running src, with the config
// keys of cfg (Lua syntax).
func newPlugin(t testing.TB, typ config.PluginType, src, cfg string, log *slog.Logger) (*sandbox.Sandbox, *host, error) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "p.lua")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := config.ParseLua(filepath.Join(dir, "p.cfg"), []byte(cfg), 0)
	if err != nil {
		t.Fatal(err)
	}
	tab.Set("filename", "p.lua")
	if typ != config.Input {
		tab.Set("message_matcher", "TRUE")
	}
	pc, err := config.NewPlugin(typ, tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc.Table.Set("Hostname", "testhost")
	pc.Table.Set("Pid", 4242)
	h := &host{}
	s, err := sandbox.New(sandbox.Options{Plugin: pc, LuaFile: file, Host: h, Logger: log})
	if err == nil {
		t.Cleanup(func() { _ = s.Close(false) })
	}
	return s, h, err
}

func mustPlugin(t testing.TB, typ config.PluginType, src, cfg string) (*sandbox.Sandbox, *host) {
	t.Helper()
	s, h, err := newPlugin(t, typ, src, cfg, nil)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	return s, h
}
