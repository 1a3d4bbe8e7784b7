package runner

import (
	"context"
	"errors"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

// input runs one input plugin on its own goroutine. It is the plugin's
// sandbox.Host: inject_message appends to the input queue and puts the
// plugin's checkpoint into the store, dependent on that append.
type input struct {
	d *daemon
	p *plugin

	// Owned by the plugin's goroutine (Inject runs on it).
	state    cursor.State   // as last Put: Checkpoint, Queues["input"]
	lastPos  queue.Position // after the plugin's last append
	appended bool           // lastPos is set
	dirty    bool           // appended since the last flush
	deps     [1]cursor.Dep
	hold     holdSpec // what its injections wait for
	heldStop bool     // an injection ended with errHeldStop: the plugin was stopping
	// injectErr is the error of a refused message: every later Inject of
	// this instance returns it (a restart creates a new instance).
	injectErr error

	stopCh chan struct{} // closed at shutdown: ends a poll wait
	done   chan struct{} // closed when run returns
}

// loadInput creates the input plugin of sp, which resumes from its latest
// checkpoint.
func (d *daemon) loadInput(sp *spec) (*input, error) {
	st, err := d.loadCursor(sp.key)
	if err != nil {
		return nil, err
	}
	in := &input{d: d, state: st, stopCh: make(chan struct{}), done: make(chan struct{})}
	if in.p, err = d.newPlugin(sp, in); err != nil {
		return nil, err
	}
	in.hold = holdSpec{mask: inputHolds, p: in.p, stop: in.stopCh}
	d.obs.add(in.p, -1, nil)
	return in, nil
}

// Inject is the plugin's inject_message(msg, checkpoint). It waits while
// the input queue holds injections (backpressure, max_queue_size, a failed
// writer) and fails with errHeldStop when the plugin is stopped meanwhile.
func (in *input) Inject(msg []byte, cp sandbox.Checkpoint) error {
	if in.injectErr != nil {
		// A message was refused: no later message, and above all no later
		// checkpoint, may be taken, or a plugin that caught the error (a
		// Lua decoder called under pcall) would checkpoint past it.
		return in.injectErr
	}
	if msg != nil {
		pos, err := in.d.appendHeld(in.d.inQ, msg, &in.hold)
		if err != nil {
			in.heldStop = errors.Is(err, errHeldStop)
			in.injectErr = err
			return err
		}
		in.lastPos, in.appended, in.dirty = pos, true, true
		in.state.Queues[queueInput] = pos
		in.d.inF.Kick()
	}
	if cp.Kind == sandbox.CheckpointNone {
		return nil
	}
	in.state.Checkpoint = cursor.Checkpoint{Kind: cursor.CheckpointKind(cp.Kind), Number: cp.Number, String: cp.String}
	deps := in.deps[:0]
	if in.appended {
		deps = append(deps, cursor.Dep{Queue: queueInput, Pos: in.lastPos})
	}
	return in.d.store.Put(in.p.key, in.state, deps...)
}

// checkpoint is what the next process_message gets: the last checkpoint
// injected, or the saved one.
func (in *input) checkpoint() sandbox.Checkpoint {
	c := in.state.Checkpoint
	return sandbox.Checkpoint{Kind: sandbox.CheckpointKind(c.Kind), Number: c.Number, String: c.String}
}

// run calls process_message in the plugin's run mode (§3.6) until it
// finishes, is stopped or terminates, then closes the sandbox.
func (in *input) run() {
	defer close(in.done)
	p := in.p
	interval := time.Duration(p.cfg.TickerInterval) * time.Second
	if in.d.opts.once {
		interval = 0 // batch mode: process_message once
	}
	var timer *time.Timer
	preserveData := true
	for {
		status, msg, err := p.processInput(in.checkpoint())
		in.flush()
		if err != nil {
			if (errors.Is(err, sandbox.ErrShutdown) || in.heldStop) && p.sb.Stopping() {
				p.log.Info("stopped while running")
				break
			}
			in.d.terminated(p, err)
			preserveData = false
			break
		}
		if status < 0 || msg != "" {
			p.log.Warn("process_message returned", "status", status, "msg", msg)
		}
		if interval == 0 {
			p.log.Info("finished (run once)")
			break
		}
		if p.sb.Stopping() {
			break
		}
		if timer == nil {
			timer = time.NewTimer(interval)
			defer timer.Stop()
		} else {
			timer.Reset(interval)
		}
		select {
		case <-timer.C:
			continue
		case <-in.stopCh:
		}
		break
	}
	if err := p.sb.Close(preserveData); err != nil {
		p.log.Error("close", "err", err)
	}
}

// flush makes what the plugin injected visible to readers.
func (in *input) flush() {
	if in.dirty {
		in.dirty = false
		in.d.inF.Flush()
	}
}

// stop asks the plugin to stop: is_running() turns false and a poll wait
// ends.
func (in *input) stop() {
	in.p.sb.Stop()
	close(in.stopCh)
}

func (in *input) doneCh() <-chan struct{} { return in.done }
func (in *input) abandon()                { in.p.sb.Abandon() }
func (in *input) String() string          { return in.p.key.String() }

// BatchMode is sandbox.BatchHost's: true under sightline run -once.
func (in *input) BatchMode() bool { return in.d.opts.once }

// durableWait is how long Durable's function waits for the flusher's
// checkpoint tick before syncing the queue itself.
const durableWait = 20 * time.Millisecond

// Durable is sandbox.DurableHost's: the returned function waits until the
// input queue is synced past the plugin's last append, syncing it itself
// when the flusher has not within durableWait. A failed queue writer is
// waited out: its recovery (queue.Writer.Recover) rewrites every record
// taken after the last sync, so the position becomes durable then, and
// whoever waits (a TCP receiver about to acknowledge) need not give up and
// have the data sent again.
func (in *input) Durable() func(ctx context.Context) error {
	if !in.appended {
		return func(context.Context) error { return nil }
	}
	pos, w := in.lastPos, in.d.inW
	return func(ctx context.Context) error {
		deadline := time.Now().Add(durableWait)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for w.Synced().Less(pos) {
			if w.Healthy() == nil && time.Now().After(deadline) {
				if err := w.Sync(); err != nil && w.Healthy() == nil {
					return err
				}
				deadline = time.Now().Add(durableWait)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
		return nil
	}
}
