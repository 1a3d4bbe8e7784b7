package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

// pin is a running reader (an analysis plugin, an output) as pruning sees
// it: its latest cursor is in the store, and until its first Put, its
// starting positions hold its place.
type pin struct {
	key     cursor.Key
	p       *plugin
	start   map[string]queue.Position // by queue name; never modified
	removed atomic.Bool               // its cursor was deleted: it pins nothing
}

func (p *pin) remove() { p.removed.Store(true) }

// running reports whether the pin's plugin runs: registered, its cursor
// kept, not terminated.
func (p *pin) running() bool {
	return !p.removed.Load() && p.p.sb.Terminated() == nil
}

// prune prunes both queues (see pruneQueue), the disk floor aside.
func (d *daemon) prune() {
	for _, q := range d.queues() {
		d.pruneQueue(q, false)
	}
}

// pruneQueue deletes the segments of q below every reader's saved cursor
// (see pruneTargets). When low (free disk at or under the
// backpressure_disk_free floor) it then deletes what only stopped or
// terminated plugins' cursors still hold, and logs their loss: a stopped
// plugin does not hold the running ones up by disk.
func (d *daemon) pruneQueue(q *qctl, low bool) {
	t, err := d.pruneTargets(q)
	if err != nil {
		d.log.Warn("queue not pruned", "queue", q.name, "err", err)
		return
	}
	target := pastFinished(q.dir, t.all)
	n, bytes, err := queue.Prune(q.dir, target)
	d.obs.prunedSegments(q.name, n, bytes)
	if err != nil {
		d.log.Warn("prune failed", "queue", q.name, "err", err)
		return
	}
	if n > 0 {
		d.log.Debug("queue pruned", "queue", q.name, "segments", n, "bytes", bytes, "below", target)
	}
	if !low {
		return
	}
	running := pastFinished(q.dir, t.running)
	if running.Segment <= target.Segment {
		return
	}
	losers := t.losers(q.dir, running.Segment)
	n, bytes, err = queue.Prune(q.dir, running)
	d.obs.prunedSegments(q.name, n, bytes)
	q.prunedStopped.Add(bytes)
	if n > 0 {
		d.log.Warn("disk low: deleted queue segments that only stopped or terminated plugins had not read",
			"queue", q.name, "segments", n, "bytes", bytes, "plugins_losing_data", losers,
			"disk_free", q.free, "floor", uint64(d.m.BackpressureDiskFree)*uint64(d.m.OutputSize))
	}
	if err != nil {
		d.log.Warn("prune failed", "queue", q.name, "err", err)
	}
}

// targets are the positions below which a queue may be pruned.
type targets struct {
	// all: the lowest position any reader may need after a crash: the
	// saved cursor of every analysis and output plugin in the cursors
	// directory (running or not: a stopped plugin's cursor keeps its
	// data), and the starting position of each running reader that has no
	// saved cursor yet. A running reader's newer cursor in memory counts
	// only when the plugin (in any version since the daemon started) has
	// injected nothing: otherwise it may depend
	// on injections not yet synced, and a crash would take the plugin
	// back to its saved one, to inject again from the records it read
	// since. (A plugin that injected nothing and is taken back by a crash
	// finds the segments it had committed gone: it reads on after them,
	// and what it had committed is not replayed.) So cursors that cannot
	// be saved (a full disk) do not keep the disk full. With no reader at
	// all it is the writer's position.
	all queue.Position
	// running: the same over the running plugins only.
	running queue.Position
	// latest: each reader's latest committed position (the store's for a
	// running plugin, else its file's), by <type>.<name>, to name those
	// that lose data.
	latest map[string]queue.Position
}

// losers returns the names of the readers whose latest position lies
// below segment below, sorted: they lose data when it is deleted.
func (t *targets) losers(dir string, below uint64) []string {
	var names []string
	for name, pos := range t.latest {
		if pastFinished(dir, pos).Segment < below {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// pruneTargets computes the targets of q. A cursor file that cannot be
// read stops the pruning: guessing could delete unread data.
func (d *daemon) pruneTargets(q *qctl) (*targets, error) {
	name := q.name
	w := q.w.Position()
	t := &targets{all: w, running: w, latest: map[string]queue.Position{}}
	running := map[string]*pin{}
	var terminated []*pin // registered, cursor kept, not running
	for _, p := range d.pinList() {
		switch {
		case p.running():
			running[p.key.String()] = p
		case !p.removed.Load():
			terminated = append(terminated, p)
		}
	}
	dir := filepath.Join(d.m.OutputPath, "cursors")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return t, err
	}
	saved := make(map[string]queue.Position, len(entries))
	for _, e := range entries {
		file := e.Name()
		if !strings.HasSuffix(file, ".cp") || e.IsDir() {
			continue
		}
		if !strings.HasPrefix(file, cursor.TypeAnalysis+".") && !strings.HasPrefix(file, cursor.TypeOutput+".") {
			continue // an input's cursor holds where it wrote, not read
		}
		st, _, err := cursor.Load(filepath.Join(dir, file))
		if err != nil {
			return t, fmt.Errorf("runner: %w", err)
		}
		p, ok := st.Queues[name]
		if !ok {
			continue
		}
		key := strings.TrimSuffix(file, ".cp")
		saved[key] = p
		t.latest[key] = p
		if running[key] == nil {
			t.all = queue.Min(t.all, p)
		}
	}
	for key, p := range running {
		pos, ok := saved[key]
		if !ok {
			if pos, ok = p.start[name]; !ok {
				continue // it does not read this queue
			}
		}
		t.latest[key] = pos
		// The latest cursor first, then injectors: a cursor Put after an
		// injection is seen with the injection marked.
		if st, found, err := d.store.Load(p.key); err == nil && found {
			if latest, ok := st.Queues[name]; ok {
				t.latest[key] = latest
				if _, injected := d.injectors.Load(p.key); !injected && pos.Less(latest) {
					pos = latest
				}
			}
		}
		t.all = queue.Min(t.all, pos)
		t.running = queue.Min(t.running, pos)
	}
	for _, p := range terminated {
		// Its last cursor may not be saved yet: its start holds till then.
		if start, reads := p.start[name]; reads {
			if _, ok := saved[p.key.String()]; !ok {
				t.all = queue.Min(t.all, start)
			}
		}
	}
	return t, nil
}

// pastFinished moves pos from the end of a finished segment (one a later
// segment follows, so the writer has left it) to the start of the next:
// a reader that read a segment to its end no longer needs it.
func pastFinished(dir string, pos queue.Position) queue.Position {
	segs, err := queue.Segments(dir)
	if err != nil {
		return pos
	}
	for i, s := range segs {
		if s.ID == pos.Segment && i+1 < len(segs) && pos.Offset >= s.Size {
			return queue.Position{Segment: segs[i+1].ID}
		}
	}
	return pos
}
