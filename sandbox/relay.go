package sandbox

import (
	"sync"
	"time"
)

// An input plugin's inject_message(table) and inject_message(nil,
// checkpoint) go through a relay: the plugin's goroutine turns the table
// into a message, checks and encodes it into the relay's buffer; the
// relay's goroutine hands the messages and checkpoints to the host (the
// append to the input queue, the checkpoint put after it), in order. On a
// machine with a second core the host's work runs beside the Lua code
// instead of after it.
//
// What the plugin sees stays what a direct call gives it, with one
// difference in timing: a refusal by the host (in practice an injection
// held by backpressure when the plugin is stopped) is raised in the
// plugin at a later inject_message, or when process_message returns,
// rather than at the call whose message was refused. The host refuses
// every message and checkpoint after a refused one (the runner's rule),
// and the relay hands it nothing more after one, so no checkpoint is ever
// saved past a message that was not taken. Everything else that can fail
// (the table, output_limit, max_message_size) is still checked in the
// call.
//
// The relay is drained, everything queued handed to the host and the
// first refusal returned, before anything else reaches the host from the
// plugin's goroutine: a direct injection (a string, a stream reader, a Go
// module's Inject), Durable, and the end of every call into the plugin.
// So the host sees the plugin's injections in the order the plugin made
// them, and nothing is in flight between two calls.
type relay struct {
	s *Sandbox

	mu      sync.Mutex
	cond    sync.Cond   // broadcast when the goroutine finished a batch
	pending []relayItem // queued, not yet taken by the goroutine
	buf     []byte      // the encoded messages of pending, back to back
	busy    bool        // the goroutine is handing a batch to the host
	err     error       // the first refusal; nothing is handed over after it
	now     bool        // a drain waits: no lingering
	started bool
	closed  bool
	kick    chan struct{} // capacity 1: there is something to do
	done    chan struct{} // closed when the goroutine returns
}

type relayItem struct {
	n  int // bytes of the message in buf; -1 for a checkpoint only
	cp Checkpoint
}

const (
	// relayLinger is how long the relay's goroutine lets a batch gather
	// after the first message of it, relayBatch how many messages end
	// that wait early. Under load the goroutine wakes about once per
	// relayLinger, not once per message; alone, a message waits at most
	// relayLinger before its append.
	relayLinger = time.Millisecond
	relayBatch  = 64
	// relayMax and relayMaxBytes bound what may be queued: the plugin
	// waits beyond them (so backpressure on the host reaches it).
	relayMax      = 128
	relayMaxBytes = 256 << 10
)

func newRelay(s *Sandbox) *relay {
	r := &relay{s: s, kick: make(chan struct{}, 1), done: make(chan struct{})}
	r.cond.L = &r.mu
	return r
}

// push queues a copy of raw (nil for none) and cp, waiting while the
// queue is full. It returns the first refusal instead, if there was one.
// The queue's buffer holds no pointers: queued messages cost the garbage
// collector nothing.
func (r *relay) push(raw []byte, cp Checkpoint) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		r.started = true
		go r.run()
	}
	for r.err == nil && (len(r.pending) >= relayMax || len(r.buf) >= relayMaxBytes) {
		r.cond.Wait()
	}
	if r.err != nil {
		return r.err
	}
	it := relayItem{n: -1, cp: cp}
	if raw != nil {
		r.buf = append(r.buf, raw...)
		it.n = len(raw)
	}
	r.pending = append(r.pending, it)
	if n := len(r.pending); (n == 1 && !r.busy) || n == relayBatch {
		r.wake()
	}
	return nil
}

// wake makes the goroutine look at pending. r.mu is held.
func (r *relay) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// drain waits until everything queued is handed to the host and returns
// the first refusal, if any.
func (r *relay) drain() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) > 0 || r.busy {
		r.now = true
		r.wake()
		for len(r.pending) > 0 || r.busy {
			r.cond.Wait()
		}
	}
	return r.err
}

// close ends the goroutine once it has handed over what is queued; wait
// waits for that.
func (r *relay) close(wait bool) {
	r.mu.Lock()
	r.closed = true
	started := r.started
	r.wake()
	r.mu.Unlock()
	if started && wait {
		<-r.done
	}
}

// run is the relay's goroutine.
func (r *relay) run() {
	defer close(r.done)
	t := time.NewTimer(relayLinger)
	t.Stop()
	defer t.Stop()
	var batch []relayItem
	var buf []byte
	for {
		<-r.kick
		r.mu.Lock()
		if !r.now && !r.closed && len(r.pending) > 0 && len(r.pending) < relayBatch {
			r.mu.Unlock()
			t.Reset(relayLinger)
			select {
			case <-t.C:
			case <-r.kick:
				t.Stop()
			}
			r.mu.Lock()
		}
		for len(r.pending) > 0 {
			batch, r.pending = r.pending, batch[:0]
			buf, r.buf = r.buf, buf[:0]
			if cap(r.buf) > 4*relayMaxBytes {
				r.buf = nil // after huge messages
			}
			r.busy = true
			err := r.err
			r.mu.Unlock()
			off := 0
			for _, it := range batch {
				if err != nil {
					break
				}
				var raw []byte
				if it.n >= 0 {
					raw = buf[off : off+it.n : off+it.n]
					off += it.n
				}
				err = r.s.deliver(raw, it.cp)
			}
			clear(batch) // the checkpoints' strings
			r.mu.Lock()
			r.busy = false
			if r.err == nil {
				r.err = err
			}
			r.cond.Broadcast()
		}
		r.now = false
		if r.closed {
			// A plugin still running (abandoned) gets ErrClosed from now
			// on instead of waiting for a goroutine that is gone.
			if r.err == nil {
				r.err = ErrClosed
			}
			r.cond.Broadcast()
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}
