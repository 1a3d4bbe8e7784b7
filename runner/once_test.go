package runner

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// timedCounter is counter with Timestamp i seconds, so that batch mode's
// clock is known.
const timedCounter = `
function process_message(cp)
    local n = read_config("count")
    for i = (cp or 0) + 1, n do
        inject_message({Timestamp = i * 1e9, Type = "seq", Fields = {n = {value = i, value_type = 2}}}, i)
    end
    return 0
end
`

// summarizer counts the messages it sees and, in its final timer_event,
// injects "summary <count> <ns> <ticks>": ticks counts the timer_events
// before it.
const summarizer = `
require "string"
local count, ticks = 0, 0
function process_message()
    count = count + 1
    return 0
end
function timer_event(ns, shutdown)
    if not shutdown then ticks = ticks + 1; return end
    inject_message({Type = "summary", Payload = string.format("summary %d %d %d", count, ns, ticks)})
end
`

func runOnce(t *testing.T, e *env) int {
	t.Helper()
	code, err := RunOnce(context.Background(), e.config(), Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestRunOnce runs the cascade twice: every message and the analysis
// summary reach the output, timers go by message time, and the second
// run continues where the first stopped.
func TestRunOnce(t *testing.T) {
	const n = 100
	e := newEnv(t)
	e.plugin("input", "gen", fmt.Sprintf("count = %d\nticker_interval = 60", n), timedCounter)
	e.plugin("analysis", "sum", "message_matcher = \"Type == 'seq'\"\nticker_interval = 10", summarizer)
	out := e.path("out.txt")
	e.plugin("output", "rec", recorderCfg(out, "TRUE", "both"), recorder)

	if code := runOnce(t, e); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	// Ticks at 1, 11, ..., 91 s of message time: 10; the end at n s.
	want := make([]string, 0, n+1)
	for i := 1; i <= n; i++ {
		want = append(want, strconv.Itoa(i))
	}
	want = append(want, fmt.Sprintf("summary %d %d 10", n, int64(n)*1e9))
	if got := lines(t, out); !slices.Equal(got, want) {
		t.Fatalf("output:\n%v\nwant\n%v", got, want)
	}

	e.plugin("input", "gen", fmt.Sprintf("count = %d", n+2), timedCounter)
	if code := runOnce(t, e); code != 0 {
		t.Fatalf("second run: exit code %d, want 0", code)
	}
	want = append(want, strconv.Itoa(n+1), strconv.Itoa(n+2), fmt.Sprintf("summary 2 %d 1", int64(n+2)*1e9))
	if got := lines(t, out); !slices.Equal(got, want) {
		t.Fatalf("second run, output:\n%v\nwant\n%v", got, want)
	}
}

// TestRunOnceTerminated: a terminating analysis plugin gives exit code 4,
// and an output too 12.
func TestRunOnceTerminated(t *testing.T) {
	e := newEnv(t)
	e.plugin("input", "gen", "count = 3", counter)
	e.plugin("analysis", "bad", "message_matcher = 'TRUE'", `
function process_message() error("boom") end
function timer_event() end
`)
	if code := runOnce(t, e); code != ExitAnalysisTerminated {
		t.Fatalf("exit code %d, want %d", code, ExitAnalysisTerminated)
	}
	e.plugin("input", "gen", "count = 4", counter)
	e.plugin("output", "bad", "message_matcher = 'TRUE'", `
function process_message() error("boom") end
function timer_event() end
`)
	if code := runOnce(t, e); code != ExitAnalysisTerminated|ExitOutputTerminated {
		t.Fatalf("exit code %d, want %d", code, ExitAnalysisTerminated|ExitOutputTerminated)
	}
}

// TestRunOnceOverlap: in batch mode an output reading the input queue
// runs while the inputs do (as in the reference's hindsight_cli): the
// input waits, after its first message, until the output has recorded
// it, which it could not if outputs started after the inputs finished.
func TestRunOnceOverlap(t *testing.T) {
	e := newEnv(t)
	out := e.path("out.txt")
	e.plugin("input", "gen", fmt.Sprintf("instruction_limit = 0\nseen = %q", out), `
require "io"
require "os"
local function seen()
    local f = io.open(read_config("seen"))
    if not f then return false end
    local s = f:read("*a")
    f:close()
    return s == "1\n"
end
function process_message()
    inject_message({Type = "seq", Fields = {n = {value = 1, value_type = 2}}})
    local deadline = os.time() + 20
    while not seen() do
        if os.time() > deadline then error("the output saw nothing while the input ran") end
    end
    inject_message({Type = "seq", Fields = {n = {value = 2, value_type = 2}}})
    return 0
end
`)
	e.plugin("output", "rec", recorderCfg(out, "TRUE", "input"), recorder)
	if code := runOnce(t, e); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	if got := lines(t, out); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("output %v, want [1 2]", got)
	}
}
