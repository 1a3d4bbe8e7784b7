package runner

import (
	"cmp"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
)

// observer is what the daemon knows about itself for the metrics,
// /healthz and plugins.tsv: the plugins loaded, the ones that failed to
// load, and what pruning deleted. The zero value is ready; it is safe for
// concurrent use.
//
// The runner tells it: add when a plugin is loaded (loadInput,
// group.add, loadOutput, start), fail when a plugin gets its .err
// (writeErr), pruned after each pruning, and remove when a plugin is
// unloaded for good. A plugin loaded again under the same name replaces
// the old one. Whether a loaded plugin terminated is its sandbox's to
// say (Sandbox.Terminated); a failure recorded for a name that is loaded
// (its termination, or a reload that failed while the running version
// goes on) is not reported.
type observer struct {
	mu      sync.Mutex
	plugins map[string]*observed  // by <type>.<name>
	failed  map[string]string     // <type>.<name> → the reason in its .err
	pruned  map[string]pruneCount // by queue name

	ln net.Listener // metrics_listen, opened by listen; nil when off

	tsMu sync.Mutex
	ts   map[recordKey]int64 // Timestamps of records at uncommitted positions
}

// observed is one loaded plugin.
type observed struct {
	p      *plugin
	name   string // <type>.<name>
	thread int    // analysis: its group's id; -1 for inputs and outputs
	reads  []string
	start  map[string]queue.Position // where it started reading; never modified
}

// pruneCount is what pruning deleted from a queue since the start.
type pruneCount struct {
	segments, bytes int64
}

// recordKey names a record of a queue by its position.
type recordKey struct {
	queue string
	pos   queue.Position
}

// add registers a loaded plugin: thread is its analysis group (-1 for
// other types), start the positions it starts reading from (nil for an
// input).
func (o *observer) add(p *plugin, thread int, start map[string]queue.Position) {
	w := &observed{p: p, name: p.key.String(), thread: thread, start: start}
	switch p.cfg.Type {
	case config.Analysis:
		w.reads = []string{queueInput}
	case config.Output:
		for _, q := range []string{queueInput, queueAnalysis} {
			if _, ok := start[q]; ok {
				w.reads = append(w.reads, q)
			}
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.plugins == nil {
		o.plugins = make(map[string]*observed)
	}
	o.plugins[w.name] = w
	delete(o.failed, w.name)
}

// remove forgets an unloaded plugin and its failure.
func (o *observer) remove(key cursor.Key) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.plugins, key.String())
	delete(o.failed, key.String())
}

// fail records that plugin name (<type>.<name>) failed, with the reason
// written to its .err. It is reported while no plugin of that name is
// loaded.
func (o *observer) fail(name, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failed == nil {
		o.failed = make(map[string]string)
	}
	o.failed[name] = reason
}

// prunedSegments adds what one pruning deleted from queue q.
func (o *observer) prunedSegments(q string, n int, bytes int64) {
	if n == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pruned == nil {
		o.pruned = make(map[string]pruneCount)
	}
	c := o.pruned[q]
	c.segments += int64(n)
	c.bytes += bytes
	o.pruned[q] = c
}

func (o *observer) prunedIn(q string) pruneCount {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pruned[q]
}

// pluginSnapshot is one plugin's figures at one moment.
type pluginSnapshot struct {
	w          *observed
	failed     string // why it terminated, else ""
	sb         sandbox.Stats
	mm, pm, te runningStats
	matched    int64
	unmatched  int64
	timers     int64
}

// typ is the plugin's type.
func (s *pluginSnapshot) typ() config.PluginType { return s.w.p.cfg.Type }

