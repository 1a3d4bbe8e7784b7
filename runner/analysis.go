package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

// group is one analysis thread: a goroutine with one reader of the input
// queue whose records are offered to each of its plugins in turn. Every
// thread's group runs from start to shutdown; one without a live plugin
// closes its reader and waits for a plugin to join (catchup.go).
//
// A catch-up group (target set) is the own reader of one plugin that
// joins target behind target's position: it runs that plugin alone until
// it is level with the queue's tail, then hands it over (handover).
type group struct {
	d     *daemon
	id    int
	start queue.Position // where the reader starts: the lowest cursor
	clock msgClock       // batch mode: the time of timers
	dirty bool           // a plugin injected since the last flush
	done  chan struct{}

	// Owned by the group's goroutine (plugins: changed under mu too, so
	// that abandon may read it).
	plugins []*analysisPlugin
	r       *queue.Reader  // nil while no plugin is live
	pos     queue.Position // after the last record r delivered and the plugins handled

	target *group             // catch-up groups: the group joined when level
	cancel context.CancelFunc // catch-up groups: stops it

	ctx context.Context // run's; set before any plugin runs
	fl  flow            // its reading and injecting, for backpressure

	// Requests from other goroutines (join, remove), served between two
	// records. mu is a leaf lock: nothing is called while it is held but
	// wake, which only cancels a context.
	mu     sync.Mutex
	ops    []*groupOp
	hasOps atomic.Bool        // len(ops) > 0, read at every record
	wake   context.CancelFunc // ends the wait in progress, if any
	closed bool               // the goroutine is ending: ops are refused
}

// analysisPlugin is one analysis plugin of a group; it is the plugin's
// sandbox.Host. Everything here is owned by the goroutine of the group
// running it (g: its thread's group, or its catch-up group), but slot and
// catchup, which belong to the daemon's registry (lifecycle.go).
type analysisPlugin struct {
	g       *group
	slot    int    // the analysis thread it runs on
	catchup *group // its catch-up group while it has one (nil at startup)
	p       *plugin
	start   queue.Position // records ending at or before it were handled in an earlier run
	state   cursor.State   // Queues["input"]: after the last record finished
	pin     *pin

	injPos   queue.Position // analysis queue position after its last injection
	injected bool
	deps     [1]cursor.Dep
	heldStop bool // an injection ended with errHeldStop: it was stopping
	// injectErr is the error of a refused message: every later Inject of
	// this instance returns it, and the call that made it ends the plugin
	// (refused), so its cursor never passes the record (a restart replays
	// it).
	injectErr error

	ticker time.Duration
	next   time.Time // next timer_event
	dead   bool      // terminated
}

// loadAnalysis creates the analysis plugin of sp. It resumes from its
// latest cursor, else starts at startPosition.
func (d *daemon) loadAnalysis(sp *spec, dynamic bool) (*analysisPlugin, error) {
	st, err := d.loadCursor(sp.key)
	if err != nil {
		return nil, err
	}
	a := &analysisPlugin{state: st}
	if a.p, err = d.newPlugin(sp, a); err != nil {
		return nil, err
	}
	if pos, ok := st.Queues[queueInput]; ok {
		a.start = pos
	} else if a.start, err = d.startPosition(queueInput, dynamic); err != nil {
		_ = a.p.sb.Close(false)
		return nil, err
	}
	a.ticker = time.Duration(a.p.cfg.TickerInterval) * time.Second
	a.pin = d.addPin(a.p, map[string]queue.Position{queueInput: a.start})
	return a, nil
}

