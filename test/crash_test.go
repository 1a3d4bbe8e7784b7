package test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
)

var crashRounds = flag.Int("crash-rounds", 20, "SIGKILL rounds of TestCrash")

// The crash pipeline: a continuous input numbering its messages (the
// number is its checkpoint), an analysis plugin deriving one message from
// each, and two outputs, one per queue, appending every number they get
// to a file (written and flushed per message, so a SIGKILL loses none).
// Plugins check every message they are handed and report a malformed one
// as a "BAD" line.
var crashPlugins = map[string]string{
	"run/input/gen.cfg": `filename = "gen.lua"
instruction_limit = 0
batch = 50
`,
	"run/input/gen.lua": `
require "os"
local batch = read_config("batch")
function process_message(cp)
    local seq = cp or 0
    while is_running() do
        for i = 1, batch do
            seq = seq + 1
            inject_message({Type = "seq", Payload = tostring(seq),
                Fields = {seq = {value = seq, value_type = 2}}}, seq)
        end
        os.execute("sleep 0.004") -- pace the input
    end
    return 0
end
`,
	"run/analysis/derive.cfg": `filename = "derive.lua"
message_matcher = "TRUE"
process_message_inject_limit = 1
`,
	"run/analysis/derive.lua": `
function process_message()
    local seq = read_message("Fields[seq]")
    if read_message("Type") ~= "seq" or type(seq) ~= "number" or read_message("Payload") ~= tostring(seq) then
        inject_message({Type = "bad", Payload = tostring(read_message("Payload"))})
        return 0
    end
    inject_message({Type = "derived", Payload = "d" .. tostring(seq),
        Fields = {seq = {value = seq, value_type = 2}}})
    return 0
end
function timer_event(ns, shutdown) end
`,
	"run/output/in.cfg": `filename = "record.lua"
message_matcher = "TRUE"
read_queue = "input"
record = "in.txt"
want_type = "seq"
prefix = ""
`,
	"run/output/an.cfg": `filename = "record.lua"
message_matcher = "TRUE"
read_queue = "analysis"
record = "an.txt"
want_type = "derived"
prefix = "d"
`,
	"run/output/record.lua": `
require "io"
local file = assert(io.open(read_config("record"), "a"))
local want_type, prefix = read_config("want_type"), read_config("prefix")
function process_message()
    local typ, seq, payload = read_message("Type"), read_message("Fields[seq]"), read_message("Payload")
    if typ == want_type and type(seq) == "number" and payload == prefix .. tostring(seq) then
        file:write(tostring(seq), "\n")
    else
        file:write("BAD ", tostring(typ), " ", tostring(seq), " ", tostring(payload), "\n")
    end
    file:flush()
    return 0
end
function timer_event(ns, shutdown) end
`,
}

