package sandbox

import (
	"runtime"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"

	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
)

// healthy checks that the process still runs plugins after a bad one.
func healthy(t *testing.T) {
	t.Helper()
	s, h := input(`function process_message() inject_message({Type = "ok"}) return 0 end`).mustLoad(t)
	if status, _, err := s.ProcessInput(Checkpoint{}); err != nil || status != 0 || h.count() != 1 {
		t.Fatalf("healthy plugin: %d %v %d", status, err, h.count())
	}
}

func TestLoadFailures(t *testing.T) {
	cases := []struct {
		name     string
		p        plugin
		sentinel error
		parts    []string
	}{
		{"syntax error", input("function process_message( return 0 end"), ErrSyntax, nil},
		{"runtime error at load", input("local x = nil + 1\nfunction process_message() return 0 end"), ErrLua, []string{"test.lua:1:"}},
		{"missing process_message", input("x = 1"), ErrMissingFunction, []string{"process_message() function was not found"}},
		{"missing timer_event", analysis("function process_message() return 0 end"), ErrMissingFunction, []string{"timer_event() function was not found"}},
		{"endless loop at load", input("while true do end"), ErrInstructionLimit, []string{"instruction_limit exceeded"}},
		{"go panic through require", input(`require "panicky"`), ErrGoPanic, []string{"nil map"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := c.p.load(t)
			wantTerminated(t, err, c.sentinel, c.parts...)
			healthy(t)
		})
	}
}

func init() {
	RegisterModule(Module{Name: "panicky", Open: func(L *lua.LState) int {
		var m map[string]int
		m[L.CheckString(1)] = 1 //lint:ignore SA5000 a nil map write: the Go runtime panic under test
		return 0
	}})
}

func TestRuntimeErrors(t *testing.T) {
	t.Run("input", func(t *testing.T) {
		s, _ := input("function process_message() error('boom') end").mustLoad(t)
		_, _, err := s.ProcessInput(Checkpoint{})
		wantTerminated(t, err, ErrLua, "process_message() ", "test.lua:1: boom")
		// A terminated plugin stays terminated.
		if _, _, err2 := s.ProcessInput(Checkpoint{}); !errors.Is(err2, ErrLua) {
			t.Fatalf("second call: %v", err2)
		}
		healthy(t)
	})
	t.Run("analysis process_message", func(t *testing.T) {
		s, _ := analysis("function process_message() local x = nil; return x.y end function timer_event() end").mustLoad(t)
		_, _, err := s.ProcessMessage(testMessage(t, "a", "b"))
		wantTerminated(t, err, ErrLua, "process_message() ", "test.lua:1:")
		healthy(t)
	})
	t.Run("analysis timer_event", func(t *testing.T) {
		s, _ := analysis("function process_message() return 0 end function timer_event() error({}) end").mustLoad(t)
		err := s.TimerEvent(0, false)
		wantTerminated(t, err, ErrLua, "timer_event() <nil error message>")
		healthy(t)
	})
	t.Run("output", func(t *testing.T) {
		s, _ := output("function process_message() error('out', 0) end function timer_event() end").mustLoad(t)
		_, err := s.ProcessOutput(testMessage(t, "a", "b"), 1)
		wantTerminated(t, err, ErrLua, "process_message() out")
		healthy(t)
	})
	t.Run("go panic inside pcall", func(t *testing.T) {
		s, _ := input(`function process_message()
			local ok, err = pcall(require, "panicky")
			return 0
		end`).mustLoad(t)
		_, _, err := s.ProcessInput(Checkpoint{})
		te := wantTerminated(t, err, ErrGoPanic, "process_message() go panic", "nil map")
		if te.Detail == "" {
			t.Fatal("no Go stack in Detail")
		}
		healthy(t)
	})
	t.Run("long error truncated", func(t *testing.T) {
		s, _ := input(`require "string" function process_message() error(string.rep("é", 300)) end`).mustLoad(t)
		_, _, err := s.ProcessInput(Checkpoint{})
		te := wantTerminated(t, err, ErrLua)
		if !strings.HasPrefix(te.Reason, "process_message() ") || len(te.Reason) < 250 {
			t.Fatalf("reason %q", te.Reason)
		}
	})
}