// makeGroups makes the analysis_threads groups and spreads the analysis
// plugins over them: thread % analysis_threads for a plugin that sets
// thread, else the thread its previous .rtc names, else the group with
// the fewest plugins.
func (d *daemon) makeGroups(plugins []*analysisPlugin) {
	n := d.m.AnalysisThreads
	if n < 1 {
		n = 1
	}
	groups := make([]*group, n)
	for i := range groups {
		groups[i] = &group{d: d, id: i, done: make(chan struct{})}
	}
	var free []*analysisPlugin
	for _, a := range plugins {
		if a.p.cfg.HasThread {
			groups[int(a.p.cfg.Thread%int64(n))].add(a)
		} else if t, ok := d.rtcThread(a.p.key); ok && t < n {
			groups[t].add(a)
		} else {
			free = append(free, a)
		}
	}
	for _, a := range free {
		slices.SortStableFunc(groups, func(x, y *group) int { return len(x.plugins) - len(y.plugins) })
		groups[0].add(a)
	}
	slices.SortFunc(groups, func(x, y *group) int { return x.id - y.id })
	for _, g := range groups {
		for i, a := range g.plugins {
			if i == 0 {
				g.start = a.start
			}
			g.start = queue.Min(g.start, a.start)
		}
	}
	d.groups = groups
	d.analysis = plugins
}

func (g *group) add(a *analysisPlugin) {
	a.g = g
	a.slot = g.id
	a.p.cfg.Table.Set("thread", float64(g.id)) // read_config and the .rtc show it, as in the reference
	g.plugins = append(g.plugins, a)
	g.d.obs.add(a.p, g.id, a.pin.start)
}

// Inject is the plugin's inject_message: into the analysis queue. It
// waits while the queue holds analysis injections (lag backpressure,
// max_queue_size, a failed writer): a request to the group or the group's
// end lets it go on, a failed writer ends it with errHeldStop at shutdown.
// After a refused message it refuses every message, as an input's does.
func (a *analysisPlugin) Inject(msg []byte, _ sandbox.Checkpoint) error {
	if a.injectErr != nil {
		return a.injectErr
	}
	g := a.g
	d := g.d
	h := holdSpec{mask: analysisHolds, own: &g.fl, p: a.p, stop: g.ctx.Done(), lift: true, end: d.ctx.Done(), g: g}
	pos, err := d.appendHeld(d.anQ, msg, &h)
	if err != nil {
		a.heldStop = errors.Is(err, errHeldStop)
		a.injectErr = err
		return err
	}
	a.injPos, a.injected = pos, true
	a.g.dirty = true
	d.anF.Kick()
	return nil
}

// run reads the input queue until ctx ends, then shuts the group's
// plugins down (timer_event(now, true), Close with preserve_data). It
// serves the requests of other goroutines between two records.
func (g *group) run(ctx context.Context) {
	defer close(g.done)
	g.ctx = ctx
	g.fl.name, g.fl.into = g.String(), qAn
	g.d.addFlow(&g.fl)
	defer g.d.dropFlow(&g.fl)
	now := time.Now()
	for _, a := range g.plugins {
		if !g.d.opts.once { // batch mode: the first tick is immediate
			g.arm(a, now)
		}
	}
	if len(g.plugins) > 0 {
		if err := g.openReader(g.start); err != nil {
			g.d.fail(fmt.Errorf("%s: %w", g, err))
		}
	}
	switch {
	case g.d.fatalErr() != nil:
	case g.d.opts.once:
		g.drain()
	case ctx.Err() == nil:
		g.read(ctx)
	}
	g.close()
	g.shutdown()
	g.closeReader()
}

// arm schedules a plugin's first timer_event, staggered.
func (g *group) arm(a *analysisPlugin, now time.Time) {
	if a.ticker > 0 && a.next.IsZero() {
		a.next = now.Add(stagger(a.ticker))
	}
}

// openReader opens the group's reader at pos.
func (g *group) openReader(pos queue.Position) error {
	r, err := queue.OpenReader(g.d.inDir, pos, queue.ReaderOptions{
		MaxMessageSize: int(g.d.m.MaxMessageSize),
		Logger:         g.d.log.With("reader", g.String()),
	})
	if err != nil {
		return err
	}
	g.r, g.pos = r, pos
	g.fl.open(qIn, pos)
	return nil
}

func (g *group) closeReader() {
	if g.r != nil {
		g.fl.close(qIn)
		g.r.Close()
		g.r = nil
	}
}

