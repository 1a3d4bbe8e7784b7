package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sightline/sightline/queue"
)

// Joining a running analysis group.
//
// A plugin (re)loaded while the daemon runs joins its thread's group with
// the position it has handled everything up to (its cursor, or the
// writer's position for a new plugin). The group serves the request
// between two records:
//
//   - its reader is closed (no live plugin): it opens it there;
//   - the position is at or after the group's: the plugin joins, and the
//     group skips, for it, the records up to its position;
//   - the position is behind the group's: the plugin gets a catch-up
//     group, its own reader from its position. When that reader is level
//     with the tail of the queue, the catch-up group asks to join again,
//     "inline": the group, paused, reads the few records between the
//     plugin's position and its own on a second reader and offers them to
//     the plugin alone, then takes it in.
//
// So the plugin sees every record after its position once: the reference
// loses those its thread processes while the new sandbox is created
// (Appendix A #11).

// errGroupClosed says a group's goroutine is ending (shutdown).
var errGroupClosed = errors.New("runner: analysis group stopped")

type opKind uint8

const (
	opJoin   opKind = iota // take a plugin in
	opRemove               // stop a plugin and let it go
)

// groupOp is a request to a group, answered on res.
type groupOp struct {
	kind   opKind
	a      *analysisPlugin
	from   queue.Position // join: the plugin has handled every record up to it
	inline bool           // join: catch up on the group's goroutine when behind
	res    chan opResult  // capacity 1
}

// opResult is a group's answer.
type opResult struct {
	err    error          // errGroupClosed, or a queue error (the daemon fails)
	behind bool           // join: not joined, the group is past from
	pos    queue.Position // join: the group's position
	found  bool           // remove: the plugin was in the group
	live   bool           // remove: and had not terminated
}

// request queues op and wakes the group; the answer comes on op.res. It
// fails when the group's goroutine is ending.
func (g *group) request(op *groupOp) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errGroupClosed
	}
	g.ops = append(g.ops, op)
	g.hasOps.Store(true)
	if g.wake != nil {
		g.wake()
	}
	return nil
}

// call sends op and waits for the answer.
func (g *group) call(op *groupOp) opResult {
	op.res = make(chan opResult, 1)
	if err := g.request(op); err != nil {
		return opResult{err: err}
	}
	return <-op.res
}

// setWake registers the cancel of the wait about to begin; it returns
// false, registering nothing, when requests are pending. setWake(nil)
// ends the registration.
func (g *group) setWake(cancel context.CancelFunc) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cancel != nil && len(g.ops) > 0 {
		return false
	}
	g.wake = cancel
	return true
}

// idle waits, reader closed, for a request or the end of ctx.
func (g *group) idle(ctx context.Context) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !g.setWake(cancel) {
		return
	}
	defer g.setWake(nil)
	<-wctx.Done()
}

// close refuses further requests and fails the pending ones.
func (g *group) close() {
	g.mu.Lock()
	g.closed = true
	ops := g.ops
	g.ops = nil
	g.hasOps.Store(false)
	g.mu.Unlock()
	for _, op := range ops {
		op.res <- opResult{err: errGroupClosed}
	}
}

// serve answers the pending requests.
func (g *group) serve(ctx context.Context) {
	g.mu.Lock()
	ops := g.ops
	g.ops = nil
	g.hasOps.Store(false)
	g.mu.Unlock()
	for _, op := range ops {
		switch op.kind {
		case opJoin:
			op.res <- g.join(ctx, op)
		case opRemove:
			op.res <- g.remove(op.a)
		}
	}
}

// join takes op.a in (see the top of this file).
func (g *group) join(ctx context.Context, op *groupOp) opResult {
	a, from := op.a, op.from
	switch {
	case g.r == nil || !g.alive():
		g.flush()
		g.closeReader()
		if err := g.openReader(from); err != nil {
			g.d.fail(fmt.Errorf("%s: %w", g, err))
			return opResult{err: err}
		}
	case from.Less(g.pos):
		if !op.inline {
			return opResult{behind: true, pos: g.pos}
		}
		owner := a.g
		a.g = g
		if err := g.catchUp(ctx, a, from); err != nil {
			a.g = owner
			return opResult{err: err}
		}
		from = g.pos
	}
	a.g = g
	a.start = from
	g.arm(a, time.Now())
	g.mu.Lock()
	g.plugins = append(g.plugins, a)
	g.mu.Unlock()
	return opResult{pos: g.pos}
}

// catchUp offers a, alone, the records after from up to the group's
// position, from a reader of its own.
func (g *group) catchUp(ctx context.Context, a *analysisPlugin, from queue.Position) error {
	r, err := queue.OpenReader(g.d.inDir, from, queue.ReaderOptions{
		MaxMessageSize: int(g.d.m.MaxMessageSize),
		Logger:         g.d.log.With("reader", g.String()+" catch-up of "+a.p.key.String()),
	})
	if err != nil {
		g.d.fail(fmt.Errorf("%s: %w", g, err))
		return err
	}
	defer r.Close()
	var now time.Time
	for pos := from; pos.Less(g.pos) && !a.dead; pos = r.Position() {
		if !r.TryNext() {
			// The group has read these records: they are there, flushed.
			// Wait for them a little all the same.
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			ok := r.Next(wctx)
			cancel()
			if !ok {
				err := r.Err()
				if err == nil {
					err = fmt.Errorf("records before %v not found at %v", g.pos, pos)
				}
				g.d.fail(fmt.Errorf("%s: catching up %s: %w", g, a.p.key, err))
				return err
			}
		}
		g.offer(a, r.Message(), r.Position(), &now)
		now = time.Time{}
	}
	g.flush()
	return nil
}

// remove stops a (final timer_event, preserve_data saved) and takes it
// out of the group.
func (g *group) remove(a *analysisPlugin) opResult {
	i := slices.Index(g.plugins, a)
	if i < 0 {
		return opResult{}
	}
	live := g.stopPlugin(a, time.Now())
	g.flush()
	g.mu.Lock()
	g.plugins = slices.Delete(g.plugins, i, i+1)
	g.mu.Unlock()
	return opResult{found: true, live: live}
}

// handover is a catch-up group's last step, its reader level with the
// tail: its plugin joins the target group. When the target is gone
// (shutdown), the plugin stays here and shutdown stops it.
func (g *group) handover() {
	var a *analysisPlugin
	for _, p := range g.plugins {
		if !p.dead {
			a = p
		}
	}
	if a == nil {
		return
	}
	res := g.target.call(&groupOp{kind: opJoin, a: a, from: g.pos, inline: true})
	if res.err != nil {
		return
	}
	a.p.log.Info("caught up, joined its analysis thread", "thread", g.id, "position", res.pos)
	g.mu.Lock()
	g.plugins = nil
	g.mu.Unlock()
}

// newCatchup returns the catch-up group of a, which joins target.
func (d *daemon) newCatchup(target *group, a *analysisPlugin) *group {
	cg := &group{d: d, id: target.id, target: target, start: a.start, done: make(chan struct{})}
	cg.plugins = []*analysisPlugin{a}
	a.g = cg
	return cg
}