func TestBadReturns(t *testing.T) {
	cases := []struct {
		name, ret string
		want      string
	}{
		{"no status", "", "process_message() must return a numeric status code"},
		{"string status", "return 'x'", "process_message() must return a numeric status code"},
		{"table message", "return 0, {}", "process_message() must return a nil or string error message"},
		{"positive status", "return 1, 'fatal thing'", "process_message() received a termination status code: fatal thing"},
		{"positive status without message", "return 2", "process_message() received a termination status code"},
		{"positive status with an empty message", "return 3, ''", "process_message() received a termination status code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range []plugin{
				input("function process_message() " + c.ret + " end"),
				analysis("function process_message() " + c.ret + " end function timer_event() end"),
				output("function process_message() " + c.ret + " end function timer_event() end"),
			} {
				s, _ := p.mustLoad(t)
				var err error
				switch p.typ {
				case config.Input:
					_, _, err = s.ProcessInput(Checkpoint{})
				case config.Analysis:
					_, _, err = s.ProcessMessage(testMessage(t, "a", "b"))
				case config.Output:
					_, err = s.ProcessOutput(testMessage(t, "a", "b"), 1)
				}
				if te := wantTerminated(t, err, ErrBadReturn); te.Reason != c.want {
					t.Fatalf("%v: reason %q, want %q", p.typ, te.Reason, c.want)
				}
			}
			healthy(t)
		})
	}
	t.Run("negative statuses are fine", func(t *testing.T) {
		s, _ := analysis("function process_message() return -1, 'meh' end function timer_event() end").mustLoad(t)
		status, msg, err := s.ProcessMessage(testMessage(t, "a", "b"))
		if err != nil || status != -1 || msg != "meh" {
			t.Fatalf("%d %q %v", status, msg, err)
		}
		if st := s.Stats(); st.ProcessMessageCount != 1 || st.ProcessMessageFailures != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// within runs f on a goroutine locked to its OS thread and returns f's
// error, failing the test if f used more than d of that thread's CPU time.
// CPU time, not wall time, so that the check holds on a loaded machine
// (the wall-clock bound is 20 d).
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	type result struct {
		err error
		cpu time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		before := threadCPU()
		err := f()
		done <- result{err, threadCPU() - before}
	}()
	select {
	case r := <-done:
		t.Logf("returned after %v (%v CPU)", time.Since(start).Round(time.Millisecond), r.cpu.Round(time.Millisecond))
		if r.cpu > d {
			t.Errorf("stopped after %v of CPU, want at most %v", r.cpu, d)
		}
		return r.err
	case <-time.After(20 * d):
		t.Errorf("not stopped within %v", 20*d)
		return (<-done).err
	}
}

// threadCPU returns the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestEndlessLoops(t *testing.T) {
	loops := map[string]string{
		"plain":          `while true do end`,
		"coroutine":      `require "coroutine" local co = coroutine.create(function() while true do end end) coroutine.resume(co)`,
		"wrap":           `require "coroutine" coroutine.wrap(function() while true do end end)()`,
		"nested":         `require "coroutine" coroutine.wrap(function() coroutine.wrap(function() while true do end end)() end)()`,
		"pcall":          `while true do pcall(function() while true do end end) end`,
		"recursive gsub": `require "string" local function f() return ("x"):gsub("x", f) end while true do pcall(f) end`,
	}
	for name, loop := range loops {
		t.Run(name+"/instruction_limit", func(t *testing.T) {
			s, _ := input("function process_message() " + loop + " return 0 end").mustLoad(t)
			err := within(t, time.Second, func() error {
				_, _, err := s.ProcessInput(Checkpoint{})
				return err
			})
			wantTerminated(t, err, ErrInstructionLimit, "process_message() instruction_limit exceeded")
			healthy(t)
		})
		t.Run(name+"/kill", func(t *testing.T) {
			for _, typ := range []config.PluginType{config.Input, config.Output} {
				p := plugin{typ: typ, src: "function process_message() " + loop + " return 0 end function timer_event() end"}
				s, _ := p.with("instruction_limit", 0).mustLoad(t)
				go func() {
					time.Sleep(50 * time.Millisecond)
					s.Kill()
				}()
				v := testMessage(t, "a", "b")
				err := within(t, time.Second, func() error {
					var err error
					if typ == config.Input {
						_, _, err = s.ProcessInput(Checkpoint{})
					} else {
						_, err = s.ProcessOutput(v, 1)
					}
					return err
				})
				wantTerminated(t, err, ErrShutdown, "shutting down")
			}
			healthy(t)
		})
	}
	t.Run("timer_event", func(t *testing.T) {
		s, _ := analysis("function process_message() return 0 end function timer_event() while true do end end").mustLoad(t)
		err := within(t, time.Second, func() error { return s.TimerEvent(0, true) })
		wantTerminated(t, err, ErrInstructionLimit, "timer_event() instruction_limit exceeded")
	})
}

func TestInstructionLimitIsExact(t *testing.T) {
	// A numeric for loop costs one FORLOOP per iteration; count how many
	// instructions a call takes and check the limit allows exactly that.
	src := `function process_message() for i = 1, 1000 do end return 0 end`
	s, _ := input(src).with("instruction_limit", 0).mustLoad(t)
	if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	n := s.Stats().MaxInstructions
	if n < 1000 || n > 1010 {
		t.Fatalf("call ran %d instructions", n)
	}
	ok, _ := input(src).with("instruction_limit", n).mustLoad(t)
	if _, _, err := ok.ProcessInput(Checkpoint{}); err != nil {
		t.Fatalf("limit %d: %v", n, err)
	}
	short, _ := input(src).with("instruction_limit", n-1).mustLoad(t)
	_, _, err := short.ProcessInput(Checkpoint{})
	wantTerminated(t, err, ErrInstructionLimit)
}

func TestStopAndIsRunning(t *testing.T) {
	s, h := input(`function process_message()
		while is_running() do inject_message(nil, 1) end
		return 0
	end`).with("instruction_limit", 0).mustLoad(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		s.Stop()
	}()
	var status int
	err := within(t, time.Second, func() error {
		var err error
		status, _, err = s.ProcessInput(Checkpoint{})
		return err
	})
	if err != nil || status != 0 {
		t.Fatalf("%d %v", status, err)
	}
	if len(h.cps) == 0 {
		t.Fatal("no checkpoint updates")
	}
}

// TestSource: with Options.Source the sandbox runs that source, not the
// file (which only names it in messages), and errors name the file.
func TestSource(t *testing.T) {
	p := input(`function process_message() inject_message({Type = "file"}) return 0 end`)
	p.opts = func(o *Options) {
		o.Source = []byte(`function process_message() inject_message({Type = "source"}) return 0 end`)
	}
	s, h := p.mustLoad(t)
	if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	if h.count() != 1 || h.msgs[0].Type != "source" {
		t.Fatalf("injected %d messages; want one of Type \"source\"", h.count())
	}
	p.opts = func(o *Options) { o.Source = []byte("function process_message( return 0 end") }
	_, _, err := p.load(t)
	wantTerminated(t, err, ErrSyntax, "test.lua")
}