// read is the group's loop: one record at a time to every plugin.
func (g *group) read(ctx context.Context) {
	for ctx.Err() == nil {
		if g.hasOps.Load() {
			g.serve(ctx)
		}
		if g.r != nil && !g.alive() {
			g.flush()
			g.closeReader()
		}
		if g.r == nil {
			if g.target != nil {
				return // a catch-up whose plugin terminated
			}
			g.idle(ctx)
			continue
		}
		r := g.r
		if !r.TryNext() {
			if err := r.Err(); err != nil {
				g.d.fail(fmt.Errorf("%s: %w", g, err))
				return
			}
			// Nothing to read: the reader may be segments past its last
			// record (empty ones: a writer that rolled, then closed, and
			// each start's new one). Lag backpressure must see it where
			// it reads: at its last record it would seem to lag, and hold
			// for good the inputs whose records alone would move it.
			g.fl.at(qIn, r.Position())
			g.flush()
			next, timed := g.timers(time.Now())
			if ctx.Err() != nil || !g.alive() {
				continue
			}
			if g.target != nil {
				g.handover()
				return
			}
			if !g.wait(ctx, r, next, timed) {
				if err := r.Err(); err != nil {
					g.d.fail(fmt.Errorf("%s: %w", g, err))
					return
				}
				continue
			}
		}
		g.process(r.Message(), r.Position())
		g.pos = r.Position()
		g.fl.at(qIn, g.pos)
	}
}

// drain is read in batch mode: every record to the end of the input
// queue, timers driven by message time. Until the inputs are done (and
// their records flushed) the end is only where they are: it waits there.
func (g *group) drain() {
	d := g.d
	for g.r != nil && g.alive() {
		if !g.r.TryNext() {
			if err := g.r.Err(); err != nil {
				d.fail(fmt.Errorf("%s: %w", g, err))
				break
			}
			// Both taken before looking again: inDone closes after the
			// last flush, and a flush in between is not missed.
			fin, flushed := isDone(d.inDone), d.inF.wait()
			if !g.r.TryNext() {
				if err := g.r.Err(); err != nil {
					d.fail(fmt.Errorf("%s: %w", g, err))
					break
				}
				if fin {
					break
				}
				g.fl.at(qIn, g.r.Position()) // as in read
				g.flush()
				select {
				case <-flushed:
				case <-d.inDone:
				}
				continue
			}
		}
		v := g.r.Message()
		g.clock.see(v.Timestamp())
		g.process(v, g.r.Position())
		g.pos = g.r.Position()
		g.fl.at(qIn, g.pos)
	}
	g.flush()
}

// wait blocks until the reader has a record (true), the next timer is
// due, a request comes or ctx ends (false).
func (g *group) wait(ctx context.Context, r *queue.Reader, next time.Time, timed bool) bool {
	wctx, cancel := context.WithCancel(ctx)
	if timed {
		wctx, cancel = context.WithDeadline(ctx, next)
	}
	defer cancel()
	if !g.setWake(cancel) {
		return false
	}
	defer g.setWake(nil)
	return r.Next(wctx)
}

// process offers one record to every plugin of the group.
func (g *group) process(v *message.View, pos queue.Position) {
	var now time.Time
	for _, a := range g.plugins {
		g.offer(a, v, pos, &now)
	}
}

// offer hands one record to one plugin, unless it terminated or handled
// the record in an earlier run (at or before its start), then saves its
// cursor and runs its timer_event if due. now is the time of the timer
// check, taken once per record.
func (g *group) offer(a *analysisPlugin, v *message.View, pos queue.Position, now *time.Time) {
	if a.dead || !a.start.Less(pos) {
		return
	}
	p := a.p
	if p.match(v) {
		status, msg, err := p.processMessage(v)
		if err = a.refused(err); err != nil {
			g.terminate(a, err)
			return
		}
		if status < 0 && msg != "" {
			p.log.Warn("process_message returned", "status", status, "msg", msg)
		}
	}
	a.state.Queues[queueInput] = pos
	deps := a.deps[:0]
	if a.injected {
		deps = append(deps, cursor.Dep{Queue: queueAnalysis, Pos: a.injPos})
	}
	if err := g.d.store.Put(p.key, a.state, deps...); err != nil {
		p.log.Warn("cursor not updated", "err", err)
	}
	if a.ticker > 0 {
		if now.IsZero() {
			*now = g.clock.now(g.d.opts.once)
		}
		if !now.Before(a.next) {
			g.timer(a, *now)
		}
	}
}

