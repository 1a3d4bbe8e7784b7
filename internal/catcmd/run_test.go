package catcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/queue"
)

// follower is a cat -f running in the background.
type follower struct {
	out, err syncBuffer
	cancel   context.CancelFunc
	done     chan int
}

// follow starts cat -f -format json with args.
func follow(args ...string) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{cancel: cancel, done: make(chan int, 1)}
	args = append([]string{"-f", "-format", "json"}, args...)
	go func() { f.done <- RunContext(ctx, args, nil, &f.out, &f.err) }()
	return f
}

// waitFor waits until the follower has printed the seqs want.
func (f *follower) waitFor(tb testing.TB, want []int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := f.out.String()
		if strings.Count(out, "\n") >= len(want) {
			if got := seqs(tb, out); !slices.Equal(got, want) {
				tb.Fatalf("seqs %v, want %v", got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out: printed %d of %d messages; stderr %q", strings.Count(out, "\n"), len(want), f.err.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop cancels the follower and returns its exit code.
func (f *follower) stop(tb testing.TB) int {
	tb.Helper()
	f.cancel()
	select {
	case code := <-f.done:
		return code
	case <-time.After(10 * time.Second):
		tb.Fatal("cat -f did not stop")
		return -1
	}
}

// TestFollowFile follows a file that grows, a record at a time and one
// record in two halves: the half record waits, it is not damage.
func TestFollowFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stream.log")
	writeFrames(t, path, 0, 5)
	f := follow(path)
	defer f.cancel()
	f.waitFor(t, span(0, 5))

	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	frame := message.AppendFrame(nil, testMessage(5).Encode())
	if _, err := w.Write(frame[:len(frame)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * followPoll)
	if _, err := w.Write(frame[len(frame)/2:]); err != nil {
		t.Fatal(err)
	}
	for seq := 6; seq < 10; seq++ {
		if _, err := w.Write(appendReferenceFrame(nil, testMessage(seq).Encode())); err != nil {
			t.Fatal(err)
		}
	}
	f.waitFor(t, span(0, 10))
	if code := f.stop(t); code != ExitOK {
		t.Errorf("exit %d", code)
	}
	if got := f.err.String(); got != summary(10, 10) {
		t.Errorf("stderr %q", got)
	}
}

// TestFollowDir follows a queue directory, empty at first, while a writer
// in this process appends across several segments.
func TestFollowDir(t *testing.T) {
	dir := t.TempDir()
	f := follow("-match", "Fields[seq] != 7", dir)
	defer f.cancel()

	w, err := queue.OpenWriter(dir, queue.Options{SegmentSize: 1000, Sync: queue.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	appendRecords(t, w, 0, 10)
	f.waitFor(t, span(0, 10, 7))
	recs := appendRecords(t, w, 10, 50)
	if recs[0].pos.Segment == recs[len(recs)-1].pos.Segment {
		t.Fatal("the writer did not roll")
	}
	f.waitFor(t, span(0, 50, 7))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if code := f.stop(t); code != ExitOK {
		t.Errorf("exit %d", code)
	}
	if got := f.err.String(); got != summary(50, 49) {
		t.Errorf("stderr %q", got)
	}
}

// TestRunInterrupt stops Run -f with SIGINT, as a user would.
func TestRunInterrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stream.log")
	writeFrames(t, path, 0, 3)
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run([]string{"-f", "-count", "-match", "TRUE", path}, nil, &out, &errb) }()
	// Run has caught SIGINT before it reads; wait until it is reading.
	time.Sleep(3 * followPoll)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != ExitOK || out.String() != summary(3, 3) {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run -f did not stop at SIGINT")
	}
}

func TestArgs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames")
	writeFrames(t, path, 0, 3)
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no input", nil, ExitUsage, "exactly one input"},
		{"two inputs", []string{path, path}, ExitUsage, "exactly one input"},
		{"unknown flag", []string{"-x", path}, ExitUsage, "-x"},
		{"bad format", []string{"-format", "xml", path}, ExitUsage, "unknown -format"},
		{"bad matcher", []string{"-match", "Type ==", path}, ExitUsage, "invalid message matcher"},
		{"negative n", []string{"-n", "-2", path}, ExitUsage, "-n"},
		{"n with stdin", []string{"-n", "1", "-"}, ExitUsage, "stdin"},
		{"n with offset", []string{"-n", "1", "-offset", "3", path}, ExitUsage, "exclude"},
		{"bad offset", []string{"-offset", "x", path}, ExitUsage, "-offset"},
		{"negative offset", []string{"-offset", "-1", path}, ExitUsage, "-offset"},
		{"position for a file", []string{"-offset", "1:2", path}, ExitUsage, "-offset"},
		{"bad position", []string{"-offset", "1:x", filepath.Dir(path)}, ExitUsage, "-offset"},
		{"missing input", []string{filepath.Join(filepath.Dir(path), "nope")}, ExitInput, "no such file"},
		{"help", []string{"-h"}, ExitOK, "usage: sightline cat"},
		{"flags after the input", []string{path, "-count", "-match", "Fields[seq] > 0"}, ExitOK, ""},
		{"input after --", []string{"-count", "--", path}, ExitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cat(t, strings.NewReader(""), tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d stderr %q, want exit %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
	r := mustCat(t, nil, path, "-count", "-match", "Fields[seq] > 0")
	if r.stdout != summary(3, 2) {
		t.Errorf("flags after the input: %q", r.stdout)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestOutputError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames")
	writeFrames(t, path, 0, 3)
	var errb syncBuffer
	code := RunContext(context.Background(), []string{path}, nil, failWriter{}, &errb)
	if code != ExitOutput || !strings.Contains(errb.String(), "disk full") {
		t.Errorf("exit %d stderr %q", code, errb.String())
	}
	code = RunContext(context.Background(), []string{"-count", path}, nil, failWriter{}, &errb)
	if code != ExitOutput {
		t.Errorf("-count: exit %d", code)
	}
}

// TestDecodeError covers a frame whose checksum holds but whose message
// does not decode, in a file and in a queue directory.
func TestDecodeError(t *testing.T) {
	bad := []byte("\x0a\x03abc") // a uuid of 3 bytes
	var b []byte
	b = message.AppendFrame(b, testMessage(0).Encode())
	at := len(b)
	b = message.AppendFrame(b, bad)
	b = message.AppendFrame(b, testMessage(2).Encode())
	path := filepath.Join(t.TempDir(), "frames")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustCat(t, nil, "-format", "json", path)
	if got := seqs(t, r.stdout); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("file: seqs %v", got)
	}
	want := fmt.Sprintf("Error unmarshalling message at offset: %d error: message: ", at)
	if !strings.HasPrefix(r.stderr, want) || !strings.HasSuffix(r.stderr, "\n"+summary(2, 2)) {
		t.Errorf("file: stderr %q", r.stderr)
	}

	dir := t.TempDir()
	w, err := queue.OpenWriter(dir, queue.Options{Sync: queue.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	first, err := w.Append(testMessage(0).Encode())
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{bad, testMessage(2).Encode()} {
		if _, err := w.Append(raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r = mustCat(t, nil, "-format", "json", dir)
	if got := seqs(t, r.stdout); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("dir: seqs %v", got)
	}
	want = fmt.Sprintf("Error unmarshalling message at offset: %v error: message: ", first)
	if !strings.HasPrefix(r.stderr, want) || !strings.HasSuffix(r.stderr, "\n"+summary(2, 2)) {
		t.Errorf("dir: stderr %q", r.stderr)
	}
}

// TestNoSummaryWithoutInput: an input that cannot be opened gets an error,
// not a summary.
func TestNoSummaryWithoutInput(t *testing.T) {
	r := cat(t, nil, "-count", filepath.Join(t.TempDir(), "nope"))
	if r.code != ExitInput || r.stdout != "" || strings.Contains(r.stderr, "Processed") {
		t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = mustCat(t, nil, "-count", t.TempDir())
	if r.stdout != summary(0, 0) {
		t.Errorf("empty queue: stdout %q", r.stdout)
	}
}
