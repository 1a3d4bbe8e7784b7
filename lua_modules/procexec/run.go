//go:build unix

package procexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Command is one run of a command.
type Command struct {
	// Argv is the program and its arguments; a program without a slash
	// is looked up in PATH.
	Argv []string
	// Env is added to the environment the command gets: sightline's own
	// when InheritEnv is set, else an empty one.
	Env        []string
	InheritEnv bool
	// Dir is the working directory; empty is sightline's.
	Dir string
	// Stdin is the command's standard input; nil is /dev/null.
	Stdin []byte
	// Timeout kills the command after this long; 0 means never.
	Timeout time.Duration
	// MaxStdout and MaxStderr are how many bytes of each are kept; the
	// rest is read and dropped.
	MaxStdout, MaxStderr int
}

// Result is what a run gave.
type Result struct {
	Stdout, Stderr           []byte
	StdoutBytes, StderrBytes int64 // written by the command, kept or not
	// ExitStatus is the command's exit status, -1 when it did not exit by
	// itself (a signal).
	ExitStatus int
	// Signal is the signal that ended the command, or nil.
	Signal   os.Signal
	Duration time.Duration
	TimedOut bool // killed at its Timeout
	Stopped  bool // killed because ctx ended or stop reported true
}

// pollInterval is how often Run and the stdin reader ask whether the
// plugin was stopped.
const pollInterval = 100 * time.Millisecond

// waitDelay bounds how long Run waits for the output pipes after the
// command exited (children it left behind may hold them open).
const waitDelay = time.Second

// Run runs c and waits for it to end. The command is killed (its whole
// process group) at its timeout, when ctx ends, or when stop, checked
// every pollInterval on the calling goroutine, reports true; stop may be
// nil. The error is for a command that could not be started; an exit
// status other than 0 is not an error.
func Run(ctx context.Context, c Command, stop func() bool) (Result, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return Result{}, errors.New("no command")
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	if cmd.Err != nil {
		return Result{}, cmd.Err
	}
	if c.InheritEnv {
		cmd.Env = append(os.Environ(), c.Env...)
	} else {
		cmd.Env = append([]string{}, c.Env...)
	}
	cmd.Dir = c.Dir
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	stdout := &capped{max: c.MaxStdout}
	stderr := &capped{max: c.MaxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = waitDelay

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var res Result
	var timeout <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	ctxDone := ctx.Done()
	killed := false
	kill := func() {
		if !killed {
			killed = true
			// The negative pid is the process group: the command's
			// children go too. ESRCH (already gone) is fine.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-timeout:
			res.TimedOut = true
			kill()
		case <-ctxDone:
			ctxDone = nil
			res.Stopped = true
			kill()
		case <-tick.C:
			if !killed && stop != nil && stop() {
				res.Stopped = true
				kill()
			}
		}
	}
	res.Duration = time.Since(start)
	res.Stdout, res.StdoutBytes = stdout.buf.Bytes(), stdout.total
	res.Stderr, res.StderrBytes = stderr.buf.Bytes(), stderr.total
	ps := cmd.ProcessState
	if ps == nil {
		return res, fmt.Errorf("wait: %w", werr)
	}
	res.ExitStatus = ps.ExitCode()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal()
	}
	return res, nil
}

// capped is an io.Writer keeping the first max bytes written to it and
// counting all of them.
type capped struct {
	buf   bytes.Buffer
	max   int
	total int64
}

func (w *capped) Write(p []byte) (int, error) {
	w.total += int64(len(p))
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