// timers runs every due timer_event and returns the earliest next one.
func (g *group) timers(now time.Time) (next time.Time, ok bool) {
	for _, a := range g.plugins {
		if a.dead || a.ticker == 0 {
			continue
		}
		if !now.Before(a.next) {
			g.timer(a, now)
			if a.dead {
				continue
			}
		}
		if !ok || a.next.Before(next) {
			next, ok = a.next, true
		}
	}
	return next, ok
}

// timer runs one plugin's timer_event and schedules the next.
func (g *group) timer(a *analysisPlugin, now time.Time) {
	a.next = now.Add(a.ticker)
	if err := a.refused(a.p.timerEvent(timerNS(now), false)); err != nil {
		g.terminate(a, err)
	}
}

// refused returns err, the error of a call into the plugin, or when the
// call succeeded the refusal of a message it injected: a plugin that
// caught the error (inject_message under pcall) and returned 0 must still
// end before its cursor is saved past the record whose derived message
// was not taken, as one that raised it does.
func (a *analysisPlugin) refused(err error) error {
	if err == nil {
		err = a.injectErr
	}
	return err
}

// terminate takes a failed plugin out of the group. Its cursor stays.
func (g *group) terminate(a *analysisPlugin, err error) {
	a.dead = true
	if errors.Is(err, sandbox.ErrShutdown) || a.heldStop {
		a.p.log.Info("stopped while running")
	} else {
		g.d.terminated(a.p, err)
	}
	if cerr := a.p.sb.Close(false); cerr != nil {
		a.p.log.Warn("close", "err", cerr)
	}
}

func (g *group) alive() bool {
	for _, a := range g.plugins {
		if !a.dead {
			return true
		}
	}
	return false
}

// flush makes the group's injections visible to readers.
func (g *group) flush() {
	if g.dirty {
		g.dirty = false
		g.d.anF.Flush()
	}
}

// shutdown gives every live plugin its final timer_event and closes it,
// saving preserve_data.
func (g *group) shutdown() {
	now := g.clock.now(g.d.opts.once)
	for _, a := range g.plugins {
		g.stopPlugin(a, now)
	}
	g.flush()
}

// stopPlugin gives a live plugin its final timer_event and closes it,
// saving preserve_data; it reports whether the plugin was live.
func (g *group) stopPlugin(a *analysisPlugin, now time.Time) bool {
	if a.dead {
		return false
	}
	if err := a.p.timerEvent(timerNS(now), true); err != nil {
		g.terminate(a, err)
		return true
	}
	if err := a.p.sb.Close(true); err != nil {
		a.p.log.Error("close", "err", err)
	}
	return true
}

// stagger returns the delay of a plugin's first timer_event: a random
// whole number of seconds below min(ticker, 60 s), as the reference does.
func stagger(ticker time.Duration) time.Duration {
	n := int64(min(ticker, time.Minute) / time.Second)
	if n <= 1 {
		return 0
	}
	return time.Duration(rand.Int64N(n)) * time.Second
}

func (g *group) doneCh() <-chan struct{} { return g.done }

func (g *group) String() string {
	if g.target != nil {
		return fmt.Sprintf("analysis%d (catching up)", g.id)
	}
	return fmt.Sprintf("analysis%d", g.id)
}

// abandon gives up on every plugin of the group; the one running stops at
// its next instruction, the others' calls fail at once.
func (g *group) abandon() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, a := range g.plugins {
		a.p.sb.Abandon()
	}
}
