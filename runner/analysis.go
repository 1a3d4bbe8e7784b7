package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

// group is one analysis thread: a goroutine with one reader of the input
// queue whose records are offered to each of its plugins in turn.
type group struct {
	d       *daemon
	id      int
	plugins []*analysisPlugin // fixed once started
	start   queue.Position    // where the reader starts: the lowest cursor
	dirty   bool              // a plugin injected since the last flush
	done    chan struct{}
}

// analysisPlugin is one analysis plugin of a group; it is the plugin's
// sandbox.Host. Everything here is owned by the group's goroutine.
type analysisPlugin struct {
	g     *group
	p     *plugin
	start queue.Position // records ending at or before it were handled in an earlier run
	state cursor.State   // Queues["input"]: after the last record finished
	pin   *pin

	injPos   queue.Position // analysis queue position after its last injection
	injected bool
	deps     [1]cursor.Dep

	ticker time.Duration
	next   time.Time // next timer_event
	dead   bool      // terminated
}

func (d *daemon) loadAnalysis(file string) *analysisPlugin {
	st, ok := d.loadCursor(config.Analysis, file)
	if !ok {
		return nil
	}
	a := &analysisPlugin{state: st}
	if a.p = d.loadPlugin(config.Analysis, file, a); a.p == nil {
		return nil
	}
	if pos, ok := st.Queues[queueInput]; ok {
		a.start = pos
	} else {
		pos, err := oldest(d.inDir)
		if err != nil {
			d.log.Error("loading failed", "plugin", a.p.key.String(), "err", err)
			d.writeErr(config.Analysis, a.p.cfg.Name, err.Error())
			_ = a.p.sb.Close(false)
			return nil
		}
		a.start = pos
	}
	a.ticker = time.Duration(a.p.cfg.TickerInterval) * time.Second
	a.pin = d.addPin(a.p.key, map[string]queue.Position{queueInput: a.start})
	return a
}

// makeGroups spreads the analysis plugins over analysis_threads groups:
// thread % analysis_threads for a plugin that sets thread, else the group
// with the fewest plugins.
func (d *daemon) makeGroups(plugins []*analysisPlugin) {
	if len(plugins) == 0 {
		return
	}
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
		if len(g.plugins) == 0 {
			continue
		}
		g.start = g.plugins[0].start
		for _, a := range g.plugins[1:] {
			g.start = queue.Min(g.start, a.start)
		}
		d.groups = append(d.groups, g)
	}
}

func (g *group) add(a *analysisPlugin) {
	a.g = g
	g.plugins = append(g.plugins, a)
}

// Inject is the plugin's inject_message: into the analysis queue.
func (a *analysisPlugin) Inject(msg []byte, _ sandbox.Checkpoint) error {
	d := a.g.d
	pos, err := d.anW.Append(msg)
	if err != nil {
		return d.appendFailed(err)
	}
	a.injPos, a.injected = pos, true
	a.g.dirty = true
	d.anF.Kick()
	return nil
}

// run reads the input queue until ctx ends, then shuts the group's
// plugins down (timer_event(now, true), Close with preserve_data).
func (g *group) run(ctx context.Context) {
	defer close(g.done)
	d := g.d
	now := time.Now()
	for _, a := range g.plugins {
		if a.ticker > 0 {
			a.next = now.Add(stagger(a.ticker))
		}
	}
	r, err := queue.OpenReader(d.inDir, g.start, queue.ReaderOptions{
		MaxMessageSize: int(d.m.MaxMessageSize),
		Logger:         d.log.With("reader", g.String()),
	})
	if err != nil {
		d.fail(fmt.Errorf("%s: %w", g, err))
	} else {
		g.read(ctx, r)
		r.Close()
	}
	g.shutdown()
}

// read is the group's loop: one record at a time to every plugin.
func (g *group) read(ctx context.Context, r *queue.Reader) {
	for g.alive() {
		if !r.TryNext() {
			if err := r.Err(); err != nil {
				g.d.fail(fmt.Errorf("%s: %w", g, err))
				return
			}
			g.flush()
			next, timed := g.timers(time.Now())
			if ctx.Err() != nil || !g.alive() {
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
		if ctx.Err() != nil {
			return
		}
	}
}

// wait blocks until the reader has a record (true), the next timer is
// due or ctx ends (false).
func (g *group) wait(ctx context.Context, r *queue.Reader, next time.Time, timed bool) bool {
	if !timed {
		return r.Next(ctx)
	}
	wctx, cancel := context.WithDeadline(ctx, next)
	defer cancel()
	return r.Next(wctx)
}

// process offers one record to every plugin of the group.
func (g *group) process(v *message.View, pos queue.Position) {
	var now time.Time
	for _, a := range g.plugins {
		if a.dead || !a.start.Less(pos) {
			continue
		}
		p := a.p
		if p.matcher.Match(v) {
			status, msg, err := p.sb.ProcessMessage(v)
			if err != nil {
				g.terminate(a, err)
				continue
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
				now = time.Now()
			}
			if !now.Before(a.next) {
				g.timer(a, now)
			}
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
	if err := a.p.sb.TimerEvent(timerNS(now), false); err != nil {
		g.terminate(a, err)
	}
}

// terminate takes a failed plugin out of the group. Its cursor stays.
func (g *group) terminate(a *analysisPlugin, err error) {
	a.dead = true
	if errors.Is(err, sandbox.ErrShutdown) {
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
	now := time.Now()
	for _, a := range g.plugins {
		if a.dead {
			continue
		}
		if err := a.p.sb.TimerEvent(timerNS(now), true); err != nil {
			g.terminate(a, err)
			continue
		}
		if err := a.p.sb.Close(true); err != nil {
			a.p.log.Error("close", "err", err)
		}
	}
	g.flush()
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
func (g *group) String() string          { return fmt.Sprintf("analysis%d", g.id) }

// abandon gives up on every plugin of the group; the one running stops at
// its next instruction, the others' calls fail at once.
func (g *group) abandon() {
	for _, a := range g.plugins {
		a.p.sb.Abandon()
	}
}
