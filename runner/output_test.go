package runner

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/queue"
)

// fill appends messages {Payload=p, Timestamp=ts} to queue q of the env
// before the daemon runs.
func (e *env) fill(q string, msgs ...any) {
	e.t.Helper()
	w, err := queue.OpenWriter(e.path("output", q), queue.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i < len(msgs); i += 2 {
		var m message.Message
		m.Uuid = message.NewUUID()
		m.Timestamp = int64(msgs[i+1].(int))
		m.SetPayload(msgs[i].(string))
		if _, err := w.Append(m.Encode()); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		e.t.Fatal(err)
	}
}

// TestOutputMerge: an output reading both queues gets the older message
// first, the input queue's on a tie.
func TestOutputMerge(t *testing.T) {
	e := newEnv(t)
	e.fill("input", "i1", 1, "i3", 3, "i5", 5, "i7", 7, "i9", 9, "i10", 10)
	e.fill("analysis", "a2", 2, "a4", 4, "a6", 6, "a7", 7)
	file := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(file, "TRUE", "both"), recorder)
	e.run(Options{}, "every message", countLines(t, file, 10))
	want := []string{"i1", "a2", "i3", "a4", "i5", "a6", "i7", "a7", "i9", "i10"}
	if got := lines(t, file); !slices.Equal(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
	st, ok := e.loadCursor("output", "rec")
	if !ok || len(st.Queues) != 2 {
		t.Fatalf("cursor = %+v, %v", st, ok)
	}
	// A restart replays nothing.
	e.run(Options{}, "a moment", func() bool { time.Sleep(200 * time.Millisecond); return true })
	if got := lines(t, file); len(got) != 10 {
		t.Errorf("after restart: %q", got)
	}
}

// TestOutputLatency: a message reaches an output reading both queues
// promptly through either queue, though the other queue stays idle: the
// output is woken by the flush, not by its one-second safety poll.
func TestOutputLatency(t *testing.T) {
	// Each plugin idles a little first, so that the output is waiting.
	idle := "require 'os'\nfunction idle() local t = os.clock() while os.clock() - t < 0.05 do end end\n"
	for _, c := range []struct {
		name     string
		analysis bool
	}{{"input", false}, {"analysis", true}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.plugin("input", "one", "instruction_limit = 0", idle+`function process_message() idle() inject_message({Payload = "x"}) return 0 end`)
			want := []string{"x"}
			if c.analysis {
				e.plugin("analysis", "echo", "message_matcher = 'Payload == \"x\"'\nprocess_message_inject_limit = 1\ninstruction_limit = 0", idle+`
function process_message() idle() inject_message({Payload = "y"}) return 0 end
function timer_event() end
`)
				want = append(want, "y")
			}
			file := e.path("out.txt")
			e.plugin("output", "rec", recorderCfg(file, "TRUE", "both"), recorder)
			r := e.start(Options{})
			defer func() { _ = r.stop(t) }()
			last := time.Now()
			for i := range want {
				if !waitFor(countLines(t, file, i+1), 10*time.Second) {
					t.Fatalf("no message %d", i+1)
				}
				// A broken wake-up would take a second or more.
				if d := time.Since(last); d > 900*time.Millisecond {
					t.Errorf("message %d took %v", i+1, d)
				}
				last = time.Now()
			}
			if got := lines(t, file); !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestOutputRetry: -3 offers the same message again after RetryDelay.
func TestOutputRetry(t *testing.T) {
	e := newEnv(t)
	e.plugin("input", "gen", "count = 3", counter)
	file := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(file, "TRUE", "input"), `
require "io"
local file = assert(io.open(read_config("record"), "a"))
local tries = 0
function process_message()
    local n = read_message("Fields[n]")
    if n == 2 and tries < 2 then
        tries = tries + 1
        file:write(n, " retry\n") file:flush()
        return -3
    end
    file:write(n, "\n") file:flush()
    return 0
end
function timer_event() end
`)
	var log logBuf
	opts := fastOpts(&log)
	opts.RetryDelay = 20 * time.Millisecond
	e.run(opts, "every message", countLines(t, file, 5))
	want := []string{"1", "2 retry", "2 retry", "2", "3"}
	if got := lines(t, file); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// The first retry is logged, the second within retryLogEvery not;
	// then that it went through.
	if n := strings.Count(log.String(), "retrying the message"); n != 1 || !log.has("message taken after retries") {
		t.Errorf("%d retry lines, want 1, and the end of the retries; log:\n%s", n, log.String())
	}
}

// TestOutputBatch: the committed cursor follows the checkpoint state
// machine: a batch (-4) not yet committed is replayed after a restart.
func TestOutputBatch(t *testing.T) {
	e := newEnv(t)
	e.plugin("input", "gen", "count = 15", counter)
	file := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(file, "TRUE", "input"), `
require "io"
local file = assert(io.open(read_config("record"), "a"))
function process_message()
    local n = read_message("Fields[n]")
    file:write(n, "\n") file:flush()
    if n % 10 == 0 then return 0 end
    return -4
end
function timer_event() end
`)
	e.run(Options{}, "every message", countLines(t, file, 15))
	e.run(Options{}, "the replay", countLines(t, file, 20))
	time.Sleep(100 * time.Millisecond)
	var want []string
	for i := 1; i <= 15; i++ {
		want = append(want, fmt.Sprint(i))
	}
	for i := 11; i <= 15; i++ {
		want = append(want, fmt.Sprint(i))
	}
	if got := lines(t, file); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestOutputInject: an output's inject_message goes to the input queue.
func TestOutputInject(t *testing.T) {
	e := newEnv(t)
	e.plugin("input", "gen", "count = 3", counter)
	e.plugin("output", "loop", "message_matcher = \"Type == 'seq'\"\nread_queue = 'input'", `
function process_message()
    inject_message({Type = "looped", Payload = "L" .. read_message("Payload")})
    return 0
end
function timer_event() end
`)
	file := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(file, "Type == 'looped'", "input"), recorder)
	e.run(Options{}, "the looped messages", countLines(t, file, 3))
	if got := lines(t, file); !slices.Equal(got, []string{"L1", "L2", "L3"}) {
		t.Errorf("got %q", got)
	}
}

// TestPrune: segments every reader has passed are deleted; a saved cursor
// of a plugin that is not running pins its queue; a queue nobody reads is
// pruned to its writer.
func TestPrune(t *testing.T) {
	e := newEnv(t, `output_size = "2KiB"`)
	e.fill("analysis", "old", 1) // a segment nobody will read
	e.plugin("input", "gen", "count = 600", counter)
	file := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(file, "TRUE", "input"), recorder)
	if err := os.MkdirAll(e.path("output", "cursors"), 0o750); err != nil {
		t.Fatal(err)
	}
	gone := cursor.Path(e.path("output"), "output", "gone")
	err := cursor.Save(gone, cursor.State{Queues: map[string]queue.Position{"input": {Segment: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.start(Options{PruneInterval: 20 * time.Millisecond})
	defer func() { _ = r.stop(t) }()
	ok := waitFor(func() bool {
		segs := e.segments("input")
		return len(lines(t, file)) == 600 && len(segs) > 3 && segs[0] == 3 && slices.Equal(e.segments("analysis"), []uint64{1})
	}, 10*time.Second)
	if !ok {
		t.Fatalf("input segments %v, analysis segments %v, want input from 3, analysis [1]", e.segments("input"), e.segments("analysis"))
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	ok = waitFor(func() bool { return len(e.segments("input")) <= 2 }, 10*time.Second)
	if !ok {
		t.Fatalf("input segments %v after the pin went, want at most 2", e.segments("input"))
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

// TestPruneKeepsNewReader: a reader without a saved cursor starts at the
// oldest segment, and pruning (at startup too) keeps what it has not read
// though every saved cursor is past it.
func TestPruneKeepsNewReader(t *testing.T) {
	e := newEnv(t)
	e.fill("input", "m0", 1)
	e.fill("input", "m1", 2)
	e.fill("input", "m2", 3)
	if err := os.MkdirAll(e.path("output", "cursors"), 0o750); err != nil {
		t.Fatal(err)
	}
	err := cursor.Save(cursor.Path(e.path("output"), "output", "old"),
		cursor.State{Queues: map[string]queue.Position{"input": {Segment: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	e.plugin("output", "old", recorderCfg(e.path("old.txt"), "TRUE", "input"), recorder)
	file := e.path("new.txt")
	e.plugin("output", "new", recorderCfg(file, "TRUE", "input"), recorder)
	e.run(Options{PruneInterval: 5 * time.Millisecond}, "the old messages", countLines(t, file, 3))
	if got := lines(t, file); !slices.Equal(got, []string{"m0", "m1", "m2"}) {
		t.Errorf("new reader got %q", got)
	}
	if got := lines(t, e.path("old.txt")); len(got) != 0 {
		t.Errorf("old reader got %q", got)
	}
}
