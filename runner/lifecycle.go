package runner

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

// The registry of running plugins: d.inputs, d.analysis, d.outputs and
// d.pins, guarded by d.plugMu. Startup fills them before any goroutine
// runs; afterwards only the load-directory watcher's goroutine changes
// them (start, stop), and the shutdown reads them once the watcher has
// returned. plugMu is a leaf lock: it is never held while waiting for a
// plugin.
//
// A plugin stays registered when it terminates or finishes (run once),
// until it is stopped for a reload or an .off.

// startPosition is where a reader of queue q without a cursor starts: at
// daemon startup the oldest segment; for a plugin loaded while the daemon
// runs, the writer's position, so that it gets only new data (§2.3).
func (d *daemon) startPosition(q string, dynamic bool) (queue.Position, error) {
	if !dynamic {
		return oldest(d.queueDir(q))
	}
	if q == queueAnalysis {
		return d.anW.Position(), nil
	}
	return d.inW.Position(), nil
}

// addPin registers a reader for pruning.
func (d *daemon) addPin(pl *plugin, start map[string]queue.Position) *pin {
	p := &pin{key: pl.key, p: pl, start: start}
	d.plugMu.Lock()
	d.pins = append(d.pins, p)
	d.plugMu.Unlock()
	return p
}

// dropPin unregisters a reader that stopped.
func (d *daemon) dropPin(p *pin) {
	if p == nil {
		return
	}
	p.remove()
	d.plugMu.Lock()
	d.pins = slices.DeleteFunc(d.pins, func(q *pin) bool { return q == p })
	d.plugMu.Unlock()
}

// pinList returns the registered readers.
func (d *daemon) pinList() []*pin {
	d.plugMu.Lock()
	defer d.plugMu.Unlock()
	return slices.Clone(d.pins)
}

// setMemoryLimit sets the Go runtime's soft memory limit from the
// plugins' memory limits.
func (d *daemon) setMemoryLimit() {
	var sum int64
	for _, p := range d.allPlugins() {
		sum += p.cfg.MemoryLimit
	}
	sandbox.SetProcessMemoryLimit(processBaseMemory, sum)
}

// running returns the registered plugin of key, nil if none, with its
// analysis thread.
func (d *daemon) running(key cursor.Key) (p *plugin, slot int) {
	d.plugMu.Lock()
	defer d.plugMu.Unlock()
	switch key.Type {
	case cursor.TypeInput:
		for _, in := range d.inputs {
			if in.p.key == key {
				return in.p, 0
			}
		}
	case cursor.TypeAnalysis:
		for _, a := range d.analysis {
			if a.p.key == key {
				return a.p, a.slot
			}
		}
	case cursor.TypeOutput:
		for _, o := range d.outputs {
			if o.p.key == key {
				return o.p, 0
			}
		}
	}
	return nil, 0
}

// start creates the plugin of sp, loaded while the daemon runs, writes
// its .rtc and starts it; an analysis plugin joins thread slot, on a
// catch-up reader of its own when it is behind that thread.
func (d *daemon) start(sp *spec, slot int) error {
	switch sp.cfg.Type {
	case config.Input:
		in, err := d.loadInput(sp)
		if err != nil {
			return err
		}
		d.writeRTC(in.p)
		d.plugMu.Lock()
		d.inputs = append(d.inputs, in)
		d.plugMu.Unlock()
		go in.run()
	case config.Analysis:
		sp.cfg.Table.Set("thread", float64(slot))
		a, err := d.loadAnalysis(sp, true)
		if err != nil {
			return err
		}
		d.writeRTC(a.p)
		d.obs.add(a.p, slot, a.pin.start)
		if err := d.joinThread(a, slot); err != nil {
			_ = a.p.sb.Close(false)
			d.dropPin(a.pin)
			return err
		}
		d.plugMu.Lock()
		d.analysis = append(d.analysis, a)
		d.plugMu.Unlock()
	case config.Output:
		o, err := d.loadOutput(sp, true)
		if err != nil {
			return err
		}
		d.writeRTC(o.p)
		d.plugMu.Lock()
		d.outputs = append(d.outputs, o)
		d.plugMu.Unlock()
		o.start(d.proc)
	}
	return nil
}

