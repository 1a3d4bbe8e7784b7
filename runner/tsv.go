package runner

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/internal/atomicfile"
)

// statsInterval is the time between two writes of plugins.tsv and
// utilization.tsv: the reference's 6 s sampling window. A variable for
// tests.
var statsInterval = 6 * time.Second

// The files and their headers (spec §2.7).
const (
	pluginsFile     = "plugins.tsv"
	utilizationFile = "utilization.tsv"

	pluginsHeader = "Plugin\t" +
		"Inject Message Count\tInject Message Bytes\t" +
		"Process Message Count\tProcess Message Failures\t" +
		"Current Memory\t" +
		"Max Memory\tMax Output\tMax Instructions\t" +
		"Message Matcher Avg (ns)\tMessage Matcher SD (ns)\t" +
		"Process Message Avg (ns)\tProcess Message SD (ns)\t" +
		"Timer Event Avg (ns)\tTimer Event SD (ns)\n"
	utilizationHeader = "Plugin\tMessages Processed\t" +
		"% Utilization\t% Message Matcher\t" +
		"% Process Message\t% Timer Event\n"
)

// writeStatsFiles writes plugins.tsv and utilization.tsv in output_path
// every statsInterval, and once more when ctx ends (after the plugins
// stopped), and hands each window's analysis thread utilisation to
// placement (threadUtilization). Temp files a crash left are removed
// first.
func (d *daemon) writeStatsFiles(ctx context.Context) {
	dir := d.m.OutputPath
	if _, err := atomicfile.RemoveTemps(atomicfile.OS, dir, func(target string) bool {
		return target == pluginsFile || target == utilizationFile
	}); err != nil {
		d.log.Warn("cannot remove temp files", "dir", dir, "err", err)
	}
	w := &statsWriter{dir: dir, log: d.log, util: utilization{last: time.Now()},
		threads: len(d.groups), publish: d.setThreadUtilization}
	t := time.NewTicker(statsInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.write(&d.obs, time.Now())
			return
		case now := <-t.C:
			w.write(&d.obs, now)
		}
	}
}

// statsWriter writes the two files; it is owned by one goroutine.
type statsWriter struct {
	dir    string
	log    *slog.Logger
	util   utilization
	failed bool // the last write failed (logged once until one succeeds)

	threads int         // analysis_threads
	publish func([]int) // receives each window's threadUtil; may be nil
}

func (w *statsWriter) write(o *observer, now time.Time) {
	plugins, _ := o.snapshot()
	rows := w.util.rows(plugins, now)
	if w.publish != nil {
		w.publish(threadUtil(rows, w.threads))
	}
	_, err := atomicfile.Write(atomicfile.OS, filepath.Join(w.dir, pluginsFile), 0o640, func(f io.Writer) error {
		return writePluginsTSV(f, plugins)
	})
	if err == nil {
		_, err = atomicfile.Write(atomicfile.OS, filepath.Join(w.dir, utilizationFile), 0o640, func(f io.Writer) error {
			return writeUtilizationTSV(f, rows)
		})
	}
	switch {
	case err != nil && !w.failed:
		w.log.Warn("cannot write plugin statistics", "dir", w.dir, "err", err)
	case err == nil && w.failed:
		w.log.Info("plugin statistics written again", "dir", w.dir)
	}
	w.failed = err != nil
}

// writePluginsTSV writes plugins.tsv: the header, then one line per
// plugin. Counts are since the plugin was loaded; timings are the running
// mean and standard deviation of the sampled calls, in whole ns. Inputs
// have no matcher: 0 and 0.
func writePluginsTSV(w io.Writer, plugins []pluginSnapshot) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(pluginsHeader)
	var b []byte
	for i := range plugins {
		s := &plugins[i]
		b = append(b[:0], s.w.name...)
		for _, n := range []int64{
			s.sb.InjectMessageCount, s.sb.InjectMessageBytes,
			s.sb.ProcessMessageCount, s.sb.ProcessMessageFailures,
			s.sb.CurrentMemory, s.sb.MaxMemory, s.sb.MaxOutput, s.sb.MaxInstructions,
		} {
			b = append(b, '\t')
			b = strconv.AppendInt(b, n, 10)
		}
		mm := s.mm
		if s.typ() == config.Input {
			mm = runningStats{}
		}
		for _, f := range []float64{mm.mean, mm.sd(), s.pm.mean, s.pm.sd(), s.te.mean, s.te.sd()} {
			b = append(b, '\t')
			b = strconv.AppendFloat(b, f, 'f', 0, 64)
		}
		b = append(b, '\n')
		bw.Write(b)
	}
	return bw.Flush()
}

// utilRow is one line of utilization.tsv. An input's percentages are -1.
type utilRow struct {
	name             string
	msgs             int64
	util, mm, pm, te int
}

// writeUtilizationTSV writes utilization.tsv: the header and the rows.
func writeUtilizationTSV(w io.Writer, rows []utilRow) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(utilizationHeader)
	for _, r := range rows {
		fmt.Fprintf(bw, "%s\t%d\t%d\t%d\t%d\t%d\n", r.name, r.msgs, r.util, r.mm, r.pm, r.te)
	}
	return bw.Flush()
}

// threadUtil returns the % Utilization of analysis threads 0..n-1 from
// rows; a thread with no row (no plugins) is at 0.
func threadUtil(rows []utilRow, n int) []int {
	util := make([]int, n)
	for _, r := range rows {
		i, err := strconv.Atoi(strings.TrimPrefix(r.name, "analysis"))
		if err == nil && strings.HasPrefix(r.name, "analysis") && i >= 0 && i < n {
			util[i] = r.util
		}
	}
	return util
}

