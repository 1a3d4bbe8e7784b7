package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/queue"
)

// Backpressure, max_queue_size and failed queue writes: when an injection
// waits (see "Backpressure" in the package documentation).
//
// Each queue has a gate: a set of hold reasons that the maintenance
// goroutine sets every tick (and an Inject that meets a failed writer sets
// at once). Each goroutine that reads queues and injects into one (an
// analysis group, an output) has a flow: the segments it reads at, and a
// gate of its own for lag backpressure on the queue it injects into, which
// leaves out itself and the readers waiting in Inject, so that two readers
// injecting into each other's queue, or an output injecting into the
// queue it reads, never wait on each other for good.

// Hold reasons, bits of a gate.
const (
	holdLag    uint32 = 1 << iota // a running reader lags more than backpressure segments
	holdDisk                      // free disk at or under backpressure_disk_free × output_size
	holdFull                      // over max_queue_size with queue_full = block
	holdFailed                    // the queue's writer failed: waiting for Recover
)

// holdPressure are the reasons that are backpressure (the metric).
const holdPressure = holdLag | holdDisk | holdFull

// What each kind of injection waits for on its queue's gate. Analysis
// plugins and outputs also wait on their flow's lag gate; disk and (for
// outputs) max_queue_size do not hold them: they are what empties the
// queues, so holding them would keep the disk full.
const (
	inputHolds    = holdLag | holdDisk | holdFull | holdFailed
	analysisHolds = holdFull | holdFailed
	outputHolds   = holdFailed
)

// Queue indexes of flow's arrays.
const (
	qIn = iota
	qAn
)

// DefaultRecoverInterval is Options.RecoverInterval's default.
const DefaultRecoverInterval = 3 * time.Second

// stopPoll is how often a held injection looks whether its plugin was
// killed (sandbox.Kill sets Stopping; nothing else wakes the wait).
const stopPoll = 100 * time.Millisecond

// errHeldStop is Inject's error when the plugin is stopped while its
// injection waits.
var errHeldStop = errors.New("plugin stopping while the queue holds injections (backpressure or a failed queue write)")

// gate is a set of hold reasons. Held injections wait on a channel closed
// at every change.
type gate struct {
	bits atomic.Uint32 // read without mu on the fast path
	mu   sync.Mutex
	ch   chan struct{} // closed at the next change; nil until someone waits
}

// held reports whether any reason of mask is set and, if so, returns a
// channel closed at the next change.
func (g *gate) held(mask uint32) (<-chan struct{}, bool) {
	if g.bits.Load()&mask == 0 {
		return nil, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bits.Load()&mask == 0 {
		return nil, false
	}
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return g.ch, true
}

// update sets the reasons of mask to those of v and returns the bits it
// had before.
func (g *gate) update(mask, v uint32) uint32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.bits.Load()
	bits := old&^mask | v&mask
	if bits != old {
		g.bits.Store(bits)
		if g.ch != nil {
			close(g.ch)
			g.ch = nil
		}
	}
	return old
}

// qctl is one queue as the daemon drives it: its writer, its flusher and
// its gate.
type qctl struct {
	name string
	idx  int // qIn or qAn
	dir  string
	w    *queue.Writer
	f    *flusher
	gate gate
	seg  atomic.Uint64 // the writer's segment at the last injection: a change is a roll

	// Owned by the maintenance goroutine.
	failedAt time.Time // when the writer was found failed; zero while healthy
	tried    time.Time // the last Recover
	low      bool      // free disk at or under the floor at the last tick
	free     uint64    // free disk at the last tick

	// Counters of the metrics.
	dropped       atomic.Int64 // bytes of unread segments deleted (drop_oldest)
	prunedStopped atomic.Int64 // bytes deleted under the disk floor that stopped plugins held
	recoveries    atomic.Int64 // Recovers that worked
}

// queues returns both queues, input first.
func (d *daemon) queues() [2]*qctl { return [2]*qctl{d.inQ, d.anQ} }

