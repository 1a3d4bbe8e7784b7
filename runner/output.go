package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

// outPos is the position an output hands to its sandbox with each
// message: for each queue it reads, the position after the last record
// delivered from it (this message included). The sandbox's checkpoint
// state machine hands back the one that may be committed.
type outPos struct {
	Input, Analysis queue.Position
}

// source is one queue an output reads.
type source struct {
	name    string
	idx     int // qIn or qAn
	dir     string
	r       *queue.Reader
	pending bool           // r holds a record not delivered yet
	done    queue.Position // after the last record delivered
	ended   bool           // batch mode: read to the end after its producers were done
}

// output runs one output plugin on its own goroutine, reading the input
// queue, the analysis queue or both. It is the plugin's sandbox.Host:
// inject_message appends to the input queue. Everything but done is owned
// by that goroutine.
type output struct {
	d      *daemon
	p      *plugin
	in, an *source   // nil when not read
	srcs   []*source // the sources read, input first
	state  cursor.State
	pin    *pin

	injPos   queue.Position // input queue position after its last injection
	injected bool
	dirty    bool // injected since the last flush
	deps     [1]cursor.Dep
	hold     holdSpec // what its injections wait for; set by start
	heldStop bool     // an injection ended with errHeldStop: it was stopping
	fl       flow     // its reading and injecting, for backpressure
	retrying *source  // the source whose record waits to be offered again

	committed    outPos
	hasCommitted bool

	ticker time.Duration
	next   time.Time
	clock  msgClock // batch mode: the time of timers
	dead   bool

	cancel context.CancelFunc // stops this output alone (set by start)
	done   chan struct{}
}

// loadOutput creates the output plugin of sp. It resumes from its latest
// cursor; a queue it has no cursor for is read from startPosition.
func (d *daemon) loadOutput(sp *spec, dynamic bool) (*output, error) {
	st, err := d.loadCursor(sp.key)
	if err != nil {
		return nil, err
	}
	o := &output{d: d, done: make(chan struct{})}
	if o.p, err = d.newPlugin(sp, o); err != nil {
		return nil, err
	}
	rq := o.p.cfg.ReadQueue
	if rq == "input" || rq == "both" {
		o.in = &source{name: queueInput, idx: qIn, dir: d.inDir}
		o.srcs = append(o.srcs, o.in)
	}
	if rq == "analysis" || rq == "both" {
		o.an = &source{name: queueAnalysis, idx: qAn, dir: d.anDir}
		o.srcs = append(o.srcs, o.an)
	}
	// The cursor keeps only the queues read now.
	o.state.Queues = map[string]queue.Position{}
	starts := map[string]queue.Position{}
	for _, s := range o.srcs {
		pos, ok := st.Queues[s.name]
		if !ok {
			if pos, err = d.startPosition(s.name, dynamic); err != nil {
				_ = o.p.sb.Close(false)
				return nil, err
			}
		}
		s.done = pos
		starts[s.name] = pos
		o.state.Queues[s.name] = pos
	}
	o.ticker = time.Duration(o.p.cfg.TickerInterval) * time.Second
	o.pin = d.addPin(o.p, starts)
	d.obs.add(o.p, -1, starts)
	return o, nil
}

// start runs the output on its own goroutine until parent ends or stop.
func (o *output) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	o.cancel = cancel
	o.hold = holdSpec{mask: outputHolds, own: &o.fl, p: o.p, stop: ctx.Done(), lift: true}
	go o.run(ctx)
}

// stop asks the output to finish the record in hand and shut down.
func (o *output) stop() { o.cancel() }

// Inject is the plugin's inject_message: into the input queue. It waits
// while the queue holds output injections (lag backpressure, a failed
// writer); the output's end lets it go on, or, with a failed writer, ends
// it with errHeldStop.
func (o *output) Inject(msg []byte, _ sandbox.Checkpoint) error {
	pos, err := o.d.appendHeld(o.d.inQ, msg, &o.hold)
	if err != nil {
		o.heldStop = errors.Is(err, errHeldStop)
		return err
	}
	o.injPos, o.injected, o.dirty = pos, true, true
	o.d.inF.Kick()
	return nil
}

// run delivers records until ctx ends, then shuts the plugin down
// (timer_event(now, true), final cursor, Close with preserve_data).
func (o *output) run(ctx context.Context) {
	defer close(o.done)
	d := o.d
	o.fl.name, o.fl.into = o.String(), qIn
	d.addFlow(&o.fl)
	defer d.dropFlow(&o.fl)
	defer func() {
		for _, s := range o.srcs {
			if s.r != nil {
				s.r.Close()
			}
		}
	}()
	for _, s := range o.srcs {
		r, err := queue.OpenReader(s.dir, s.done, queue.ReaderOptions{
			MaxMessageSize: int(d.m.MaxMessageSize),
			Logger:         d.log.With("reader", o.String()+"<-"+s.name),
		})
		if err != nil {
			d.fail(fmt.Errorf("%s: %w", o, err))
			o.shutdown()
			return
		}
		s.r = r
		o.fl.open(s.idx, s.done)
	}
	if o.ticker > 0 && !d.opts.once { // batch mode: the first tick is immediate
		o.next = time.Now().Add(stagger(o.ticker))
	}
	for !o.dead {
		s := o.pick(ctx)
		if s == nil || !o.deliver(ctx, s) || ctx.Err() != nil {
			break
		}
	}
	o.shutdown()
}