// snapshot returns the figures of every loaded plugin, inputs first, then
// analysis plugins by group, then outputs, by name within each; and the
// names and reasons of the plugins that failed to load and are not
// loaded.
func (o *observer) snapshot() (plugins []pluginSnapshot, notLoaded [][2]string) {
	o.mu.Lock()
	ws := make([]*observed, 0, len(o.plugins))
	for _, w := range o.plugins {
		ws = append(ws, w)
	}
	for k, v := range o.failed {
		if o.plugins[k] == nil {
			notLoaded = append(notLoaded, [2]string{k, v})
		}
	}
	o.mu.Unlock()

	slices.SortFunc(ws, func(a, b *observed) int {
		return cmp.Or(
			cmp.Compare(a.p.cfg.Type, b.p.cfg.Type),
			cmp.Compare(a.thread, b.thread),
			cmp.Compare(a.name, b.name))
	})
	slices.SortFunc(notLoaded, func(a, b [2]string) int { return cmp.Compare(a[0], b[0]) })
	plugins = make([]pluginSnapshot, len(ws))
	for i, w := range ws {
		st := &w.p.st
		s := &plugins[i]
		s.w = w
		if te := w.p.sb.Terminated(); te != nil && !errors.Is(te, sandbox.ErrShutdown) {
			s.failed = te.Reason
		}
		s.sb = w.p.sb.Stats()
		s.mm, s.pm, s.te = st.timings()
		s.matched, s.unmatched, s.timers = st.matched.Load(), st.unmatched.Load(), st.timers.Load()
	}
	return plugins, notLoaded
}

