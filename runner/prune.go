package runner

import (
	"fmt"
	"os"
	"path/filepath"
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
	start   map[string]queue.Position // by queue name; never modified
	removed atomic.Bool               // its cursor was deleted: it pins nothing
}

func (p *pin) remove() { p.removed.Store(true) }

// prune deletes, in each queue, the segments below every reader's
// committed position (see pruneTarget).
func (d *daemon) prune() {
	for _, q := range []struct {
		name string
		w    *queue.Writer
	}{{queueInput, d.inW}, {queueAnalysis, d.anW}} {
		target, err := d.pruneTarget(q.name, q.w)
		if err != nil {
			d.log.Warn("queue not pruned", "queue", q.name, "err", err)
			continue
		}
		dir := d.queueDir(q.name)
		target = pastFinished(dir, target)
		n, bytes, err := queue.Prune(dir, target)
		d.obs.prunedSegments(q.name, n, bytes)
		if err != nil {
			d.log.Warn("prune failed", "queue", q.name, "err", err)
			continue
		}
		if n > 0 {
			d.log.Debug("queue pruned", "queue", q.name, "segments", n, "bytes", bytes, "below", target)
		}
	}
}

// pruneTarget returns the lowest position of queue name that any reader
// may still need after a crash: the saved cursor of every analysis and
// output plugin in the cursors directory (running or not: a stopped
// plugin's cursor keeps its data), and the starting position of each
// running reader that has no saved cursor yet. A running reader's newer
// cursor in memory does not count: it may depend on injections not yet
// synced, and a crash would take it back to its saved one. With no
// reader at all the target is the writer's position. A cursor file that
// cannot be read stops the pruning: guessing could delete unread data.
func (d *daemon) pruneTarget(name string, w *queue.Writer) (queue.Position, error) {
	target := w.Position()
	dir := filepath.Join(d.m.OutputPath, "cursors")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return target, err
	}
	saved := make(map[string]bool, len(entries))
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
			return target, fmt.Errorf("runner: %w", err)
		}
		if p, ok := st.Queues[name]; ok {
			saved[strings.TrimSuffix(file, ".cp")] = true
			target = queue.Min(target, p)
		}
	}
	for _, p := range d.pinList() {
		start, reads := p.start[name]
		if reads && !p.removed.Load() && !saved[p.key.String()] {
			target = queue.Min(target, start)
		}
	}
	return target, nil
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