// flow is a goroutine that reads queues and injects into one (an analysis
// group: input into analysis; an output: input and/or analysis into
// input), as backpressure sees it. Its goroutine sets seg and reads; the
// maintenance goroutine sets its lag gate.
type flow struct {
	name    string
	into    int              // the queue it injects into
	seg     [2]atomic.Uint64 // segment of its read position, by queue
	reads   [2]atomic.Bool   // it reads the queue now
	waiting atomic.Bool      // it waits in Inject
	lag     gate             // holdLag: a reader of into lags
}

// open says the flow reads queue q from pos.
func (f *flow) open(q int, pos queue.Position) {
	f.seg[q].Store(pos.Segment)
	f.reads[q].Store(true)
}

// at records the flow's read position in queue q.
func (f *flow) at(q int, pos queue.Position) {
	if f.seg[q].Load() != pos.Segment {
		f.seg[q].Store(pos.Segment)
	}
}

// close says the flow no longer reads queue q.
func (f *flow) close(q int) { f.reads[q].Store(false) }

// addFlow registers a flow for backpressure.
func (d *daemon) addFlow(f *flow) {
	d.flowMu.Lock()
	defer d.flowMu.Unlock()
	d.flows = append(d.flows, f)
}

// dropFlow unregisters a flow.
func (d *daemon) dropFlow(f *flow) {
	d.flowMu.Lock()
	defer d.flowMu.Unlock()
	d.flows = slices.DeleteFunc(d.flows, func(x *flow) bool { return x == f })
}

func (d *daemon) flowList() []*flow {
	d.flowMu.Lock()
	defer d.flowMu.Unlock()
	return slices.Clone(d.flows)
}

// holdSpec says what one injection waits for and what ends the wait.
type holdSpec struct {
	mask uint32 // reasons of the queue's gate
	own  *flow  // its lag gate too, and waiting is set; nil for inputs
	p    *plugin

	// stop is the plugin's end. With lift it ends a wait for backpressure
	// (the message is appended: a stopping reader finishes its record),
	// and a wait for a failed writer with errHeldStop; without, both.
	stop <-chan struct{}
	lift bool
	// end (analysis) is the daemon's shutdown: it ends a wait for a
	// failed writer, so that a group holding up a load-directory request
	// lets the shutdown go on.
	end <-chan struct{}
	// g (analysis): a request to the group (join, remove) ends a wait for
	// backpressure, so the group serves it after this record.
	g *group
}

// held reports whether the injection must wait now.
func (h *holdSpec) held(q *qctl) bool {
	return q.gate.bits.Load()&h.mask != 0 || (h.own != nil && h.own.lag.bits.Load() != 0)
}

// appendHeld appends msg to q once nothing holds it (see holdSpec). A
// record the writer took before failing is kept by its Recover: it counts
// as appended.
func (d *daemon) appendHeld(q *qctl, msg []byte, h *holdSpec) (queue.Position, error) {
	for {
		if h.held(q) {
			if err := d.wait(q, h); err != nil {
				return queue.Position{}, err
			}
		}
		if !h.p.injects {
			h.p.injects = true
			d.injectors.Store(h.p.key, true) // before the record: see pruneTargets
		}
		pos, err := q.w.Append(msg)
		if err == nil {
			if pos.Segment != q.seg.Load() {
				q.seg.Store(pos.Segment)
				d.kickPressure() // a roll: look at the queue now, not at the next tick
			}
			return pos, nil
		}
		if !errors.Is(err, queue.ErrWriteFailed) {
			return pos, err
		}
		q.gate.update(holdFailed, holdFailed) // the maintenance goroutine clears it once recovered
		if pos != (queue.Position{}) {
			return pos, nil
		}
	}
}

