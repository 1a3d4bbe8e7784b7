package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

// Queue names, as cursor files and Deps name them.
const (
	queueInput    = "input"
	queueAnalysis = "analysis"
)

// Defaults of Options.
const (
	DefaultStopTimeout   = 10 * time.Second
	DefaultKillTimeout   = 2 * time.Second
	DefaultPruneInterval = 5 * time.Second
	DefaultRetryDelay    = time.Second
	DefaultLoadSettle    = time.Second
	DefaultLoadRescan    = 3 * time.Second
)

// processBaseMemory is what the daemon itself is allowed on top of its
// plugins' memory limits in the Go runtime's soft limit.
const processBaseMemory = 256 << 20

// Options configure Run. The zero value gives the defaults.
type Options struct {
	// Logger receives the daemon's log; each plugin logs through it with
	// the attribute plugin=<type>.<name>. Nil means slog.Default().
	Logger *slog.Logger
	// StopTimeout is how long, at shutdown, the inputs together, and then
	// the analysis groups and outputs together, may take to stop before
	// the ones still running are abandoned. Default 10 s.
	StopTimeout time.Duration
	// KillTimeout is how long an abandoned plugin's goroutine is waited
	// for before it is left behind. Default 2 s.
	KillTimeout time.Duration
	// PruneInterval is the time between two prunings of the queues.
	// Default 5 s; negative turns pruning off.
	PruneInterval time.Duration
	// RetryDelay is how long an output waits before offering again a
	// message it answered with -3. Default 1 s, the reference's.
	RetryDelay time.Duration
	// LoadSettle is how long a file dropped into a load directory must
	// stay unchanged (size and modification time) before it is taken.
	// Default 1 s.
	LoadSettle time.Duration
	// LoadRescan is the time between two listings of the load
	// directories, which find what file events missed. Default 3 s.
	LoadRescan time.Duration
	// RecoverInterval is the time between two attempts to recover a queue
	// writer whose write or fsync failed (queue.Writer.Recover); the
	// injections into that queue wait meanwhile. Default 3 s.
	RecoverInterval time.Duration

	// Ready, if set, is called once every plugin has started (the
	// command tells systemd READY=1).
	Ready func()
	// Stopping, if set, is called when shutdown begins.
	Stopping func()
	// Heartbeat, if set, is called every second (or PruneInterval, if
	// shorter) by the goroutine that keeps the queues (pruning,
	// backpressure, recovering a failed writer), until shutdown; a
	// watchdog can take its silence as a daemon in trouble. A failed queue
	// write does not silence it: the daemon recovers by itself, which a
	// restart would not do better.
	Heartbeat func()

	once bool // set by RunOnce: batch mode (once.go)
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.KillTimeout <= 0 {
		o.KillTimeout = DefaultKillTimeout
	}
	if o.PruneInterval == 0 {
		o.PruneInterval = DefaultPruneInterval
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.LoadSettle <= 0 {
		o.LoadSettle = DefaultLoadSettle
	}
	if o.LoadRescan <= 0 {
		o.LoadRescan = DefaultLoadRescan
	}
	if o.RecoverInterval <= 0 {
		o.RecoverInterval = DefaultRecoverInterval
	}
}

// daemon is one Run: the queues, the store and the plugins.
type daemon struct {
	m    *config.Main // resolved
	opts Options
	log  *slog.Logger

	inDir, anDir string
	inW, anW     *queue.Writer
	inF, anF     *flusher
	inQ, anQ     *qctl // the queues with their gates (pressure.go)
	store        *cursor.Store

	// Batch mode: closed when a queue's producers are done (the inputs,
	// the analysis groups) and what they wrote is flushed (once.go).
	inDone, anDone chan struct{}

	// Readers that inject, for backpressure (pressure.go). A leaf lock.
	flowMu sync.Mutex
	flows  []*flow
	rolled chan struct{} // capacity 1: a queue rolled, evaluate the pressure now
	// The plugins (cursor.Key) that injected since the start, in any
	// version: their cursors may depend on injections (prune.go).
	injectors sync.Map

	// Owned by the store's goroutine (checkpointFailed).
	cpLogged time.Time
	cpMuted  int

	groups []*group // one per analysis thread, fixed

	// The registry of running plugins (lifecycle.go).
	plugMu   sync.Mutex
	inputs   []*input
	analysis []*analysisPlugin
	outputs  []*output
	pins     []*pin // readers, for pruning

	ctx  context.Context // ends when shutdown begins
	proc context.Context // analysis and outputs run until it ends

	obs observer // metrics, /healthz, plugins.tsv (metrics.go)

	// Each analysis thread's utilisation in the last statistics window
	// (tsv.go), read by placement; nil before the first window. A leaf
	// lock: nothing else is taken while utilMu is held.
	utilMu sync.Mutex
	util   []int

	cancel context.CancelFunc // ends the daemon's context

	mu    sync.Mutex
	fatal error // the first fatal error
	exit  int   // RunOnce: Exit* bits of the plugins that terminated
}

// Run runs the daemon of main config m until ctx ends, then shuts down
// cleanly (see the package documentation) and returns. It returns an
// error when startup fails (a directory or queue that cannot be opened,
// a damaged store) or when the daemon stopped on a fatal error (a failed
// queue write); a plugin failing to load or terminating is not an error.
func Run(ctx context.Context, m *config.Main, opts Options) error {
	opts.setDefaults()
	d, err := open(m, opts)
	if err != nil {
		return err
	}
	return d.run(ctx)
}

// open prepares everything Run needs: directories, writers, the store and
// the plugins (loaded, not started).
func open(m *config.Main, opts Options) (_ *daemon, err error) {
	m = m.Resolved()
	if err := m.CheckDirs(); err != nil {
		return nil, err
	}
	if m.SandboxLoadPath != "" && filepath.Clean(m.SandboxLoadPath) == filepath.Clean(m.SandboxRunPath) {
		return nil, m.ErrorAt("sandbox_load_path", fmt.Errorf("%w: it is sandbox_run_path; files are dropped in one and moved to the other", config.ErrInvalid))
	}
	if err := checkPermissions(m); err != nil {
		return nil, err
	}
	policy, err := queue.ParseSyncPolicy(m.Sync)
	if err != nil {
		return nil, m.ErrorAt("sync", err)
	}
	d := &daemon{
		m:      m,
		opts:   opts,
		log:    opts.Logger,
		inDir:  filepath.Join(m.OutputPath, queueInput),
		anDir:  filepath.Join(m.OutputPath, queueAnalysis),
		rolled: make(chan struct{}, 1),
	}
	for _, dir := range []string{m.OutputPath, d.inDir, d.anDir} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, m.ErrorAt("output_path", err)
		}
	}
	if err := d.importHindsight(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			for _, p := range d.allPlugins() {
				_ = p.sb.Close(false)
			}
			_ = d.closeQueues()
		}
	}()
	wopts := queue.Options{
		SegmentSize:    m.OutputSize,
		MaxMessageSize: int(m.MaxMessageSize),
		Sync:           policy,
		Logger:         d.log,
	}
	if d.inW, err = queue.OpenWriter(d.inDir, wopts); err != nil {
		return nil, err
	}
	if d.anW, err = queue.OpenWriter(d.anDir, wopts); err != nil {
		return nil, err
	}
	d.inF = newFlusher(d.inW, d.fail)
	d.anF = newFlusher(d.anW, d.fail)
	d.inQ = &qctl{name: queueInput, idx: qIn, dir: d.inDir, w: d.inW, f: d.inF}
	d.anQ = &qctl{name: queueAnalysis, idx: qAn, dir: d.anDir, w: d.anW, f: d.anF}
	d.store, err = cursor.OpenStore(cursor.Options{
		Dir:      filepath.Join(m.OutputPath, "cursors"),
		Interval: m.CheckpointInterval,
		Logger:   d.log,
		OnError:  d.checkpointFailed,
	}, map[string]cursor.Syncer{queueInput: d.inW, queueAnalysis: d.anW})
	if err != nil {
		return nil, err
	}
	d.logIgnored()
	if err = d.loadAll(); err != nil {
		return nil, err
	}
	if err = d.listenMetrics(); err != nil {
		return nil, err
	}
	return d, nil
}