// TestCrash SIGKILLs the daemon at random moments under a continuous
// input, restarts it, and at the end checks that every numbered message
// that reached the input queue reached both outputs at least once, that
// nothing was invented and nothing malformed was handed to a plugin.
//
// The input resumes from its saved checkpoint, so the numbers that ever
// reached the queue are exactly 1..S, S being its checkpoint after the
// final clean stop. Messages past a crashed run's saved checkpoint are
// injected again with the same numbers (those are the duplicates).
func TestCrash(t *testing.T) {
	dir := t.TempDir()
	tree := map[string]string{
		"sightline.toml": mainConfig(`output_size = "32KiB"`, `checkpoint_interval = "100ms"`, `log_level = "warning"`),
	}
	for k, v := range crashPlugins {
		tree[k] = v
	}
	files(t, dir, tree)
	cfg := filepath.Join(dir, "sightline.toml")
	rounds := *crashRounds
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))

	var checkpoints []float64
	damage := 0 // torn or damaged records the readers skipped
	for i := 0; i < rounds; i++ {
		p := start(t, dir, cfg)
		time.Sleep(time.Duration(50+rng.IntN(451)) * time.Millisecond)
		p.kill(t)
		s := p.stderr.String()
		if strings.Contains(s, "level=ERROR") {
			t.Fatalf("round %d: errors logged:\n%s", i, s)
		}
		damage += strings.Count(s, "queue damage skipped")
		checkpoints = append(checkpoints, inputCheckpoint(t, dir))
	}

	// A clean stop fixes S, then the outputs drain without the input. A
	// killed run may have injected numbers past its saved checkpoint (less
	// than a checkpoint interval's worth); the final run goes well past
	// them before it stops, so S is the highest number in the queue.
	last := 0.0
	if len(checkpoints) > 0 {
		last = checkpoints[len(checkpoints)-1]
	}
	p := start(t, dir, cfg)
	if !waitFor(func() bool { return inputCheckpoint(t, dir) >= last+1000 }, 60*time.Second) {
		p.stop(t)
		t.Fatalf("the final run's input did not get 1000 messages past %v within a minute", last)
	}
	p.stop(t)
	total := int(inputCheckpoint(t, dir))
	if err := os.Rename(filepath.Join(dir, "run/input/gen.cfg"), filepath.Join(dir, "run/input/gen.off")); err != nil {
		t.Fatal(err)
	}
	p = start(t, dir, cfg)
	var in, an tally
	drained := waitFor(func() bool {
		in, an = count(t, filepath.Join(dir, "in.txt")), count(t, filepath.Join(dir, "an.txt"))
		return in.covers(total) && an.covers(total)
	}, 120*time.Second)
	p.stop(t)
	if s := p.stderr.String(); strings.Contains(s, "level=ERROR") {
		t.Errorf("errors logged in the final run:\n%s", s)
	}
	damage += strings.Count(p.stderr.String(), "queue damage skipped")

	t.Logf("%d kills; input checkpoints after each: %v", rounds, checkpoints)
	t.Logf("damaged regions skipped by readers: %d", damage)
	t.Logf("messages: %d; input queue output: %d lines, %d duplicates (%.1f per kill); analysis queue output: %d lines, %d duplicates (%.1f per kill)",
		total, in.lines, in.dups(), float64(in.dups())/float64(rounds), an.lines, an.dups(), float64(an.dups())/float64(rounds))
	for _, c := range []struct {
		name string
		tl   tally
	}{{"input", in}, {"analysis", an}} {
		if len(c.tl.bad) > 0 {
			t.Errorf("%s output got malformed messages: %q", c.name, c.tl.bad[:min(len(c.tl.bad), 5)])
		}
		if c.tl.max > total {
			t.Errorf("%s output got number %d, never injected (last is %d)", c.name, c.tl.max, total)
		}
		if !drained {
			t.Errorf("%s output is missing %d of the %d numbers, first %v", c.name, total-c.tl.distinct(total), total, c.tl.missing(total, 5))
		}
	}
	if total < rounds {
		t.Errorf("only %d messages in %d rounds: the input hardly ran", total, rounds)
	}
}

// inputCheckpoint reads the input's saved checkpoint (0 if none).
func inputCheckpoint(t testing.TB, dir string) float64 {
	t.Helper()
	st, _, err := cursor.Load(cursor.Path(filepath.Join(dir, "output"), "input", "gen"))
	if err != nil {
		t.Fatal(err)
	}
	return st.Checkpoint.Number
}

// tally is what an output file holds.
type tally struct {
	lines int
	seen  map[int]int
	max   int
	bad   []string
}

func count(t testing.TB, path string) tally {
	tl := tally{seen: map[int]int{}}
	for _, l := range readLines(t, path) {
		tl.lines++
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			tl.bad = append(tl.bad, l)
			continue
		}
		tl.seen[n]++
		tl.max = max(tl.max, n)
	}
	return tl
}

// covers reports whether every number 1..n was seen.
func (tl tally) covers(n int) bool { return tl.distinct(n) == n }

func (tl tally) distinct(n int) int {
	c := 0
	for i := 1; i <= n; i++ {
		if tl.seen[i] > 0 {
			c++
		}
	}
	return c
}

func (tl tally) missing(n, limit int) []int {
	var out []int
	for i := 1; i <= n && len(out) < limit; i++ {
		if tl.seen[i] == 0 {
			out = append(out, i)
		}
	}
	return out
}

// dups is the number of lines beyond one per number.
func (tl tally) dups() int { return tl.lines - len(tl.bad) - len(tl.seen) }

func (tl tally) String() string { return fmt.Sprintf("%d lines, %d distinct", tl.lines, len(tl.seen)) }