// utilization turns successive snapshots into utilization.tsv rows. It
// remembers each plugin's counts at the last window and the highest
// message rate estimated for each analysis thread and output.
type utilization struct {
	last    time.Time
	prev    map[string]windowCounts // by plugin name
	maxRate map[string]float64      // by plugin name or "analysisN", messages/s
}

// windowCounts are the counts of one plugin at the end of a window.
type windowCounts struct {
	w                                  *observed // a plugin loaded again starts from zero
	injected, processed, evals, timers int64
}

// rows returns the rows of the window from the last call (or the start)
// to now: inputs, then each analysis thread followed by its plugins, then
// outputs (the order of plugins).
//
// For each analysis thread and output, the time spent in the window is
// estimated from the sampled averages: matcher mean × messages read,
// process_message mean × calls, timer_event mean × calls; the
// percentages split it. Utilisation is the observed message rate (the
// larger of the rate read and the rate the inputs injected, for readers
// of the input queue) over the highest rate seen or estimated
// (1e9 / average ns per message), as in the reference (which divides by
// the rate instead of the count, overstating utilisation sixfold). An
// analysis plugin's row gives its share of its thread's time, then its
// own split. Percentages are whole numbers, rounded half to even on the
// first decimal.
func (u *utilization) rows(plugins []pluginSnapshot, now time.Time) []utilRow {
	secs := now.Sub(u.last).Seconds()
	if secs <= 0 {
		secs = statsInterval.Seconds()
	}
	u.last = now
	prev := u.prev
	u.prev = make(map[string]windowCounts, len(plugins))
	if u.maxRate == nil {
		u.maxRate = make(map[string]float64)
	}
	delta := make([]windowCounts, len(plugins))
	var injected int64
	for i := range plugins {
		s := &plugins[i]
		cur := windowCounts{w: s.w, injected: s.sb.InjectMessageCount, processed: s.sb.ProcessMessageCount,
			evals: s.matched + s.unmatched, timers: s.timers}
		u.prev[s.w.name] = cur
		if p, ok := prev[s.w.name]; ok && p.w == s.w {
			cur.injected -= p.injected
			cur.processed -= p.processed
			cur.evals -= p.evals
			cur.timers -= p.timers
		}
		delta[i] = cur
		if s.typ() == config.Input {
			injected += cur.injected
		}
	}
	inputRate := float64(injected) / secs

	// times returns a plugin's estimated matcher, process_message and
	// timer_event time in the window, in ns.
	times := func(i int) (mm, pm, te float64) {
		s, c := &plugins[i], delta[i]
		return s.mm.mean * float64(c.evals), s.pm.mean * float64(c.processed), s.te.mean * float64(c.timers)
	}

	var rows []utilRow
	for i := 0; i < len(plugins); {
		s := &plugins[i]
		switch s.typ() {
		case config.Input:
			rows = append(rows, utilRow{s.w.name, delta[i].injected, -1, -1, -1, -1})
			i++
		case config.Analysis:
			// The thread: plugins i..j-1.
			j := i
			var msgs int64
			var mmt, pmt, tet float64
			for ; j < len(plugins) && plugins[j].typ() == config.Analysis && plugins[j].w.thread == s.w.thread; j++ {
				msgs = max(msgs, delta[j].evals)
				mm, pm, te := times(j)
				mmt, pmt, tet = mmt+mm, pmt+pm, tet+te
			}
			tt := mmt + pmt + tet
			thread := "analysis" + strconv.Itoa(s.w.thread)
			rate := u.ratchet(thread, tt, msgs, secs)
			rows = append(rows, utilRow{thread, msgs, percent(max(inputRate, float64(msgs)/secs), rate),
				percent(mmt, tt), percent(pmt, tt), percent(tet, tt)})
			for k := i; k < j; k++ {
				mm, pm, te := times(k)
				ttp := mm + pm + te
				if tt == 0 || ttp == 0 {
					rows = append(rows, utilRow{name: plugins[k].w.name})
					continue
				}
				rows = append(rows, utilRow{plugins[k].w.name, delta[k].processed, percent(ttp, tt),
					percent(mm, ttp), percent(pm, ttp), percent(te, ttp)})
			}
			i = j
		default:
			c := delta[i]
			mm, pm, te := times(i)
			tt := mm + pm + te
			rate := u.ratchet(s.w.name, tt, c.evals, secs)
			observed := float64(c.evals) / secs
			if slices.Contains(s.w.reads, queueInput) {
				observed = max(observed, inputRate)
			}
			rows = append(rows, utilRow{s.w.name, c.processed, percent(observed, rate),
				percent(mm, tt), percent(pm, tt), percent(te, tt)})
			i++
		}
	}
	for key := range u.maxRate {
		// Threads are "analysisN", plugins "<type>.<name>".
		if _, ok := u.prev[key]; !ok && strings.Contains(key, ".") {
			delete(u.maxRate, key)
		}
	}
	return rows
}

// ratchet raises the highest message rate of key with the window's
// estimate (1e9 / average ns per message) and observed rate, and returns
// it.
func (u *utilization) ratchet(key string, tt float64, msgs int64, secs float64) float64 {
	r := u.maxRate[key]
	if tt > 0 && msgs > 0 {
		r = max(r, 1e9*float64(msgs)/tt, float64(msgs)/secs)
		u.maxRate[key] = r
	}
	return r
}

// percent returns n/d as a whole percentage, rounded half to even on the
// first decimal (the decimals after it are dropped first), as the
// reference rounds; 0 when d is 0.
func percent(n, d float64) int {
	if d == 0 {
		return 0
	}
	p := int64(n * 1000 / d) // per mille
	r := p % 10
	p /= 10
	if r > 5 || (r == 5 && p%2 == 1) {
		p++
	}
	return int(p)
}
