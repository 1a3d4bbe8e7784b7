package runner

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/sightline/sightline/config"
)

// Watching sandbox_load_path.
//
// The reference acts on inotify's IN_CLOSE_WRITE and IN_MOVED_TO: a file
// is taken once its writer closed it or it was renamed in. fsnotify offers
// neither close events nor a way to tell a rename from a creation, so a
// dropped file is taken once it has settled: its size and modification
// time have not changed for Options.LoadSettle (1 s by default). Events
// only tell the watcher which files to look at; a rescan of the three
// directories every Options.LoadRescan (3 s) finds the files whose events
// were lost (an inotify queue overflow, a watch that could not be set).
// A file written in one go, or written elsewhere and renamed in (the safe
// way, as with the reference), is taken whole; a writer that pauses for
// longer than LoadSettle in the middle of a file gets it taken half
// written.
//
// Files already in the load directories at startup are taken too (the
// reference leaves them until they are written again), once the plugins
// of the run directories have started: a file dropped while the daemon
// was down is not forgotten.
//
// Only *.cfg, *.toml, *.lua and *.off are looked at, not hidden files
// (".name"): an editor's temp files, or "name.cfg.tmp" renamed to
// "name.cfg" when complete, are left alone.

// fileStamp is what tells that a file changed.
type fileStamp struct {
	size  int64
	mtime time.Time
}

// settling is a dropped file not taken yet.
type settling struct {
	stamp fileStamp // zero until first looked at
	since time.Time // when stamp last changed, or the file was seen
}

// watcher watches the load directories and hands the settled files to
// applyDrops, on its own goroutine.
type watcher struct {
	d       *daemon
	log     *slog.Logger
	dirs    map[string]config.PluginType // load/<type> → type
	pending map[string]*settling
	// taken holds the files acted on that are still there (a rename or
	// remove that failed, already logged): they are not taken again until
	// they change.
	taken map[string]fileStamp
}

func (d *daemon) newWatcher() *watcher {
	w := &watcher{
		d:       d,
		log:     d.log.With("component", "load"),
		dirs:    make(map[string]config.PluginType),
		pending: make(map[string]*settling),
		taken:   make(map[string]fileStamp),
	}
	for _, typ := range pluginTypes {
		w.dirs[filepath.Join(d.m.SandboxLoadPath, typ.String())] = typ
	}
	return w
}

// run watches until ctx ends. A batch of settled files is applied whole
// unless ctx ends meanwhile (see applyDrops).
func (w *watcher) run(ctx context.Context) {
	opts := w.d.opts
	var events <-chan fsnotify.Event
	var errs <-chan error
	fw, err := fsnotify.NewWatcher()
	if err == nil {
		for dir := range w.dirs {
			if err = fw.Add(dir); err != nil {
				break
			}
		}
		if err != nil {
			_ = fw.Close()
		}
	}
	if err != nil {
		w.log.Warn("cannot watch the load directories: looking at them at every rescan only", "err", err, "rescan", opts.LoadRescan)
	} else {
		defer fw.Close()
		events, errs = fw.Events, fw.Errors
	}
	w.log.Info("watching the load directories", "path", w.d.m.SandboxLoadPath, "settle", opts.LoadSettle, "rescan", opts.LoadRescan)

	w.scan(time.Now())
	tick := time.NewTicker(max(opts.LoadSettle/4, 10*time.Millisecond))
	defer tick.Stop()
	rescan := time.NewTicker(opts.LoadRescan)
	defer rescan.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			w.event(ev, time.Now())
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.log.Warn("watching the load directories", "err", err)
			w.scan(time.Now())
		case now := <-rescan.C:
			w.scan(now)
		case now := <-tick.C:
			if drops := w.settled(now); len(drops) > 0 {
				w.d.applyDrops(ctx, drops)
				w.remember(drops)
			}
		}
	}
}

// wanted reports whether the watcher acts on a file of that name.
func wanted(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	base, ext := splitExt(name)
	if base == "" {
		return false
	}
	switch ext {
	case ".cfg", ".toml", ".lua", ".off":
		return true
	}
	return false
}

// event notes a file to look at, or forgets one that went.
func (w *watcher) event(ev fsnotify.Event, now time.Time) {
	if _, ok := w.dirs[filepath.Dir(ev.Name)]; !ok || !wanted(filepath.Base(ev.Name)) {
		return
	}
	switch {
	case ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) || ev.Has(fsnotify.Chmod):
		if p := w.pending[ev.Name]; p != nil {
			p.since = now
		} else {
			w.pending[ev.Name] = &settling{since: now}
		}
		delete(w.taken, ev.Name)
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		delete(w.pending, ev.Name)
		delete(w.taken, ev.Name)
	}
}

// scan lists the load directories and notes the files not known yet.
func (w *watcher) scan(now time.Time) {
	present := make(map[string]bool)
	for dir := range w.dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			w.log.Warn("cannot list a load directory", "dir", dir, "err", err)
			continue
		}
		for _, e := range entries {
			if !wanted(e.Name()) || e.IsDir() {
				continue
			}
			path := filepath.Join(dir, e.Name())
			present[path] = true
			if w.pending[path] != nil {
				continue
			}
			if st, ok := w.taken[path]; ok {
				if cur, err := stampOf(path); err == nil && cur == st {
					continue
				}
				delete(w.taken, path)
			}
			w.pending[path] = &settling{since: now}
		}
	}
	for path := range w.taken {
		if !present[path] {
			delete(w.taken, path)
		}
	}
}

// settled returns the files whose stamp has not changed for LoadSettle,
// and forgets them.
func (w *watcher) settled(now time.Time) []drop {
	var drops []drop
	for path, p := range w.pending {
		st, err := stampOf(path)
		if err != nil {
			delete(w.pending, path) // gone, or not a regular file
			continue
		}
		if st != p.stamp {
			p.stamp, p.since = st, now
			continue
		}
		if now.Sub(p.since) >= w.d.opts.LoadSettle {
			drops = append(drops, drop{typ: w.dirs[filepath.Dir(path)], path: path, mtime: st.mtime})
			delete(w.pending, path)
		}
	}
	return drops
}

// remember notes the files of a batch that are still there.
func (w *watcher) remember(drops []drop) {
	for _, f := range drops {
		if st, err := stampOf(f.path); err == nil {
			w.taken[f.path] = st
		}
	}
}

// stampOf returns the stamp of a regular file.
func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileStamp{}, fs.ErrInvalid
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime()}, nil
}