// wait blocks until nothing holds the injection (nil), or the plugin
// stops (errHeldStop, or nil when its stop lifts backpressure).
func (d *daemon) wait(q *qctl, h *holdSpec) error {
	if h.own != nil {
		h.own.waiting.Store(true)
		defer h.own.waiting.Store(false)
	}
	stop, end := h.stop, h.end
	var stopped, ended, woken bool
	var ops <-chan struct{}
	if h.g != nil {
		wctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if h.g.setWake(cancel) {
			defer h.g.setWake(nil)
			ops = wctx.Done()
		} else {
			woken = true // requests pending
		}
	}
	t := time.NewTicker(stopPoll)
	defer t.Stop()
	logged := false
	for {
		qch, qheld := q.gate.held(h.mask)
		var och <-chan struct{}
		oheld := false
		if h.own != nil {
			och, oheld = h.own.lag.held(holdLag)
		}
		if !qheld && !oheld {
			return nil
		}
		failed := qheld && q.gate.bits.Load()&holdFailed != 0
		switch {
		case h.p.sb.Stopping():
			return errHeldStop
		case stopped:
			if h.lift && !failed {
				return nil
			}
			return errHeldStop
		case ended && failed:
			return errHeldStop
		case woken && !failed:
			return nil
		}
		if !logged {
			logged = true
			h.p.log.Debug("injection waits", "queue", q.name, "holds", holdNames(q.gate.bits.Load()&h.mask|boolBits(oheld, holdLag)))
		}
		select {
		case <-qch:
		case <-och:
		case <-t.C:
		case <-stop:
			stopped, stop = true, nil
		case <-end:
			ended, end = true, nil
		case <-ops:
			woken, ops = true, nil
		}
	}
}

func boolBits(b bool, bits uint32) uint32 {
	if b {
		return bits
	}
	return 0
}

// holdNames names the reasons of bits, for logs.
func holdNames(bits uint32) []string {
	var names []string
	for _, r := range []struct {
		bit  uint32
		name string
	}{{holdLag, "lag"}, {holdDisk, "disk"}, {holdFull, "max_queue_size"}, {holdFailed, "write failed"}} {
		if bits&r.bit != 0 {
			names = append(names, r.name)
		}
	}
	return names
}

// kickPressure asks the maintenance goroutine for a pressure evaluation
// now. It never blocks.
func (d *daemon) kickPressure() {
	select {
	case d.rolled <- struct{}{}:
	default:
	}
}

// checkWriters holds the injections into a queue whose writer failed and
// tries Recover every RecoverInterval; a recovered queue lets them go on.
func (d *daemon) checkWriters(now time.Time) {
	for _, q := range d.queues() {
		err := q.w.Healthy()
		if err == nil {
			if !q.failedAt.IsZero() {
				q.failedAt = time.Time{}
			}
			q.gate.update(holdFailed, 0)
			continue
		}
		q.gate.update(holdFailed, holdFailed)
		if q.failedAt.IsZero() {
			q.failedAt = now
			d.log.Error("queue write failed: injections into the queue wait until it recovers",
				"queue", q.name, "err", err, "retry_every", d.opts.RecoverInterval)
		}
		if now.Sub(q.tried) < d.opts.RecoverInterval {
			continue
		}
		q.tried = now
		if rerr := q.w.Recover(); rerr != nil {
			d.log.Warn("queue writer not recovered yet", "queue", q.name, "err", rerr,
				"failed_for", now.Sub(q.failedAt).Round(time.Second), "retry_in", d.opts.RecoverInterval)
			continue
		}
		d.log.Info("queue writable again: injections go on", "queue", q.name,
			"failed_for", now.Sub(q.failedAt).Round(time.Second))
		q.failedAt = time.Time{}
		q.recoveries.Add(1)
		q.gate.update(holdFailed, 0)
		q.f.Flush() // wakes the outputs waiting on the flusher
	}
}