// joinThread hands a to the group of thread slot, or, when a is behind
// that group, to a catch-up group that hands it over once level.
func (d *daemon) joinThread(a *analysisPlugin, slot int) error {
	g := d.groups[slot]
	a.slot = slot
	res := g.call(&groupOp{kind: opJoin, a: a, from: a.start})
	if res.err != nil {
		return res.err
	}
	if !res.behind {
		return nil
	}
	cg := d.newCatchup(g, a)
	ctx, cancel := context.WithCancel(d.proc)
	cg.cancel = cancel
	a.catchup = cg
	a.p.log.Info("behind its analysis thread: catching up on its own reader", "thread", slot, "from", a.start, "thread_position", res.pos)
	go cg.run(ctx)
	return nil
}

// stopped is what stop found running.
type stopped struct {
	sp   *spec // nil when nothing was registered
	slot int   // analysis: its thread
	live bool  // it ran until stopped: it had neither terminated nor finished
}

// stop stops the registered plugin of key, if any, as the shutdown does
// (an input's is_running() turns false; an analysis plugin or an output
// finishes the record in hand and gets timer_event(ns, true); state
// preserved), waits for it (StopTimeout, then it is abandoned), and saves
// every cursor. ok is false when it could not be stopped: its goroutine
// is still running.
func (d *daemon) stop(key cursor.Key) (prev stopped, ok bool) {
	var in *input
	var a *analysisPlugin
	var o *output
	d.plugMu.Lock()
	switch key.Type {
	case cursor.TypeInput:
		if i := slices.IndexFunc(d.inputs, func(x *input) bool { return x.p.key == key }); i >= 0 {
			in = d.inputs[i]
			d.inputs = slices.Delete(d.inputs, i, i+1)
		}
	case cursor.TypeAnalysis:
		if i := slices.IndexFunc(d.analysis, func(x *analysisPlugin) bool { return x.p.key == key }); i >= 0 {
			a = d.analysis[i]
			d.analysis = slices.Delete(d.analysis, i, i+1)
		}
	case cursor.TypeOutput:
		if i := slices.IndexFunc(d.outputs, func(x *output) bool { return x.p.key == key }); i >= 0 {
			o = d.outputs[i]
			d.outputs = slices.Delete(d.outputs, i, i+1)
		}
	}
	d.plugMu.Unlock()

	ok = true
	switch {
	case in != nil:
		prev = stopped{sp: in.p.spec, live: !isDone(in.done)}
		in.stop()
		ok = d.awaitOne("input", in)
	case a != nil:
		prev = stopped{sp: a.p.spec, slot: a.slot}
		prev.live, ok = d.stopAnalysis(a)
		d.dropPin(a.pin)
	case o != nil:
		prev = stopped{sp: o.p.spec, live: !isDone(o.done)}
		o.stop()
		ok = d.awaitOne("output", o)
		d.dropPin(o.pin)
	default:
		return stopped{}, true
	}
	if err := d.store.Flush(); err != nil {
		d.log.Warn("cursors not saved", "err", err)
	}
	return prev, ok
}

// stopAnalysis stops an analysis plugin: its catch-up group, if it has
// one, then, if it was handed over, it leaves its thread's group.
func (d *daemon) stopAnalysis(a *analysisPlugin) (live, ok bool) {
	if cg := a.catchup; cg != nil {
		cg.cancel()
		if !d.awaitOne("analysis", cg) {
			return false, false
		}
		a.catchup = nil
	}
	g := d.groups[a.slot]
	op := &groupOp{kind: opRemove, a: a, res: make(chan opResult, 1)}
	if err := g.request(op); err != nil {
		return false, false // shutting down
	}
	res, ok := d.awaitResult(op.res, a.p)
	if !ok {
		return false, false
	}
	if !res.found {
		// Its catch-up group stopped it; a.dead is the catch-up's,
		// which has returned.
		return !a.dead, true
	}
	return res.live, true
}

