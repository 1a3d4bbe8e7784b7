package test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startStdin runs sightline with args in dir (TZ=UTC), its standard
// input read from stdin (none when nil).
func startStdin(t testing.TB, dir string, stdin io.Reader, args ...string) *proc {
	t.Helper()
	p := &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), "TZ=UTC")
	p.cmd.Dir = dir
	p.cmd.Stdin = stdin
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p
}

// stdinTree is a daemon reading lines from stdin.lua, with an output
// writing each Payload to out.txt as it comes.
func stdinTree(format string) map[string]string {
	return map[string]string{
		"sightline.toml":      mainConfig(),
		"run/input/in.toml":   "filename = \"stdin.lua\"\ninstruction_limit = 0\nformat = \"" + format + "\"\n",
		"run/analysis/.keep":  "",
		"run/output/out.toml": "filename = \"out.lua\"\nmessage_matcher = \"TRUE\"\n",
		"run/output/out.lua": `
require "io"
local f = assert(io.open("out.txt", "a"))
function process_message()
    f:write(read_message("Payload"), "\n")
    f:flush()
    return 0
end
function timer_event(ns, shutdown) end
`,
	}
}

// TestStdinShutdown: the daemon reading a pipe on which nothing more
// comes (the writer keeps it open) delivers what came, and SIGTERM stops
// it at once, in both formats: the read of standard input does not hold
// the shutdown up (the stop timeout is 10 s). At the end of its input the
// plugin returns, and the daemon goes on running.
func TestStdinShutdown(t *testing.T) {
	for _, format := range []string{"lines", "heka"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files(t, dir, stdinTree(format))
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			p := startStdin(t, dir, pr, "run", "-config", "sightline.toml")
			pr.Close()
			if format == "lines" {
				_, err = io.WriteString(pw, "one\ntwo\n")
			} else {
				_, err = pw.Write(stdinFrames(t, "one", "two"))
			}
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.txt")
			if !waitFor(func() bool { return len(readLines(t, out)) == 2 }, 30*time.Second) {
				p.kill(t)
				t.Fatalf("out.txt = %q, want the 2 records; stderr:\n%s", readLines(t, out), p.stderr)
			}
			start := time.Now()
			p.stop(t)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("shutdown took %v; stderr:\n%s", d, p.stderr)
			}
			if got := readLines(t, out); strings.Join(got, ",") != "one,two" {
				t.Errorf("out.txt = %q", got)
			}
		})
	}
}

// TestStdinEndOfInput: in daemon mode stdin.lua returns at the end of its
// input (the writer closed the pipe): the plugin is done, the daemon and
// its output go on.
func TestStdinEndOfInput(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, stdinTree("lines"))
	p := startStdin(t, dir, strings.NewReader("a\nb\nc"), "run", "-config", "sightline.toml")
	out := filepath.Join(dir, "out.txt")
	if !waitFor(func() bool { return len(readLines(t, out)) == 3 }, 30*time.Second) {
		p.kill(t)
		t.Fatalf("out.txt = %q; stderr:\n%s", readLines(t, out), p.stderr)
	}
	if !waitFor(func() bool { return strings.Contains(p.stderr.String(), "finished") }, 30*time.Second) {
		t.Errorf("no log of the input finishing; stderr:\n%s", p.stderr)
	}
	select {
	case <-p.done:
		t.Fatalf("the daemon exited; stderr:\n%s", p.stderr)
	default:
	}
	p.stop(t)
}

// stdinFrames returns framed Heka messages with the given payloads, as
// `sightline cat -format heka` writes them.
func stdinFrames(t *testing.T, payloads ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for i, pl := range payloads {
		// uuid (16 bytes), timestamp, payload: the minimal valid message.
		msg := []byte{0x0a, 16}
		msg = append(msg, bytes.Repeat([]byte{byte(i + 1)}, 16)...)
		msg = append(msg, 0x10, 0x01, 0x32, byte(len(pl)))
		msg = append(msg, pl...)
		if len(msg) > 127 {
			t.Fatal("message too long for this helper")
		}
		b.Write([]byte{0x1e, 2, 0x08, byte(len(msg)), 0x1f})
		b.Write(msg)
	}
	return b.Bytes()
}
