package sandbox

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
)

// stickyHost takes messages until the limit-th, refuses that one and
// takes what comes after (the runner would refuse that too: the relay
// must not depend on it), and can hold injections until released.
type stickyHost struct {
	mu      sync.Mutex
	limit   int // 0: no limit
	refused error
	seqs    []int64 // Fields.seq of the messages taken, in order; -1 for a checkpoint only
	cps     []Checkpoint
	gate    chan struct{} // when set, Inject waits for it to close
	entered chan struct{} // when set, receives at every Inject that waits
}

func (h *stickyHost) Inject(raw []byte, cp Checkpoint) error {
	if h.gate != nil {
		if h.entered != nil {
			h.entered <- struct{}{}
		}
		<-h.gate
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.limit > 0 && len(h.seqs) == h.limit-1 && h.refused == nil {
		// Only this one: the relay itself must hand over nothing after it.
		h.refused = errors.New("refused")
		return h.refused
	}
	seq := int64(-1)
	if raw != nil {
		var m message.Message
		if err := message.Decode(raw, &m); err != nil {
			return err
		}
		seq = -2
		for _, f := range m.Fields {
			if f.Name == "seq" {
				seq = f.Integers[0]
			}
		}
	}
	h.seqs = append(h.seqs, seq)
	h.cps = append(h.cps, cp)
	return nil
}

// rawMessage is an encoded message without a seq field.
func rawMessage() []byte {
	m := message.Message{Uuid: [16]byte{1}, Timestamp: 1, Type: "raw"}
	return m.AppendTo(nil)
}

// luaEscape writes b as the inside of a Lua string literal.
func luaEscape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, "\\%03d", c)
	}
	return sb.String()
}

func (h *stickyHost) taken() ([]int64, []Checkpoint) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int64(nil), h.seqs...), append([]Checkpoint(nil), h.cps...)
}

// relayInput injects n messages with checkpoints; every tenth injection
// is a protobuf string (a direct injection, rawMessage), every seventh a
// checkpoint only. Errors are caught and counted, as a plugin calling a
// decoder under pcall does.
var relayInput = `
require "string"
local raw = "` + luaEscape(rawMessage()) + `"
local n = read_config("n")
function process_message()
    local failed = 0
    for i = 1, n do
        local ok
        if i % 10 == 0 then
            ok = pcall(inject_message, raw, i)
        elseif i % 7 == 0 then
            ok = pcall(inject_message, nil, i)
        else
            ok = pcall(inject_message, {Type = "t", Fields = {seq = {value = i, value_type = 2}}}, i)
        end
        if not ok then failed = failed + 1 end
    end
    return 0, string.format("failed %d", failed)
end
`

// TestRelayOrder: everything an input injects reaches the host in the
// order it was injected, tables, strings and checkpoints mixed, and all
// of it before process_message returns.
func TestRelayOrder(t *testing.T) {
	const n = 3000
	h := &stickyHost{}
	s, _ := plugin{typ: config.Input, src: relayInput}.with("n", n).withHost(h).relayed().mustLoad(t)
	status, msg, err := s.ProcessInput(Checkpoint{})
	if err != nil || status != 0 || msg != "failed 0" {
		t.Fatalf("ProcessInput = %d, %q, %v", status, msg, err)
	}
	seqs, cps := h.taken()
	if len(seqs) != n {
		t.Fatalf("host took %d injections, want %d", len(seqs), n)
	}
	for i, seq := range seqs {
		want := int64(i + 1)
		switch {
		case (i+1)%10 == 0:
			want = -2 // rawMessage has no seq
		case (i+1)%7 == 0:
			want = -1
		}
		if seq != want || cps[i].Number != float64(i+1) {
			t.Fatalf("injection %d: seq %d checkpoint %v, want seq %d checkpoint %d", i, seq, cps[i].Number, want, i+1)
		}
	}
	if cp := s.LastCheckpoint(); cp.Number != n {
		t.Fatalf("LastCheckpoint = %v, want %d", cp.Number, n)
	}
	if st := s.Stats(); st.InjectMessageCount != int64(n-n/7+n/70) {
		t.Fatalf("InjectMessageCount = %d, want %d", st.InjectMessageCount, n-n/7+n/70)
	}
}

