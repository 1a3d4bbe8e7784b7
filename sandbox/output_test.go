package sandbox

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// committed returns the committable position as an int (-1 for none).
func committed(s *Sandbox) int {
	p, ok := s.Committable()
	if !ok {
		return -1
	}
	return p.(int)
}

func TestOutputBatchingVerifiedExample(t *testing.T) {
	// The reference's verified run: a batching output returning 0 on
	// every 10th message and -4 otherwise. After 50 messages of which the
	// last 10 are still batched, the committed checkpoint is the 40th.
	s, _ := output(`
		local n = 0
		function process_message()
			n = n + 1
			if n % 10 == 0 and n <= 40 then return 0 end
			return -4
		end
		function timer_event() end`).mustLoad(t)
	v := testMessage(t, "a", "b")
	for i := 1; i <= 50; i++ {
		res, err := s.ProcessOutput(v, i)
		if err != nil || res.Retry {
			t.Fatalf("message %d: %+v %v", i, res, err)
		}
		want := min(i/10*10, 40)
		if want == 0 {
			want = -1
		}
		if got := committed(s); got != want {
			t.Fatalf("after message %d committed %d, want %d", i, got, want)
		}
	}
	if got := committed(s); got != 40 {
		t.Fatalf("committed %d, want 40", got)
	}
	// Unmatched messages do not move a frozen checkpoint either.
	s.SkipOutput(51)
	if got := committed(s); got != 40 {
		t.Fatalf("after skip committed %d", got)
	}
}

