//go:build unix

package procexec

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func TestRun(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		cmd   Command
		check func(t *testing.T, r Result)
	}{
		{"stdout and exit 0", Command{Argv: []string{"echo", "hello", "world"}, MaxStdout: 100}, func(t *testing.T, r Result) {
			if string(r.Stdout) != "hello world\n" || r.ExitStatus != 0 || r.Signal != nil || r.TimedOut || r.Stopped {
				t.Errorf("%+v", r)
			}
		}},
		{"stderr and exit status", Command{Argv: sh("echo out; echo err >&2; exit 3"), MaxStdout: 100, MaxStderr: 100}, func(t *testing.T, r Result) {
			if string(r.Stdout) != "out\n" || string(r.Stderr) != "err\n" || r.ExitStatus != 3 {
				t.Errorf("%+v", r)
			}
		}},
		{"output kept up to the max, all of it read", Command{Argv: sh("head -c 100000 /dev/zero; head -c 5000 /dev/zero >&2"), MaxStdout: 10, MaxStderr: 20}, func(t *testing.T, r Result) {
			if len(r.Stdout) != 10 || r.StdoutBytes != 100000 || len(r.Stderr) != 20 || r.StderrBytes != 5000 || r.ExitStatus != 0 {
				t.Errorf("stdout %d/%d stderr %d/%d exit %d", len(r.Stdout), r.StdoutBytes, len(r.Stderr), r.StderrBytes, r.ExitStatus)
			}
		}},
		{"env added, inherited", Command{Argv: sh(`echo "$SL_A $SL_B $HOME"`), Env: []string{"SL_A=1", "SL_B=two words"}, InheritEnv: true, MaxStdout: 100}, func(t *testing.T, r Result) {
			if want := "1 two words " + os.Getenv("HOME") + "\n"; string(r.Stdout) != want {
				t.Errorf("stdout %q, want %q", r.Stdout, want)
			}
		}},
		{"env only", Command{Argv: sh(`echo "[$SL_A][$HOME]"`), Env: []string{"SL_A=1"}, MaxStdout: 100}, func(t *testing.T, r Result) {
			if string(r.Stdout) != "[1][]\n" {
				t.Errorf("stdout %q", r.Stdout)
			}
		}},
		{"dir and stdin", Command{Argv: sh("pwd; cat"), Dir: dir, Stdin: []byte("from stdin"), MaxStdout: 1000}, func(t *testing.T, r Result) {
			if string(r.Stdout) != dir+"\nfrom stdin" {
				t.Errorf("stdout %q", r.Stdout)
			}
		}},
		{"no stdin: /dev/null", Command{Argv: []string{"cat"}, MaxStdout: 100}, func(t *testing.T, r Result) {
			if len(r.Stdout) != 0 || r.ExitStatus != 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"signal", Command{Argv: sh("kill -TERM $$"), MaxStdout: 100}, func(t *testing.T, r Result) {
			if r.ExitStatus != -1 || r.Signal != syscall.SIGTERM {
				t.Errorf("%+v", r)
			}
		}},
		{"timeout kills the group", Command{Argv: sh("echo started; sleep 30 & sleep 30"), Timeout: 200 * time.Millisecond, MaxStdout: 100}, func(t *testing.T, r Result) {
			if !r.TimedOut || r.ExitStatus != -1 || r.Signal != syscall.SIGKILL || string(r.Stdout) != "started\n" {
				t.Errorf("%+v", r)
			}
			if r.Duration > 5*time.Second {
				t.Errorf("took %v", r.Duration)
			}
		}},
		{"background child holding stdout", Command{Argv: sh("sleep 3 & echo done"), MaxStdout: 100}, func(t *testing.T, r Result) {
			if string(r.Stdout) != "done\n" || r.ExitStatus != 0 || r.Duration > 5*time.Second {
				t.Errorf("%+v", r)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Run(context.Background(), tc.cmd, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
		})
	}
}

func TestRunErrors(t *testing.T) {
	for _, argv := range [][]string{nil, {""}, {"/nonexistent/program"}, {"sightline-no-such-program-xyz"}, {os.DevNull}} {
		if _, err := Run(context.Background(), Command{Argv: argv}, nil); err == nil {
			t.Errorf("%q: no error", argv)
		}
	}
}

// TestRunStop: a stop request or the end of ctx kills a long command at
// once.
func TestRunStop(t *testing.T) {
	var stop atomic.Bool
	time.AfterFunc(150*time.Millisecond, func() { stop.Store(true) })
	start := time.Now()
	r, err := Run(context.Background(), Command{Argv: []string{"sleep", "30"}}, stop.Load)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Stopped || r.TimedOut || time.Since(start) > 5*time.Second {
		t.Errorf("%+v after %v", r, time.Since(start))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	r, err = Run(ctx, Command{Argv: []string{"sleep", "30"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Stopped || r.Signal != syscall.SIGKILL {
		t.Errorf("%+v", r)
	}
}

func TestCapped(t *testing.T) {
	w := &capped{max: 5}
	for _, s := range []string{"ab", "cdef", "gh"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatal(n, err)
		}
	}
	if w.buf.String() != "abcde" || w.total != 8 {
		t.Errorf("%q %d", w.buf.String(), w.total)
	}
	if !strings.HasPrefix("abcdefgh", w.buf.String()) {
		t.Error("not a prefix")
	}
}