// pressure is the maintenance goroutine's work on the queues at each
// tick: pruning (every PruneInterval, and every tick while the disk is
// under the floor, when stopped plugins' data goes too), max_queue_size,
// and the backpressure of each queue and each flow. In batch mode only
// pruning.
func (d *daemon) pressure(prune bool) {
	floor := uint64(d.m.BackpressureDiskFree) * uint64(d.m.OutputSize)
	for _, q := range d.queues() {
		q.low = false
		if floor > 0 && !d.opts.once {
			free, err := queue.DiskFree(q.dir)
			if err == nil {
				q.free = free
				q.low = free <= floor
			}
		}
		if d.opts.PruneInterval > 0 && (prune || q.low) {
			d.pruneQueue(q, q.low)
		}
	}
	if d.opts.once {
		return
	}
	flows := d.flowList()
	var wseg [2]uint64
	for _, q := range d.queues() {
		wseg[q.idx] = q.w.Position().Segment
	}
	lagMax := uint64(d.m.Backpressure)
	for _, q := range d.queues() {
		var bits uint32
		var attrs []any
		if lagMax > 0 {
			var slow *flow
			var slowSeg uint64
			for _, f := range flows {
				if !f.reads[q.idx].Load() {
					continue
				}
				if s := f.seg[q.idx].Load(); slow == nil || s < slowSeg {
					slow, slowSeg = f, s
				}
			}
			if slow != nil && wseg[q.idx] > slowSeg+lagMax {
				bits |= holdLag
				attrs = append(attrs, "writer_segment", wseg[q.idx], "slowest_reader", slow.name, "reader_segment", slowSeg, "backpressure", lagMax)
			}
		}
		if q.low {
			bits |= holdDisk
			attrs = append(attrs, "disk_free", q.free, "floor", floor)
		}
		if limit := d.m.MaxQueueSize; limit > 0 {
			size, ok := d.queueSize(q)
			if ok && size > limit && d.opts.PruneInterval > 0 {
				// What every reader is done with goes first, at every
				// tick while over, not every PruneInterval.
				d.pruneQueue(q, q.low)
				size, ok = d.queueSize(q)
			}
			if ok && size > limit {
				if d.m.QueueFull == config.QueueFullDropOldest {
					d.dropOldest(q)
				} else {
					bits |= holdFull
					attrs = append(attrs, "queue_size", size, "max_queue_size", limit)
				}
			}
		}
		old := q.gate.update(holdPressure, bits) & holdPressure
		switch {
		case bits != 0 && bits&^old != 0:
			reasons := fmt.Sprintf("applying backpressure (%s)", strings.Join(holdNames(bits&^old), ", "))
			d.log.Warn(reasons, append([]any{"queue", q.name}, attrs...)...)
		case bits == 0 && old != 0:
			d.log.Info("releasing backpressure", "queue", q.name)
		}
	}

	// Each flow's own lag gate: the readers of the queue it injects into,
	// but itself and those waiting in Inject.
	for _, f := range flows {
		held := false
		if lagMax > 0 {
			var minSeg uint64
			found := false
			for _, x := range flows {
				if x == f || x.waiting.Load() || !x.reads[f.into].Load() {
					continue
				}
				if s := x.seg[f.into].Load(); !found || s < minSeg {
					minSeg, found = s, true
				}
			}
			held = found && wseg[f.into] > minSeg+lagMax
		}
		if old := f.lag.update(holdLag, boolBits(held, holdLag)); (old != 0) != held {
			d.log.Debug("flow lag backpressure", "flow", f.name, "held", held)
		}
	}
}

// queueSize returns the bytes of q's segment files.
func (d *daemon) queueSize(q *qctl) (int64, bool) {
	segs, err := queue.Segments(q.dir)
	if err != nil {
		return 0, false
	}
	var size int64
	for _, s := range segs {
		size += s.Size
	}
	return size, true
}

// dropOldest deletes q's oldest finished segments until the queue is at
// or under max_queue_size (queue_full = drop_oldest), read or not, and
// logs which plugins lose data.
func (d *daemon) dropOldest(q *qctl) {
	segs, err := queue.Segments(q.dir)
	if err != nil {
		d.log.Warn("queue over max_queue_size not trimmed", "queue", q.name, "err", err)
		return
	}
	var size int64
	for _, s := range segs {
		size += s.Size
	}
	limit := d.m.MaxQueueSize
	total := size
	var below uint64
	for i := 0; i+1 < len(segs) && total > limit; i++ {
		total -= segs[i].Size
		below = segs[i+1].ID
	}
	if below == 0 {
		return
	}
	var losers []string
	if t, err := d.pruneTargets(q); err == nil {
		losers = t.losers(q.dir, below)
	}
	n, bytes, err := queue.Prune(q.dir, queue.Position{Segment: below})
	q.dropped.Add(bytes)
	d.obs.prunedSegments(q.name, n, bytes)
	if n > 0 {
		d.log.Warn("queue over max_queue_size: deleted its oldest segments, unread (queue_full = drop_oldest)",
			"queue", q.name, "segments", n, "bytes", bytes, "queue_size", size, "max_queue_size", limit,
			"plugins_losing_data", losers)
	}
	if err != nil {
		d.log.Warn("queue over max_queue_size not trimmed", "queue", q.name, "err", err)
	}
}