// pick returns the source whose record goes next, waiting for one; nil
// when ctx ends, the plugin terminated or a reader failed. With two
// pending records the older (by Timestamp) goes first, the input queue's
// on a tie; a queue with nothing to read holds nothing back.
func (o *output) pick(ctx context.Context) *source {
	d := o.d
	if d.opts.once {
		return o.pickOnce(ctx)
	}
	both := o.in != nil && o.an != nil
	for {
		if !o.fill([2]bool{}) {
			return nil
		}
		switch {
		case both && o.in.pending && o.an.pending:
			if o.an.r.Message().Timestamp() < o.in.r.Message().Timestamp() {
				return o.an
			}
			return o.in
		case o.in != nil && o.in.pending:
			return o.in
		case o.an != nil && o.an.pending:
			return o.an
		}

		// Nothing to read: flush, run the timer, wait.
		o.flush()
		now := time.Now()
		o.timerIfDue(now)
		if o.dead || ctx.Err() != nil {
			return nil
		}
		if !both {
			s := o.srcs[0]
			wctx, cancel := ctx, context.CancelFunc(func() {})
			if o.ticker > 0 {
				wctx, cancel = context.WithDeadline(ctx, o.next)
			}
			s.pending = s.r.Next(wctx)
			cancel()
			if s.pending {
				return s
			}
			if err := s.r.Err(); err != nil {
				d.fail(fmt.Errorf("%s: %w", o, err))
				return nil
			}
			continue
		}
		// Taken before looking again, so a flush in between wakes us (not
		// before every look: two locks per record).
		wIn, wAn := d.inF.wait(), d.anF.wait()
		again := false
		for _, s := range o.srcs {
			if !s.pending {
				s.pending = s.r.TryNext()
			}
			again = again || s.pending || s.r.Err() != nil
		}
		if again {
			continue
		}
		wait := time.Second // a safety net: flushes wake us
		if o.ticker > 0 {
			wait = min(wait, o.next.Sub(now))
		}
		t := time.NewTimer(wait)
		select {
		case <-wIn:
		case <-wAn:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// pickOnce is pick in batch mode, where the merge is exact: a record
// goes only when every other queue has one pending too, or has ended (was
// read to its end after its producers were done), so the order is the
// same however the stages overlap. It returns nil when every queue has
// ended and our injections are in, or when ctx ends, the plugin
// terminated or a reader failed.
func (o *output) pickOnce(ctx context.Context) *source {
	d := o.d
	for looked := false; ; looked = true {
		var fin [2]bool // producers done, taken before the reads
		var flushed [2]<-chan struct{}
		if looked {
			for _, s := range o.srcs {
				fin[s.idx] = isDone(d.producersDone()[s.idx])
				flushed[s.idx] = d.queues()[s.idx].f.wait()
			}
		}
		if !o.fill(fin) {
			return nil
		}
		var next *source
		ready := true
		for _, s := range o.srcs {
			switch {
			case !s.pending:
				ready = ready && s.ended
			case next == nil || s.r.Message().Timestamp() < next.r.Message().Timestamp():
				next = s // the input queue's first: it wins ties
			}
		}
		if next != nil && ready {
			return next
		}
		if !looked {
			continue
		}
		if o.dirty {
			o.flush()
			continue
		}
		if next == nil && ready {
			return nil // every queue ended
		}
		if o.dead || ctx.Err() != nil {
			return nil
		}
		var up [2]<-chan struct{} // nil: not read, or done already
		for _, s := range o.srcs {
			if !fin[s.idx] {
				up[s.idx] = d.producersDone()[s.idx]
			}
		}
		select {
		case <-flushed[qIn]:
		case <-flushed[qAn]:
		case <-up[qIn]:
		case <-up[qAn]:
		case <-ctx.Done():
		}
	}
}

// retryLogEvery is how often an output retrying one message logs it.
const retryLogEvery = 30 * time.Second

// fill reads a record into every source without one. A source left
// without one whose producers were done (fin, taken before: batch mode)
// has ended. It returns false when a reader failed.
func (o *output) fill(fin [2]bool) bool {
	for _, s := range o.srcs {
		if s.pending {
			continue
		}
		if s.pending = s.r.TryNext(); !s.pending {
			if err := s.r.Err(); err != nil {
				o.d.fail(fmt.Errorf("%s: %w", o, err))
				return false
			}
			// Where the reader is, past any segments without a record,
			// for lag backpressure (see group.read).
			o.fl.at(s.idx, s.r.Position())
			s.ended = s.ended || fin[s.idx]
		}
	}
	return true
}

// deliver offers s's pending record to the plugin (or tells it the record
// did not match), then commits. It returns false when the plugin
// terminated or ctx ended while the record waited to be retried.
func (o *output) deliver(ctx context.Context, s *source) bool {
	p := o.p
	v := s.r.Message()
	o.clock.see(v.Timestamp())
	var pos outPos
	if o.in != nil {
		pos.Input = o.in.done
	}
	if o.an != nil {
		pos.Analysis = o.an.done
	}
	if s == o.in {
		pos.Input = s.r.Position()
	} else {
		pos.Analysis = s.r.Position()
	}
	if p.match(v) {
		retries := 0
		var logged time.Time // the last retry logged
		for {
			res, err := p.processOutput(v, pos)
			if err != nil {
				o.terminate(err)
				return false
			}
			if !res.Retry {
				if res.Status == sandbox.StatusFail || res.Message != "" {
					p.log.Warn("process_message returned", "status", res.Status, "msg", res.Message)
				}
				if retries > 0 {
					p.log.Info("message taken after retries", "retries", retries)
				}
				break
			}
			// An output retrying (a destination down) says so, at most
			// every retryLogEvery: the operator sees why nothing moves.
			retries++
			if now := time.Now(); now.Sub(logged) >= retryLogEvery {
				p.log.Warn("process_message returned -3: retrying the message", "retries", retries, "msg", res.Message)
				logged = now
			}
			o.retrying = s
			o.commit()
			o.timerIfDue(o.clock.now(o.d.opts.once))
			if o.dead || !sleep(ctx, o.d.opts.RetryDelay) {
				o.retrying = nil
				return false
			}
		}
		o.retrying = nil
	} else {
		p.sb.SkipOutput(pos)
	}
	s.done, s.pending = s.r.Position(), false
	o.fl.at(s.idx, s.done)
	o.commit()
	if o.ticker > 0 {
		o.timerIfDue(o.clock.now(o.d.opts.once))
	}
	return !o.dead
}

// commit puts the committable position into the store when it moved,
// dependent on the plugin's injections.
func (o *output) commit() {
	defer o.notePending()
	cp, ok := o.p.sb.Committable()
	if !ok {
		return
	}
	pos := cp.(outPos)
	if o.hasCommitted && pos == o.committed {
		return
	}
	o.committed, o.hasCommitted = pos, true
	if o.in != nil {
		o.state.Queues[queueInput] = pos.Input
	}
	if o.an != nil {
		o.state.Queues[queueAnalysis] = pos.Analysis
	}
	deps := o.deps[:0]
	if o.injected {
		deps = append(deps, cursor.Dep{Queue: queueInput, Pos: o.injPos})
	}
	if err := o.d.store.Put(o.p.key, o.state, deps...); err != nil {
		o.p.log.Warn("cursor not updated", "err", err)
	}
}

// timerIfDue runs timer_event if it is due.
func (o *output) timerIfDue(now time.Time) {
	if o.dead || o.ticker == 0 || now.Before(o.next) {
		return
	}
	o.next = now.Add(o.ticker)
	if err := o.p.timerEvent(timerNS(now), false); err != nil {
		o.terminate(err)
		return
	}
	o.commit()
}

// terminate stops a failed plugin. Its cursor stays, unless
// remove_checkpoints_on_terminate says otherwise.
func (o *output) terminate(err error) {
	o.dead = true
	p := o.p
	if errors.Is(err, sandbox.ErrShutdown) || o.heldStop {
		p.log.Info("stopped while running")
	} else {
		o.d.terminated(p, err)
		if p.cfg.RemoveCheckpointsOnTerminate {
			o.pin.remove()
			if rerr := o.d.store.Remove(p.key); rerr != nil {
				p.log.Warn("cursor not removed", "err", rerr)
			} else {
				p.log.Info("cursor removed (remove_checkpoints_on_terminate)")
			}
		}
	}
	if cerr := p.sb.Close(false); cerr != nil {
		p.log.Warn("close", "err", cerr)
	}
}

// shutdown gives the plugin its final timer_event, commits and closes it.
func (o *output) shutdown() {
	if !o.dead {
		if err := o.p.timerEvent(timerNS(o.clock.now(o.d.opts.once)), true); err != nil {
			o.terminate(err)
		} else {
			o.commit()
			if err := o.p.sb.Close(true); err != nil {
				o.p.log.Error("close", "err", err)
			}
			o.dead = true
		}
	}
	o.flush()
}

// flush makes the plugin's injections visible to readers.
func (o *output) flush() {
	if o.dirty {
		o.dirty = false
		o.d.inF.Flush()
	}
}

func (o *output) doneCh() <-chan struct{} { return o.done }
func (o *output) abandon()                { o.p.sb.Abandon() }
func (o *output) String() string          { return o.p.key.String() }

// queueDir is the directory of a queue by name.
func (d *daemon) queueDir(name string) string { return filepath.Join(d.m.OutputPath, name) }
