package runner

import (
	"context"
	"time"

	"github.com/sightline/sightline/config"
)

// Exit codes of RunOnce, ORed together, as hindsight_cli's (§7.2).
const (
	ExitInputTerminated    = 2
	ExitAnalysisTerminated = 4
	ExitOutputTerminated   = 8
)

// exitBits maps a plugin type to its RunOnce exit bit.
var exitBits = map[config.PluginType]int{
	config.Input:    ExitInputTerminated,
	config.Analysis: ExitAnalysisTerminated,
	config.Output:   ExitOutputTerminated,
}

// RunOnce runs the daemon of main config m in batch mode, as the
// reference's hindsight_cli (see "Batch mode" in the package
// documentation), and returns the OR of the Exit* bits of the plugin
// types of which a plugin terminated (0 when none did). The error is as
// Run's.
func RunOnce(ctx context.Context, m *config.Main, opts Options) (int, error) {
	opts.setDefaults()
	opts.once = true
	d, err := open(m, opts)
	if err != nil {
		return 0, err
	}
	err = d.run(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exit, err
}

// cascade is run in batch mode. Everything runs at once, as in the
// reference's hindsight_cli, so the stages overlap: the analysis groups
// and the outputs read their queues while the inputs write them. The
// cascade is in how they end: the inputs run to completion; then the
// analysis groups read the input queue to its end (inDone) and stop;
// then the outputs read their queues to the end (anDone) and stop. An
// output reading both queues while analysis plugins run starts only when
// they are done, so its merge by Timestamp sees both queues whole and is
// the same at every run (pickOnce keeps the merge exact for the others).
// ctx ending stops the inputs; the drains, which are finite, go on.
func (d *daemon) cascade(ctx, proc context.Context) {
	d.log.Info("sightline running once", "output_path", d.m.OutputPath,
		"inputs", len(d.inputs), "analysis_plugins", len(d.analysis), "analysis_threads", len(d.groups), "outputs", len(d.outputs))
	d.inDone, d.anDone = make(chan struct{}), make(chan struct{})
	if len(d.analysis) == 0 {
		close(d.anDone) // nothing will write the analysis queue
	}
	for _, g := range d.groups {
		go g.run(proc)
	}
	var late []*output
	for _, o := range d.outputs {
		if o.in != nil && o.an != nil && len(d.analysis) > 0 {
			late = append(late, o)
			continue
		}
		o.start(proc)
	}
	if d.opts.Ready != nil {
		d.opts.Ready()
	}

	// 1. Inputs, until every one has returned, or until ctx ends.
	inStoppers := make([]stopper, 0, len(d.inputs))
	for _, in := range d.inputs {
		go in.run()
		inStoppers = append(inStoppers, in)
	}
	all := make(chan struct{})
	go func() {
		defer close(all)
		for _, in := range d.inputs {
			<-in.done
		}
	}()
	select {
	case <-all:
	case <-ctx.Done():
		d.log.Info("stopping the inputs")
		if d.opts.Stopping != nil {
			d.opts.Stopping()
		}
		for _, in := range d.inputs {
			in.stop()
		}
		d.await("input", inStoppers)
	}
	d.inF.Flush()
	close(d.inDone)

	// 2. Analysis: every group reads the input queue to its end.
	d.log.Info("inputs done; analysis draining the input queue")
	for _, g := range d.groups {
		<-g.done
	}
	d.anF.Flush()
	if len(d.analysis) > 0 {
		close(d.anDone)
	}

	// 3. Outputs read their queues to the end.
	d.log.Info("analysis done; outputs draining")
	for _, o := range late {
		o.start(proc)
	}
	for _, o := range d.outputs {
		<-o.done
	}
}

// producersDone returns, by queue, the channels closed in batch mode when
// the queue gets nothing more but an output's own injections.
func (d *daemon) producersDone() [2]<-chan struct{} {
	return [2]<-chan struct{}{qIn: d.inDone, qAn: d.anDone}
}

// msgClock is the clock of batch mode: the largest message Timestamp
// seen (§4.10), in ns.
type msgClock struct{ ns int64 }

// see advances the clock to ts if it is later.
func (c *msgClock) see(ts int64) {
	c.ns = max(c.ns, ts)
}

// now is the time of timers: the clock in batch mode, else time.Now().
func (c *msgClock) now(once bool) time.Time {
	if once {
		return time.Unix(0, c.ns)
	}
	return time.Now()
}