// recordTime returns the Timestamp of the record at pos in queue q (the
// first one after pos when the bytes there are damaged), and false when
// there is none. Results are cached: a record never changes.
func (d *daemon) recordTime(q string, pos queue.Position) (int64, bool) {
	o := &d.obs
	k := recordKey{q, pos}
	o.tsMu.Lock()
	ts, ok := o.ts[k]
	o.tsMu.Unlock()
	if ok {
		return ts, true
	}
	r, err := queue.OpenReader(d.queueDir(q), pos, queue.ReaderOptions{
		MaxMessageSize: int(d.m.MaxMessageSize),
		OnCorruption:   func(*queue.CorruptionError) {},
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return 0, false
	}
	defer r.Close()
	if !r.TryNext() {
		return 0, false
	}
	ts = r.Message().Timestamp()
	o.tsMu.Lock()
	if len(o.ts) >= 1024 {
		clear(o.ts) // entries of positions since committed
	}
	if o.ts == nil {
		o.ts = make(map[recordKey]int64)
	}
	o.ts[k] = ts
	o.tsMu.Unlock()
	return ts, true
}

// queueState is a queue's figures at one moment.
type queueState struct {
	name     string
	segs     []queue.Segment
	size     int64
	free     uint64
	freeErr  error
	listErr  error
	writeErr error // the writer's Healthy
	pruned   pruneCount

	backpressure  bool  // lag, disk or max_queue_size holds injections
	dropped       int64 // bytes of unread segments deleted (drop_oldest)
	prunedStopped int64 // bytes deleted under the disk floor that stopped plugins held
	recoveries    int64 // failed writer recovered
}

// queueStates returns the figures of both queues.
func (d *daemon) queueStates() []queueState {
	qs := []queueState{{name: queueInput}, {name: queueAnalysis}}
	for i := range qs {
		q := &qs[i]
		dir := d.queueDir(q.name)
		q.segs, q.listErr = queue.Segments(dir)
		for _, s := range q.segs {
			q.size += s.Size
		}
		q.free, q.freeErr = queue.DiskFree(dir)
		if w := d.writer(q.name); w != nil {
			q.writeErr = w.Healthy()
		}
		q.pruned = d.obs.prunedIn(q.name)
		if c := d.qctl(q.name); c != nil {
			q.backpressure = c.gate.bits.Load()&holdPressure != 0
			q.dropped = c.dropped.Load()
			q.prunedStopped = c.prunedStopped.Load()
			q.recoveries = c.recoveries.Load()
		}
	}
	return qs
}

// writer returns the writer of queue q.
func (d *daemon) writer(q string) *queue.Writer {
	switch q {
	case queueInput:
		return d.inW
	case queueAnalysis:
		return d.anW
	}
	return nil
}

// qctl returns the control of queue q.
func (d *daemon) qctl(q string) *qctl {
	switch q {
	case queueInput:
		return d.inQ
	case queueAnalysis:
		return d.anQ
	}
	return nil
}

// lagIn is queue.Lag over a listing already made: the bytes of segs at or
// after pos.
func lagIn(segs []queue.Segment, pos queue.Position) int64 {
	var lag int64
	for _, s := range segs {
		switch {
		case s.ID == pos.Segment && s.Size > pos.Offset:
			lag += s.Size - pos.Offset
		case s.ID > pos.Segment:
			lag += s.Size
		}
	}
	return lag
}

// The metrics. Every plugin metric has the label plugin="<type>.<name>",
// every queue metric queue="input"|"analysis".
var (
	descPluginUp = prometheus.NewDesc("sightline_plugin_up",
		"1 while the plugin is loaded and has not terminated on an error; 0 when it failed to load or terminated.",
		[]string{"plugin"}, nil)
	descProcessed = prometheus.NewDesc("sightline_plugin_messages_processed_total",
		"process_message calls that returned (retries, -3, excluded).",
		[]string{"plugin"}, nil)
	descFailed = prometheus.NewDesc("sightline_plugin_messages_failed_total",
		"process_message calls that returned -1, and failures reported with update_checkpoint.",
		[]string{"plugin"}, nil)
	descInjected = prometheus.NewDesc("sightline_plugin_messages_injected_total",
		"Messages the plugin injected.",
		[]string{"plugin"}, nil)
	descInjectedBytes = prometheus.NewDesc("sightline_plugin_injected_bytes_total",
		"Bytes of the messages the plugin injected.",
		[]string{"plugin"}, nil)
	descMatched = prometheus.NewDesc("sightline_plugin_messages_matched_total",
		"Messages read that the plugin's message_matcher matched (analysis and output).",
		[]string{"plugin"}, nil)
	descUnmatched = prometheus.NewDesc("sightline_plugin_messages_unmatched_total",
		"Messages read that the plugin's message_matcher did not match, so skipped (analysis and output).",
		[]string{"plugin"}, nil)
	descMatcherTime = prometheus.NewDesc("sightline_plugin_matcher_duration_seconds",
		"Time of sampled message_matcher evaluations: one evaluation in 16 is timed, so _count counts samples.",
		[]string{"plugin"}, nil)
	descProcessTime = prometheus.NewDesc("sightline_plugin_process_message_duration_seconds",
		"Time of sampled process_message calls: one call in 16 (every call of an input) is timed, so _count counts samples.",
		[]string{"plugin"}, nil)
	descTimerTime = prometheus.NewDesc("sightline_plugin_timer_event_duration_seconds",
		"Time of timer_event calls, every call timed.",
		[]string{"plugin"}, nil)
	descMemory = prometheus.NewDesc("sightline_plugin_memory_bytes",
		"Estimate of the plugin's Lua heap at the last check.",
		[]string{"plugin"}, nil)
	descMemoryMax = prometheus.NewDesc("sightline_plugin_memory_max_bytes",
		"Largest estimate of the plugin's Lua heap seen.",
		[]string{"plugin"}, nil)
	descOutputMax = prometheus.NewDesc("sightline_plugin_output_max_bytes",
		"Largest message the plugin injected or encoded.",
		[]string{"plugin"}, nil)
	descInstructionsMax = prometheus.NewDesc("sightline_plugin_instructions_max",
		"Most Lua VM instructions one call of the plugin ran.",
		[]string{"plugin"}, nil)
	descLag = prometheus.NewDesc("sightline_plugin_cursor_lag_bytes",
		"Bytes of the queue at or after the plugin's committed cursor, as the queue files stand on disk.",
		[]string{"plugin", "queue"}, nil)
	descUncommittedAge = prometheus.NewDesc("sightline_plugin_oldest_uncommitted_age_seconds",
		"Output: now minus the Timestamp of the oldest message read and not committed (batching, async, a message refused with -3 and retried); 0 when none.",
		[]string{"plugin"}, nil)

	descQueueSize = prometheus.NewDesc("sightline_queue_size_bytes",
		"Bytes of the queue's segment files on disk.",
		[]string{"queue"}, nil)
	descQueueSegments = prometheus.NewDesc("sightline_queue_segments",
		"Segment files of the queue.",
		[]string{"queue"}, nil)
	descQueueFree = prometheus.NewDesc("sightline_queue_disk_free_bytes",
		"Bytes available to the daemon on the queue's file system.",
		[]string{"queue"}, nil)
	descQueueBackpressure = prometheus.NewDesc("sightline_queue_backpressure",
		"1 while backpressure holds injections into the queue: a reader lags more than backpressure segments, free disk is at or under backpressure_disk_free × output_size, or (queue_full = block) the queue is over max_queue_size.",
		[]string{"queue"}, nil)
	descQueueWritable = prometheus.NewDesc("sightline_queue_writable",
		"1 while the queue's writer is healthy; 0 after a failed write or fsync, until it recovers on a new segment (injections into the queue wait meanwhile).",
		[]string{"queue"}, nil)
	descQueueRecoveries = prometheus.NewDesc("sightline_queue_write_recoveries_total",
		"Times the queue's writer recovered on a new segment after a failed write or fsync.",
		[]string{"queue"}, nil)
	descQueuePrunedBytes = prometheus.NewDesc("sightline_queue_pruned_bytes_total",
		"Bytes of segments deleted because every reader had committed past them.",
		[]string{"queue"}, nil)
	descQueuePrunedSegments = prometheus.NewDesc("sightline_queue_pruned_segments_total",
		"Segments deleted because every reader had committed past them.",
		[]string{"queue"}, nil)
	descQueueDropped = prometheus.NewDesc("sightline_queue_dropped_bytes_total",
		"Bytes of segments deleted, read or not, to keep the queue under max_queue_size (queue_full = drop_oldest).",
		[]string{"queue"}, nil)
	descQueuePrunedStopped = prometheus.NewDesc("sightline_queue_pruned_unread_bytes_total",
		"Bytes of segments deleted while free disk was at or under the backpressure_disk_free floor that only stopped or terminated plugins had not read.",
		[]string{"queue"}, nil)
)

var allDescs = []*prometheus.Desc{
	descPluginUp, descProcessed, descFailed, descInjected, descInjectedBytes,
	descMatched, descUnmatched, descMatcherTime, descProcessTime, descTimerTime,
	descMemory, descMemoryMax, descOutputMax, descInstructionsMax, descLag, descUncommittedAge,
	descQueueSize, descQueueSegments, descQueueFree, descQueueBackpressure, descQueueWritable,
	descQueuePrunedBytes, descQueuePrunedSegments, descQueueDropped, descQueuePrunedStopped,
	descQueueRecoveries,
}

// collector is the daemon as a prometheus.Collector: every figure is read
// when scraped.
type collector struct{ d *daemon }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	d := c.d
	now := time.Now()
	plugins, notLoaded := d.obs.snapshot()
	queues := d.queueStates()
	segs := map[string][]queue.Segment{}
	for _, q := range queues {
		if q.listErr == nil {
			segs[q.name] = q.segs
		}
	}
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	counter := func(desc *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), labels...)
	}
	summary := func(desc *prometheus.Desc, rs runningStats, label string) {
		ch <- prometheus.MustNewConstSummary(desc, uint64(rs.n), rs.sum/1e9, nil, label)
	}

	for i := range plugins {
		s := &plugins[i]
		name := s.w.name
		up := 1.0
		if s.failed != "" {
			up = 0
		}
		gauge(descPluginUp, up, name)
		counter(descProcessed, s.sb.ProcessMessageCount, name)
		counter(descFailed, s.sb.ProcessMessageFailures, name)
		counter(descInjected, s.sb.InjectMessageCount, name)
		counter(descInjectedBytes, s.sb.InjectMessageBytes, name)
		summary(descProcessTime, s.pm, name)
		if s.typ() != config.Input {
			counter(descMatched, s.matched, name)
			counter(descUnmatched, s.unmatched, name)
			summary(descMatcherTime, s.mm, name)
			summary(descTimerTime, s.te, name)
		}
		gauge(descMemory, float64(s.sb.CurrentMemory), name)
		gauge(descMemoryMax, float64(s.sb.MaxMemory), name)
		gauge(descOutputMax, float64(s.sb.MaxOutput), name)
		gauge(descInstructionsMax, float64(s.sb.MaxInstructions), name)
		if len(s.w.reads) > 0 {
			d.collectLag(ch, s.w, segs)
		}
		if s.typ() == config.Output {
			gauge(descUncommittedAge, d.uncommittedAge(s.w, now).Seconds(), name)
		}
	}
	for _, f := range notLoaded {
		gauge(descPluginUp, 0, f[0])
	}

	for _, q := range queues {
		if q.listErr == nil {
			gauge(descQueueSize, float64(q.size), q.name)
			gauge(descQueueSegments, float64(len(q.segs)), q.name)
		} else {
			ch <- prometheus.NewInvalidMetric(descQueueSize, q.listErr)
		}
		if q.freeErr == nil {
			gauge(descQueueFree, float64(q.free), q.name)
		} else {
			ch <- prometheus.NewInvalidMetric(descQueueFree, q.freeErr)
		}
		backpressure := 0.0
		if q.backpressure {
			backpressure = 1
		}
		gauge(descQueueBackpressure, backpressure, q.name)
		writable := 1.0
		if q.writeErr != nil {
			writable = 0
		}
		gauge(descQueueWritable, writable, q.name)
		counter(descQueuePrunedBytes, q.pruned.bytes, q.name)
		counter(descQueuePrunedSegments, q.pruned.segments, q.name)
		counter(descQueueDropped, q.dropped, q.name)
		counter(descQueuePrunedStopped, q.prunedStopped, q.name)
		counter(descQueueRecoveries, q.recoveries, q.name)
	}
}