// logIgnored says which settings sightline accepts and ignores.
func (d *daemon) logIgnored() {
	for _, e := range d.m.Ignored {
		d.log.Info("config key has no effect in sightline", "key", e.Key.Name())
	}
}

// checkpointFailed is the store's OnError (called on its goroutine): a
// tick that could not sync a failed queue is the queue's failure, which
// the maintenance goroutine reports and recovers; anything else (a full
// disk) is logged, at most once per checkpointLogEvery.
func (d *daemon) checkpointFailed(err error) {
	if errors.Is(err, queue.ErrWriteFailed) {
		d.log.Debug("cursor checkpoint waits for a failed queue", "err", err)
		return
	}
	now := time.Now()
	if now.Sub(d.cpLogged) < checkpointLogEvery {
		d.cpMuted++
		return
	}
	d.log.Error("cursor checkpoint failed", "err", err, "failures_not_logged", d.cpMuted)
	d.cpLogged, d.cpMuted = now, 0
}

// checkpointLogEvery is how often a failing cursor checkpoint is logged.
const checkpointLogEvery = 10 * time.Second

// closeQueues closes the store and the writers, returning their errors.
// The store goes first: its final tick syncs the writers and saves. A
// writer that failed gets one more Recover first, so that the final tick
// can save what depends on it.
func (d *daemon) closeQueues() error {
	for _, q := range []*qctl{d.inQ, d.anQ} {
		if q != nil && q.w.Healthy() != nil {
			if err := q.w.Recover(); err != nil {
				d.log.Error("queue writer not recovered at shutdown: what depends on its last records is not saved, and is replayed at the next start",
					"queue", q.name, "err", err)
			}
		}
	}
	var errs []error
	if d.store != nil {
		if err := d.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, w := range []*queue.Writer{d.inW, d.anW} {
		if w != nil {
			if err := w.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// fail records a fatal error and shuts the daemon down.
func (d *daemon) fail(err error) {
	d.mu.Lock()
	first := d.fatal == nil
	if first {
		d.fatal = err
	}
	d.mu.Unlock()
	if first {
		d.log.Error("fatal error, shutting down", "err", err)
	}
	if d.cancel != nil {
		d.cancel()
	}
}

func (d *daemon) fatalErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fatal
}

// run starts every plugin, waits for ctx to end and shuts down.
func (d *daemon) run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	d.ctx, d.cancel = ctx, cancel

	d.setMemoryLimit()

	// What earlier runs left consumed goes first: a daemon that never
	// lives a whole PruneInterval (a crash loop) still prunes.
	if d.opts.PruneInterval > 0 {
		d.prune()
	}

	// Background work: flushers, pruning, health checks.
	bg, bgCancel := context.WithCancel(context.Background())
	var bgWG sync.WaitGroup
	for _, f := range []*flusher{d.inF, d.anF} {
		bgWG.Go(func() { f.run(bg) })
	}
	bgWG.Go(func() { d.maintain(bg) })
	d.observe(bg, ctx, &bgWG)

	// Analysis groups and outputs run until procCancel, after the inputs
	// have stopped.
	proc, procCancel := context.WithCancel(context.Background())
	defer procCancel()
	d.proc = proc
	if d.opts.once {
		d.cascade(ctx, proc)
	} else {
		d.live(ctx, proc, procCancel)
	}

	// 3. Background work, a last flush, the final checkpoint, the writers.
	bgCancel()
	bgWG.Wait()
	errs := []error{d.fatalErr()}
	if err := d.closeQueues(); err != nil {
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	if err != nil {
		d.log.Error("stopped with errors", "err", err)
	} else {
		d.log.Info("stopped")
	}
	return err
}

// live runs the daemon until ctx ends, then stops the inputs, and then
// the analysis groups and outputs (shutdown steps 1 and 2).
func (d *daemon) live(ctx, proc context.Context, procCancel context.CancelFunc) {
	for _, in := range d.inputs {
		go in.run()
	}
	for _, g := range d.groups {
		go g.run(proc)
	}
	for _, o := range d.outputs {
		o.start(proc)
	}
	d.log.Info("sightline running", "output_path", d.m.OutputPath,
		"inputs", len(d.inputs), "analysis_plugins", len(d.analysis), "analysis_threads", len(d.groups), "outputs", len(d.outputs))

	// Live loading: the watcher is the only goroutine that starts and
	// stops plugins from now on.
	var watchDone chan struct{}
	if d.m.SandboxLoadPath != "" {
		w := d.newWatcher()
		watchDone = make(chan struct{})
		go func() {
			defer close(watchDone)
			w.run(ctx)
		}()
	}
	if d.opts.Ready != nil {
		d.opts.Ready()
	}

	<-ctx.Done()
	d.log.Info("shutting down")
	if d.opts.Stopping != nil {
		d.opts.Stopping()
	}
	if watchDone != nil {
		<-watchDone // it finishes the plugin it is restarting
	}
	d.plugMu.Lock()
	inputs := slices.Clone(d.inputs)
	stoppers := make([]stopper, 0, len(d.groups)+len(d.analysis)+len(d.outputs))
	for _, g := range d.groups {
		stoppers = append(stoppers, g)
	}
	for _, a := range d.analysis {
		if a.catchup != nil {
			stoppers = append(stoppers, a.catchup)
		}
	}
	for _, o := range d.outputs {
		stoppers = append(stoppers, o)
	}
	d.plugMu.Unlock()

	// 1. Inputs.
	inStoppers := make([]stopper, 0, len(inputs))
	for _, in := range inputs {
		in.stop()
		inStoppers = append(inStoppers, in)
	}
	d.await("input", inStoppers)

	// 2. Analysis and outputs finish the record in hand.
	procCancel()
	d.await("analysis and output", stoppers)
}

// stopper is a plugin goroutine (an input, an analysis group, an output)
// as shutdown sees it.
type stopper interface {
	// doneCh is closed when the goroutine has returned.
	doneCh() <-chan struct{}
	// abandon gives up on the goroutine's plugins (sandbox.Abandon).
	abandon()
	// String names the goroutine in logs.
	String() string
}

// await waits up to StopTimeout for every stopper, abandons those not
// done, and waits KillTimeout more for them.
func (d *daemon) await(what string, ss []stopper) {
	if len(ss) == 0 {
		return
	}
	deadline := time.NewTimer(d.opts.StopTimeout)
	defer deadline.Stop()
	var late []stopper
	for i, s := range ss {
		select {
		case <-s.doneCh():
			continue
		case <-deadline.C:
		}
		for _, r := range ss[i:] {
			select {
			case <-r.doneCh():
			default:
				late = append(late, r)
			}
		}
		break
	}
	if len(late) == 0 {
		return
	}
	for _, s := range late {
		d.log.Warn("did not stop in time, abandoning it", "what", what, "plugin", s.String(), "timeout", d.opts.StopTimeout)
		s.abandon()
	}
	grace := time.NewTimer(d.opts.KillTimeout)
	defer grace.Stop()
	for _, s := range late {
		select {
		case <-s.doneCh():
		case <-grace.C:
			d.log.Error("abandoned plugin still running, leaving it behind", "plugin", s.String())
			return
		}
	}
}

// maintain keeps the queues every second (or PruneInterval, if
// shorter), until ctx ends: it holds the injections into a queue whose
// writer failed and recovers it (checkWriters), prunes every
// PruneInterval, and applies max_queue_size and backpressure (pressure),
// which it also does when an injection rolls a segment.
func (d *daemon) maintain(ctx context.Context) {
	tick := time.Second
	if p := d.opts.PruneInterval; p > 0 && p < tick {
		tick = p
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.rolled:
			d.pressure(false)
		case now := <-t.C:
			d.checkWriters(now)
			if d.opts.Heartbeat != nil {
				d.opts.Heartbeat()
			}
			prune := d.opts.PruneInterval > 0 && now.Sub(lastPrune) >= d.opts.PruneInterval
			if prune {
				lastPrune = now
			}
			d.pressure(prune)
		}
	}
}

// allPlugins returns every registered plugin.
func (d *daemon) allPlugins() []*plugin {
	d.plugMu.Lock()
	defer d.plugMu.Unlock()
	var ps []*plugin
	for _, in := range d.inputs {
		ps = append(ps, in.p)
	}
	for _, a := range d.analysis {
		ps = append(ps, a.p)
	}
	for _, o := range d.outputs {
		ps = append(ps, o.p)
	}
	return ps
}

// timerNS is the argument of timer_event: now in whole seconds, in ns.
func timerNS(now time.Time) int64 { return now.Unix() * int64(time.Second) }

// errString gives the text of a plugin's termination for logs and .err.
func errString(err error) (reason, detail string) {
	var te *sandbox.TerminatedError
	if errors.As(err, &te) {
		return te.Reason, te.Detail
	}
	return err.Error(), ""
}

// terminated handles a plugin that stopped on an error: log, .err,
// shutdown_on_terminate.
func (d *daemon) terminated(p *plugin, err error) {
	reason, detail := errString(err)
	if detail != "" {
		p.log.Error("terminated", "err", reason, "detail", detail)
	} else {
		p.log.Error("terminated", "err", reason)
	}
	d.writeErr(p.cfg.Type, p.cfg.Name, reason)
	d.mu.Lock()
	d.exit |= exitBits[p.cfg.Type]
	d.mu.Unlock()
	if p.cfg.ShutdownOnTerminate {
		d.log.Warn("plugin terminated with shutdown_on_terminate set: shutting down", "plugin", p.key.String())
		d.cancel()
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