// TestRelayRefusal: once the host refuses a message, nothing after it
// reaches the host (above all no checkpoint), every later inject_message
// fails in the plugin, and a refusal the plugin has not seen when it
// returns ends the call with an error.
func TestRelayRefusal(t *testing.T) {
	for _, c := range []struct{ n, limit int }{{2000, 1}, {2000, 5}, {2000, 999}, {2000, 2000}, {2001, 2001}} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			h := &stickyHost{limit: c.limit}
			s, _ := plugin{typ: config.Input, src: relayInput}.with("n", c.n).withHost(h).relayed().mustLoad(t)
			_, msg, err := s.ProcessInput(Checkpoint{})
			seqs, cps := h.taken()
			if len(seqs) != c.limit-1 {
				t.Fatalf("host took %d injections, want %d", len(seqs), c.limit-1)
			}
			for i := range cps {
				if cps[i].Number != float64(i+1) {
					t.Fatalf("checkpoint %d is %v", i, cps[i].Number)
				}
			}
			var failed int
			if _, e := fmt.Sscanf(msg, "failed %d", &failed); e != nil || failed > c.n-c.limit+1 {
				t.Fatalf("ProcessInput message %q", msg)
			}
			switch {
			case c.limit == 2000:
				// A string: injected directly, refused in the call.
				if err != nil || failed != 1 {
					t.Fatalf("ProcessInput = %q, %v; want the one direct injection failed", msg, err)
				}
			case c.limit == c.n:
				// The last, relayed: refused after the plugin returned.
				if err == nil || !strings.Contains(err.Error(), "refused") {
					t.Fatalf("ProcessInput = %q, %v; want the refusal as the call's error", msg, err)
				}
			case err == nil && failed == 0:
				t.Fatal("the refusal reached neither the plugin nor the caller")
			case err != nil && !strings.Contains(err.Error(), "refused"):
				t.Fatalf("ProcessInput error %v, want the refusal", err)
			}
			if c.limit < 1000 && failed == 0 {
				// relayMax bounds how far the plugin gets ahead.
				t.Fatalf("the plugin never saw the refusal of injection %d of %d", c.limit, c.n)
			}
		})
	}
}

// TestRelayBounded: a host that does not take messages holds the plugin
// after relayMax queued ones, and lets it go on when it takes them.
func TestRelayBounded(t *testing.T) {
	const n = relayMax * 3
	h := &stickyHost{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	s, _ := plugin{typ: config.Input, src: `
local n = read_config("n")
function process_message()
    for i = 1, n do inject_message({Type = "t", Fields = {seq = {value = i, value_type = 2}}}, i) end
    return 0
end`}.with("n", n).withHost(h).relayed().mustLoad(t)
	done := make(chan error, 1)
	go func() {
		_, _, err := s.ProcessInput(Checkpoint{})
		done <- err
	}()
	<-h.entered // the relay hands over its first batch and waits in Inject
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("process_message returned (%v) while the host held every injection", err)
	default:
	}
	s.relay.mu.Lock()
	queued := len(s.relay.pending)
	s.relay.mu.Unlock()
	if queued > relayMax {
		t.Fatalf("%d messages queued, want at most %d", queued, relayMax)
	}
	h.entered = nil
	close(h.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if seqs, _ := h.taken(); len(seqs) != n {
		t.Fatalf("host took %d, want %d", len(seqs), n)
	}
}

// TestRelayOversize: a table message over max_message_size is refused in
// the call, and the plugin goes on.
func TestRelayOversize(t *testing.T) {
	h := &stickyHost{}
	s, _ := plugin{typ: config.Input, src: `
require "string"
function process_message()
    local ok, err = pcall(inject_message, {Payload = string.rep("x", 70000)}, 1)
    if ok then return -1, "not refused" end
    inject_message({Fields = {seq = {value = 2, value_type = 2}}}, 2)
    return 0, err
end`}.with("output_limit", 1<<20).withHost(h).relayed().mustLoad(t)
	status, msg, err := s.ProcessInput(Checkpoint{})
	if err != nil || status != 0 || !strings.Contains(msg, "max_message_size") {
		t.Fatalf("ProcessInput = %d, %q, %v", status, msg, err)
	}
	if seqs, cps := h.taken(); len(seqs) != 1 || seqs[0] != 2 || cps[0].Number != 2 {
		t.Fatalf("host took %v %v", seqs, cps)
	}
}

// TestRelayClosed: after the relay's goroutine ended (Close during a
// call: an abandoned plugin), an injection fails instead of waiting for
// good.
func TestRelayClosed(t *testing.T) {
	h := &stickyHost{}
	s, _ := plugin{typ: config.Input, src: `function process_message() return 0 end`}.withHost(h).relayed().mustLoad(t)
	if err := s.relay.push(nil, Checkpoint{Kind: CheckpointNumber, Number: 1}); err != nil {
		t.Fatal(err)
	}
	s.relay.close(true)
	for i := range relayMax + 1 {
		if err := s.relay.push(nil, Checkpoint{Kind: CheckpointNumber, Number: 2}); err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("push after close: %v, want ErrClosed", err)
			}
			break
		} else if i == relayMax {
			t.Fatal("pushes after close taken")
		}
	}
	if err := s.relay.drain(); !errors.Is(err, ErrClosed) {
		t.Fatalf("drain after close: %v, want ErrClosed", err)
	}
	if _, cps := h.taken(); len(cps) != 1 || cps[0].Number != 1 {
		t.Fatalf("host took %v, want the checkpoint pushed before close", cps)
	}
}
