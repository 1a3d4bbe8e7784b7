package sandbox

import "sync"

// outputState is an output plugin's checkpoint state machine (spec §4.9),
// over positions the runner supplies and never looks into.
//
//   - cur is the position after the last message read, matched or not;
//     cp is the committed position, what Committable returns.
//   - Each message offered to process_message gets the next sequence id
//     (passed to the plugin as a number); a retry (-3, or a full ring)
//     keeps it for the next offer.
//   - 0 clears the batching flag, -4 sets it; while it is set cp does not
//     move, until update_checkpoint() (no arguments) commits cur.
//   - With async_buffer_size n > 0, the position of each accepted message
//     is kept in a ring of n slots. -5 leaves the message in flight until
//     update_checkpoint(seq[, failures]) acknowledges it and, as in the
//     reference, every earlier one (acknowledgements are cumulative): cp
//     moves to the position after message seq. Acknowledgements of ids not
//     in flight are ignored, so cp never moves backwards.
//   - Otherwise, after each message: if not batching and nothing is in
//     flight, cp = cur. Messages returning 0, -1 or -2 while others are in
//     flight are passed over as soon as the acknowledgements before them
//     arrive, and once nothing is in flight cp catches up with cur, so
//     unmatched messages read after the last acknowledged one do not hold
//     the checkpoint back (the reference's issue #190).
//   - The ring never holds more than n messages in flight: a message that
//     would be the n+1-th is still offered (so a plugin collecting its
//     acknowledgements inside process_message makes progress), and if no
//     slot freed up during the call, it is not accepted but offered again
//     later, as after -3 (the plugin may have sent it; at-least-once). The
//     reference instead overwrote ring slots, committing unacknowledged
//     messages.
//
// It is driven from the plugin's goroutine; Committable may be called
// from another, hence the mutex.
type outputState struct {
	mu        sync.Mutex
	cur, cp   any
	hasCP     bool
	batching  bool
	issued    uint64 // last sequence id accepted
	acked     uint64 // every id up to this one is done
	ring      []slot
	calling   uint64 // id offered to the running process_message, 0 outside
	stored    bool   // calling's slot is in the ring
	callAcked bool   // calling was acknowledged during its own call
}

type slot struct {
	pos  any
	seq  uint64
	done bool // returned 0, -1 or -2: needs no acknowledgement
}

func (o *outputState) init(size int) {
	if size > 0 {
		o.ring = make([]slot, size)
	}
}

func (o *outputState) async() bool { return len(o.ring) > 0 }

// pendingLocked reports whether accepted messages await acknowledgement.
func (o *outputState) pendingLocked() bool { return len(o.ring) > 0 && o.issued != o.acked }

// begin records a message about to be offered and returns its sequence id.
func (o *outputState) begin(pos any) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cur = pos
	seq := o.issued + 1
	o.calling, o.callAcked, o.stored = seq, false, false
	if n := uint64(len(o.ring)); n > 0 && o.issued-o.acked < n {
		o.ring[seq%n] = slot{pos: pos, seq: seq}
		o.stored = true
	}
	return seq
}

// abort ends an offer that was not accepted (retry, termination).
func (o *outputState) abort() {
	o.mu.Lock()
	o.calling = 0
	o.mu.Unlock()
}

// finish accepts message seq after process_message returned status (not
// -3). It returns false if the ring is full: the message is to be offered
// again.
func (o *outputState) finish(seq uint64, pos any, status int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calling = 0
	n := uint64(len(o.ring))
	if n > 0 && !o.stored {
		if o.issued-o.acked >= n {
			return false
		}
		o.ring[seq%n] = slot{pos: pos, seq: seq}
	}
	if n > 0 {
		o.ring[seq%n].done = status != StatusAsync && status != StatusBatch
	}
	o.issued = seq
	switch status {
	case StatusOK:
		o.batching = false
	case StatusBatch:
		o.batching = true
	}
	if n > 0 {
		if o.callAcked {
			o.ackLocked(seq)
		}
		o.advanceLocked()
	}
	if !o.batching && !o.pendingLocked() {
		o.cp, o.hasCP = o.cur, true
	}
	return true
}

// skip records a message read but not matched.
func (o *outputState) skip(pos any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cur = pos
	if !o.batching && !o.pendingLocked() {
		o.cp, o.hasCP = o.cur, true
	}
}

// commitBatch is update_checkpoint() without arguments: an open batch is
// committed up to cur.
func (o *outputState) commitBatch() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.batching {
		return
	}
	o.cp, o.hasCP = o.cur, true
	o.batching = false
	o.acked = o.issued
}

// ack is update_checkpoint(seq): every message up to seq is done.
func (o *outputState) ack(seq uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.calling != 0 && seq == o.calling {
		o.callAcked = true
		seq = o.issued
	}
	o.ackLocked(seq)
	o.advanceLocked()
	if o.calling == 0 && !o.batching && !o.pendingLocked() {
		o.cp, o.hasCP = o.cur, true
	}
}

func (o *outputState) ackLocked(seq uint64) {
	n := uint64(len(o.ring))
	if n == 0 || seq <= o.acked || seq > o.issued {
		return
	}
	o.acked = seq
	if s := o.ring[seq%n]; s.seq == seq {
		o.cp, o.hasCP = s.pos, true
	}
}

// advanceLocked passes over messages that needed no acknowledgement.
func (o *outputState) advanceLocked() {
	n := uint64(len(o.ring))
	for o.acked < o.issued {
		s := o.ring[(o.acked+1)%n]
		if s.seq != o.acked+1 || !s.done {
			return
		}
		o.acked++
		o.cp, o.hasCP = s.pos, true
	}
}

func (o *outputState) committable() (any, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cp, o.hasCP
}

func (o *outputState) inFlight() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return int(o.issued - o.acked)
}
