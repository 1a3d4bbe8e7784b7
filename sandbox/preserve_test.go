package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func preserving(src, state string) plugin {
	p := analysis(src).with("preserve_data", true)
	p.opts = func(o *Options) { o.StateFile = state }
	return p
}

const counter = `
	count = 0
	tags = {a = {1, 2}}
	tags.self = tags
	function process_message() count = count + 1 return 0 end
	function timer_event() end`

func TestPreserveData(t *testing.T) {
	state := filepath.Join(t.TempDir(), "analysis.test.data")
	s, _ := preserving(counter, state).mustLoad(t)
	v := testMessage(t, "a", "b")
	for i := 0; i < 3; i++ {
		if _, _, err := s.ProcessMessage(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `_G["count"] = 3`) || strings.Contains(string(data), `_G["_VERSION"]`) {
		t.Fatalf("state file:\n%s", data)
	}
	// Restored after the file ran (its count = 0 is overwritten).
	s2, _ := preserving(counter+` assert(count == 0)`, state).mustLoad(t)
	if got := s2.L.GetGlobal("count").String(); got != "3" {
		t.Fatalf("count = %s", got)
	}
	if err := s2.L.DoString(`assert(tags.self == tags and tags.a[2] == 2)`); err != nil {
		t.Fatal(err)
	}
}

func TestPreserveBadStateStartsClean(t *testing.T) {
	state := filepath.Join(t.TempDir(), "analysis.test.data")
	if err := os.WriteFile(state, []byte("_G['count'] = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	p := preserving(counter, state)
	p.log = newTestLogger(&logged)
	s, _ := p.mustLoad(t)
	if got := s.L.GetGlobal("count").String(); got != "0" {
		t.Fatalf("count = %s", got)
	}
	if !strings.Contains(logged.String(), "level=WARN") {
		t.Fatalf("no warning: %s", logged.String())
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatalf("bad state file still in place: %v", err)
	}
	moved, _ := filepath.Glob(state + ".bad-*")
	if len(moved) != 1 {
		t.Fatalf("moved aside: %v", moved)
	}
}

func TestNoSaveAfterTerminationOrAbandon(t *testing.T) {
	dir := t.TempDir()
	// Terminated by an error: not saved, the previous file stays.
	state := filepath.Join(dir, "a.data")
	s, _ := preserving(`count = 7 function process_message() error("x") end function timer_event() end`, state).mustLoad(t)
	if _, _, err := s.ProcessMessage(testMessage(t, "a", "b")); err == nil {
		t.Fatal("no error")
	}
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatal("terminated plugin saved its state")
	}

	// Abandoned while stuck in a call: Close returns at once, nothing is
	// saved, and the state is closed by the call when it returns.
	state = filepath.Join(dir, "b.data")
	p := preserving(`count = 7 function process_message() while true do end end function timer_event() end`, state).with("instruction_limit", 0)
	s, _ = p.mustLoad(t)
	done := make(chan error, 1)
	v := testMessage(t, "a", "b")
	go func() {
		_, _, err := s.ProcessMessage(v)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	s.Abandon()
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}
	wantTerminated(t, <-done, ErrShutdown, "shutting down")
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatal("abandoned plugin saved its state")
	}

	// Killed (not abandoned), then closed: saved, as the reference saves an
	// input stopped by its hook.
	state = filepath.Join(dir, "c.data")
	p = preserving(`count = 7 function process_message() while true do end end function timer_event() end`, state).with("instruction_limit", 0)
	s, _ = p.mustLoad(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		s.Kill()
	}()
	if _, _, err := s.ProcessMessage(v); err == nil {
		t.Fatal("no error")
	}
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("killed plugin not saved: %v", err)
	}
}