// collectLag sends the cursor lag of each queue w reads: from its latest
// committed cursor (the store's, saved or not), else the position it
// started from.
func (d *daemon) collectLag(ch chan<- prometheus.Metric, w *observed, segs map[string][]queue.Segment) {
	st, found, err := d.store.Load(w.p.key)
	if err != nil {
		return // shutting down: the store is closed
	}
	for _, q := range w.reads {
		pos, ok := st.Queues[q]
		if !found || !ok {
			if pos, ok = w.start[q]; !ok {
				continue
			}
		}
		ss, listed := segs[q]
		if !listed {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(lagIn(ss, pos)), w.name, q)
	}
}

// uncommittedAge returns now minus the Timestamp of the oldest message
// output w read and did not commit: the record at its committed position
// in each queue with records pending. Zero when nothing is pending, the
// record cannot be read, or its Timestamp lies in the future.
func (d *daemon) uncommittedAge(w *observed, now time.Time) time.Duration {
	u := w.p.st.pendingRecords()
	var age time.Duration
	for _, q := range []struct {
		name    string
		pending bool
		pos     queue.Position
	}{{queueInput, u.input, u.at.Input}, {queueAnalysis, u.analysis, u.at.Analysis}} {
		if !q.pending {
			continue
		}
		if ts, ok := d.recordTime(q.name, q.pos); ok && ts > 0 {
			age = max(age, now.Sub(time.Unix(0, ts)))
		}
	}
	return age
}