// awaitResult waits for a group's answer: StopTimeout, then p is
// abandoned (its call in progress ends at its next instruction), then
// KillTimeout more.
func (d *daemon) awaitResult(ch <-chan opResult, p *plugin) (opResult, bool) {
	t := time.NewTimer(d.opts.StopTimeout)
	defer t.Stop()
	select {
	case res := <-ch:
		return res, true
	case <-t.C:
	}
	p.log.Warn("did not stop in time, abandoning it", "timeout", d.opts.StopTimeout)
	p.sb.Abandon()
	t.Reset(d.opts.KillTimeout)
	select {
	case res := <-ch:
		return res, true
	case <-t.C:
	}
	p.log.Error("its analysis thread does not answer; leaving the plugin behind")
	return opResult{}, false
}

// awaitOne waits for one stopper as the shutdown does, and reports
// whether it returned.
func (d *daemon) awaitOne(what string, s stopper) bool {
	d.await(what, []stopper{s})
	return isDone(s.doneCh())
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// place returns the analysis thread of a plugin (re)loaded while the
// daemon runs (§3.3): the thread its config sets (modulo
// analysis_threads); else the thread it runs on; else, unless it was
// stopped (fresh: it has an .off or .err), the thread its previous .rtc
// names; else the least utilised thread, then the one with the fewest
// plugins (those running, plus extra[i] about to start on thread i). When
// even that one is at analysis_utilization_limit or over, the plugin is
// refused. Unlike the reference, a plugin that names another thread than
// the one it runs on moves there: its cursor is its own, so it loses
// nothing.
func (d *daemon) place(sp *spec, fresh bool, extra []int) (int, error) {
	n := len(d.groups)
	if sp.cfg.HasThread {
		return int(sp.cfg.Thread % int64(n)), nil
	}
	if p, slot := d.running(sp.key); p != nil {
		return slot, nil
	}
	if !fresh {
		if t, ok := d.rtcThread(sp.key); ok && t < n {
			return t, nil
		}
	}
	util := d.threadUtilization()
	counts := make([]int, n)
	copy(counts, extra)
	d.plugMu.Lock()
	for _, a := range d.analysis {
		counts[a.slot]++
	}
	d.plugMu.Unlock()
	u := func(i int) int {
		if i < len(util) {
			return util[i]
		}
		return 0
	}
	best := 0
	for i := 1; i < n; i++ {
		if u(i) < u(best) || (u(i) == u(best) && counts[i] < counts[best]) {
			best = i
		}
	}
	if limit := d.m.AnalysisUtilizationLimit; limit > 0 && best < len(util) && util[best] >= limit {
		return 0, fmt.Errorf("blocked (over capacity): the least utilised analysis thread, analysis%d, is at %d%% (analysis_utilization_limit = %d)",
			best, util[best], limit)
	}
	return best, nil
}

// threadUtilization returns each analysis thread's utilisation, in
// percent, over the last statistics window (utilization.tsv), or nil
// before the first window: placement then goes by the number of plugins
// per thread, and analysis_utilization_limit does not refuse.
func (d *daemon) threadUtilization() []int {
	d.utilMu.Lock()
	defer d.utilMu.Unlock()
	return d.util
}

// setThreadUtilization records the last window's utilisation of each
// analysis thread. util is not modified afterwards.
func (d *daemon) setThreadUtilization(util []int) {
	d.utilMu.Lock()
	d.util = util
	d.utilMu.Unlock()
}

// trial creates sp's sandbox with no host, no logger and no preserved
// data, and closes it: the plugin's Lua file runs once, so a runtime
// error or a missing entry point refuses a new analysis plugin before the
// running version is stopped. Only analysis plugins get a trial: their
// sandbox has no I/O, while an input or output may bind a port or open a
// connection the running version holds.
func (d *daemon) trial(sp *spec) error {
	sb, err := sandbox.New(sandbox.Options{
		Plugin:  sp.cfg,
		LuaFile: sp.lua,
		Source:  sp.src,
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	_ = sb.Close(false)
	return nil
}
