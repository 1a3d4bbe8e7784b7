package runner

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

// sampleEvery is how often a call is timed: the first of every
// sampleEvery matcher evaluations and process_message calls of a plugin.
// A power of two. Timing costs two clock reads (about 40 ns); sampling
// keeps that off most calls (see BenchmarkHooks).
const sampleEvery = 16

// pluginStats are what the runner counts and times about a plugin, on
// top of its sandbox's Stats: matcher results, sampled timings, and for
// an output the records it read and did not commit. The plugin's
// goroutine writes them; the metrics and plugins.tsv read them from
// others.
type pluginStats struct {
	// Owned by the plugin's goroutine.
	mmTick, pmTick uint32 // calls so far, for sampling
	pending        bool   // output: pendingAt was last published with records pending
	pendingAt      outPos // output: the committed position then

	matched   atomic.Int64 // matcher evaluations that matched
	unmatched atomic.Int64 // and that did not
	timers    atomic.Int64 // timer_event calls

	mu          sync.Mutex   // guards the fields below; held only to copy
	mm, pm, te  runningStats // matcher, process_message, timer_event, in ns
	uncommitted uncommitted  // output
}

// uncommitted says which records an output read and did not commit: for
// each queue flagged, the records from the committed position on.
type uncommitted struct {
	input, analysis bool
	at              outPos
}

// runningStats is the running mean and standard deviation of sampled
// durations (Welford's method), as plugins.tsv reports them.
type runningStats struct {
	n    int64
	mean float64 // ns
	m2   float64 // sum of squared deviations from the mean
	sum  float64 // ns
}

func (r *runningStats) add(ns float64) {
	r.n++
	d := ns - r.mean
	r.mean += d / float64(r.n)
	r.m2 += d * (ns - r.mean)
	r.sum += ns
}

// sd is the sample standard deviation (0 below two samples).
func (r *runningStats) sd() float64 {
	if r.n < 2 {
		return 0
	}
	return math.Sqrt(r.m2 / float64(r.n-1))
}

// record adds one timed call to rs.
func (st *pluginStats) record(rs *runningStats, d time.Duration) {
	st.mu.Lock()
	rs.add(float64(d))
	st.mu.Unlock()
}

// timings returns a copy of the timings.
func (st *pluginStats) timings() (mm, pm, te runningStats) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.mm, st.pm, st.te
}

// match evaluates the plugin's matcher on v, counting the result and
// timing one call in sampleEvery.
func (p *plugin) match(v *message.View) bool {
	st := &p.st
	tick := st.mmTick
	st.mmTick++
	var ok bool
	if tick&(sampleEvery-1) != 0 {
		ok = p.matcher.Match(v)
	} else {
		t := time.Now()
		ok = p.matcher.Match(v)
		st.record(&st.mm, time.Since(t))
	}
	if ok {
		st.matched.Add(1)
	} else {
		st.unmatched.Add(1)
	}
	return ok
}

// processMessage is sb.ProcessMessage, one call in sampleEvery timed.
func (p *plugin) processMessage(v *message.View) (status int, msg string, err error) {
	st := &p.st
	tick := st.pmTick
	st.pmTick++
	if tick&(sampleEvery-1) != 0 {
		return p.sb.ProcessMessage(v)
	}
	t := time.Now()
	status, msg, err = p.sb.ProcessMessage(v)
	st.record(&st.pm, time.Since(t))
	return status, msg, err
}

// processOutput is sb.ProcessOutput, one call in sampleEvery timed.
func (p *plugin) processOutput(v *message.View, pos any) (sandbox.OutputResult, error) {
	st := &p.st
	tick := st.pmTick
	st.pmTick++
	if tick&(sampleEvery-1) != 0 {
		return p.sb.ProcessOutput(v, pos)
	}
	t := time.Now()
	res, err := p.sb.ProcessOutput(v, pos)
	st.record(&st.pm, time.Since(t))
	return res, err
}

// processInput is sb.ProcessInput, every call timed: an input's calls
// are few and long.
func (p *plugin) processInput(cp sandbox.Checkpoint) (status int, msg string, err error) {
	t := time.Now()
	status, msg, err = p.sb.ProcessInput(cp)
	p.st.record(&p.st.pm, time.Since(t))
	return status, msg, err
}

// timerEvent is sb.TimerEvent, every call counted and timed.
func (p *plugin) timerEvent(ns int64, shutdown bool) error {
	t := time.Now()
	err := p.sb.TimerEvent(ns, shutdown)
	p.st.record(&p.st.te, time.Since(t))
	p.st.timers.Add(1)
	return err
}

// notePending publishes which records the output has read and not
// committed, when that changed: for each queue whose committed position
// is behind the position after the last record delivered. An output that
// commits every record (the common case) publishes nothing.
func (o *output) notePending() {
	var read, committed outPos
	if o.in != nil {
		read.Input = o.in.done
	}
	if o.an != nil {
		read.Analysis = o.an.done
	}
	if s := o.retrying; s != nil {
		// Offered, refused with -3, offered again soon: read, not done.
		if s == o.in {
			read.Input = s.r.Position()
		} else {
			read.Analysis = s.r.Position()
		}
	}
	if o.hasCommitted {
		committed = o.committed
	} else {
		// Nothing committed in this run: the cursor it started from.
		committed.Input = o.state.Queues[queueInput]
		committed.Analysis = o.state.Queues[queueAnalysis]
	}
	st := &o.p.st
	pending := committed != read
	if pending == st.pending && (!pending || committed == st.pendingAt) {
		return
	}
	st.pending, st.pendingAt = pending, committed
	u := uncommitted{
		input:    o.in != nil && committed.Input != read.Input,
		analysis: o.an != nil && committed.Analysis != read.Analysis,
		at:       committed,
	}
	st.mu.Lock()
	st.uncommitted = u
	st.mu.Unlock()
}

// pendingRecords returns what notePending last published.
func (st *pluginStats) pendingRecords() uncommitted {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.uncommitted
}