func TestOutputReturnCodes(t *testing.T) {
	s, _ := output(`
		local codes = {0, -1, -2, -4, 0}
		local i = 0
		function process_message()
			i = i + 1
			return codes[i], "m" .. i
		end
		function timer_event() end`).mustLoad(t)
	v := testMessage(t, "a", "b")
	want := []int{1, 2, 3, 3, 5}
	for i := 1; i <= 5; i++ {
		res, err := s.ProcessOutput(v, i)
		if err != nil || res.Retry {
			t.Fatalf("%d: %+v %v", i, res, err)
		}
		if got := committed(s); got != want[i-1] {
			t.Fatalf("after %d (status %d) committed %d, want %d", i, res.Status, got, want[i-1])
		}
	}
	st := s.Stats()
	if st.ProcessMessageCount != 5 || st.ProcessMessageFailures != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOutputRetry(t *testing.T) {
	s, _ := output(`
		local tries = 0
		seqs = {}
		function process_message(seq)
			seqs[#seqs+1] = seq
			tries = tries + 1
			if tries < 3 then return -3 end
			return 0
		end
		function timer_event() end`).mustLoad(t)
	v := testMessage(t, "a", "b")
	for i := 0; i < 2; i++ {
		res, err := s.ProcessOutput(v, 1)
		if err != nil || !res.Retry || res.RingFull || res.Status != -3 {
			t.Fatalf("try %d: %+v %v", i, res, err)
		}
		if committed(s) != -1 {
			t.Fatal("retry committed")
		}
	}
	res, err := s.ProcessOutput(v, 1)
	if err != nil || res.Retry {
		t.Fatalf("%+v %v", res, err)
	}
	if committed(s) != 1 {
		t.Fatal("not committed")
	}
	if st := s.Stats(); st.ProcessMessageCount != 1 {
		t.Fatalf("retries counted: %+v", st)
	}
	// The same sequence id was offered three times.
	seqs := s.L.GetGlobal("seqs").(*lua.LTable)
	for i := 1; i <= 3; i++ {
		if got := seqs.RawGetInt(i).String(); got != "1" {
			t.Fatalf("offer %d had sequence id %s", i, got)
		}
	}
}

func TestOutputAsync(t *testing.T) {
	s, _ := output(`
		inflight = {}
		function process_message(seq)
			inflight[#inflight+1] = seq
			return -5
		end
		function ack(n)
			update_checkpoint(inflight[n], 1)
		end
		function timer_event() end`).with("async_buffer_size", 4).mustLoad(t)
	v := testMessage(t, "a", "b")
	for i := 1; i <= 3; i++ {
		if res, err := s.ProcessOutput(v, i*10); err != nil || res.Retry {
			t.Fatalf("%d: %+v %v", i, res, err)
		}
	}
	if committed(s) != -1 || s.InFlight() != 3 {
		t.Fatalf("committed %d, in flight %d", committed(s), s.InFlight())
	}
	ack := func(n int) {
		t.Helper()
		callGlobal(t, s, "ack", lua.LNumber(n))
	}
	ack(2) // cumulative: 1 and 2
	if committed(s) != 20 || s.InFlight() != 1 {
		t.Fatalf("after ack 2: committed %d, in flight %d", committed(s), s.InFlight())
	}
	ack(1) // stale: ignored, never backwards
	if committed(s) != 20 {
		t.Fatalf("stale ack moved the checkpoint to %d", committed(s))
	}
	// An unmatched message while one is in flight waits for it.
	s.SkipOutput(35)
	if committed(s) != 20 {
		t.Fatalf("skip committed %d", committed(s))
	}
	ack(3)
	if committed(s) != 35 || s.InFlight() != 0 {
		t.Fatalf("after last ack: committed %d, in flight %d", committed(s), s.InFlight())
	}
	if st := s.Stats(); st.ProcessMessageFailures != 3 { // one per update_checkpoint call, as the reference
		t.Fatalf("failures %d", st.ProcessMessageFailures)
	}
}

func TestOutputAsyncRingFull(t *testing.T) {
	// The plugin collects acknowledgements inside process_message only.
	s, _ := output(`
		pending = {}
		acking = false
		function process_message(seq)
			if acking then
				for _, p in ipairs(pending) do update_checkpoint(p) end
				pending = {}
			end
			pending[#pending+1] = seq
			return -5
		end
		function timer_event() end`).with("async_buffer_size", 2).mustLoad(t)
	v := testMessage(t, "a", "b")
	for i := 1; i <= 2; i++ {
		if res, err := s.ProcessOutput(v, i); err != nil || res.Retry {
			t.Fatalf("%d: %+v %v", i, res, err)
		}
	}
	// Two in flight: the third is offered, nothing frees up, so it comes
	// back as a retry.
	res, err := s.ProcessOutput(v, 3)
	if err != nil || !res.Retry || !res.RingFull {
		t.Fatalf("full ring: %+v %v", res, err)
	}
	if s.InFlight() != 2 {
		t.Fatalf("in flight %d", s.InFlight())
	}
	// Offered again, the plugin acknowledges during the call everything it
	// sent, including the first copy of message 3: accepted and done.
	if err := s.L.DoString("acking = true"); err != nil {
		t.Fatal(err)
	}
	res, err = s.ProcessOutput(v, 3)
	if err != nil || res.Retry {
		t.Fatalf("re-offer: %+v %v", res, err)
	}
	if committed(s) != 3 || s.InFlight() != 0 {
		t.Fatalf("committed %d, in flight %d", committed(s), s.InFlight())
	}
}

func TestOutputAsyncWithoutBuffer(t *testing.T) {
	s, _ := output(`function process_message() return -5 end function timer_event() end`).mustLoad(t)
	_, err := s.ProcessOutput(testMessage(t, "a", "b"), 1)
	wantTerminated(t, err, ErrBadReturn, "cannot use async checkpointing without a configured buffer")
}

func TestOutputAsyncMixedSyncReturns(t *testing.T) {
	// -1 and 0 while a message is in flight are passed over once it is
	// acknowledged.
	s, _ := output(`
		local codes = {-5, -1, 0}
		local i = 0
		first = nil
		function process_message(seq)
			i = i + 1
			if i == 1 then first = seq end
			return codes[i]
		end
		function timer_event() update_checkpoint(first) end`).with("async_buffer_size", 8).mustLoad(t)
	v := testMessage(t, "a", "b")
	for i := 1; i <= 3; i++ {
		if _, err := s.ProcessOutput(v, i); err != nil {
			t.Fatal(err)
		}
	}
	if committed(s) != -1 {
		t.Fatalf("committed %d before the ack", committed(s))
	}
	if err := s.TimerEvent(0, false); err != nil {
		t.Fatal(err)
	}
	if committed(s) != 3 || s.InFlight() != 0 {
		t.Fatalf("committed %d, in flight %d", committed(s), s.InFlight())
	}
}

func TestOutputBatchCommitInTimer(t *testing.T) {
	s, _ := output(`
		function process_message() return -4 end
		function timer_event() update_checkpoint() end`).mustLoad(t)
	v := testMessage(t, "a", "b")
	for i := 1; i <= 3; i++ {
		if _, err := s.ProcessOutput(v, i); err != nil {
			t.Fatal(err)
		}
	}
	s.SkipOutput(4)
	if committed(s) != -1 {
		t.Fatal("batch committed early")
	}
	if err := s.TimerEvent(0, false); err != nil {
		t.Fatal(err)
	}
	if committed(s) != 4 {
		t.Fatalf("committed %d", committed(s))
	}
}

func TestOutputEncodeInjectMatcher(t *testing.T) {
	s, h := output(`
		require "string"
		local m = create_message_matcher("Type == 'web' && Fields[n] == 42")
		local other = create_message_matcher("Type == 'db'")
		function process_message()
			assert(m:eval() and not other:eval())
			local pb = encode_message({Type = "x", Payload = read_message("Payload")})
			local framed = encode_message({Type = "x"}, true)
			assert(framed:byte(1) == 0x1e)
			local d = decode_message(pb)
			assert(d.Type == "x" and d.Payload == "p", d.Type)
			inject_message({Type = "looped", Payload = read_message("Type")})
			return 0
		end
		function timer_event()
			local ok, err = pcall(m.eval, m)
			assert(not ok and err:find("no active message"), err)
		end`).mustLoad(t)
	if _, err := s.ProcessOutput(testMessage(t, "web", "p"), 1); err != nil {
		t.Fatal(err)
	}
	if h.count() != 1 || h.msgs[0].Type != "looped" || h.msgs[0].Payload != "web" {
		t.Fatalf("injected %+v", h.msgs)
	}
	if err := s.TimerEvent(0, false); err != nil {
		t.Fatal(err)
	}
	_, _, err := output(`create_message_matcher("Type ==") function process_message() return 0 end function timer_event() end`).load(t)
	wantTerminated(t, err, ErrLua, "invalid message matcher expression")
}

func TestOutputAsyncRingFreedDuringCall(t *testing.T) {
	// Like a Kafka output: each call first collects the acknowledgements of
	// earlier messages, then sends its own.
	s, _ := output(`
		pending = {}
		function process_message(seq)
			if #pending >= 2 then update_checkpoint(table.remove(pending, 1)) end
			pending[#pending+1] = seq
			return -5
		end
		function timer_event() end`).with("async_buffer_size", 2).mustLoad(t)
	if err := s.L.DoString(`require "table"`); err != nil {
		t.Fatal(err)
	}
	v := testMessage(t, "a", "b")
	for i := 1; i <= 10; i++ {
		res, err := s.ProcessOutput(v, i)
		if err != nil || res.Retry {
			t.Fatalf("%d: %+v %v", i, res, err)
		}
		if s.InFlight() > 2 {
			t.Fatalf("%d in flight", s.InFlight())
		}
	}
	if committed(s) != 8 {
		t.Fatalf("committed %d", committed(s))
	}
}
