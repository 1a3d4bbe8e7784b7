package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/sandbox"
)

// Applying the files dropped into sandbox_load_path (spec §3.3).
//
// A batch of settled files is applied in two steps. First each file, Lua
// files first, then in the order they were written:
//
//   - X.lua: compiled (and, for each analysis plugin using
//     run/<type>/X.lua, run once in a trial sandbox); moved to
//     run/<type>/X.lua; every plugin of that type loaded from that file
//     is to restart with its config as it is in run/.
//   - N.cfg or N.toml: checked (config, matcher, Lua file found and
//     compiled; an analysis plugin's file run once in a trial sandbox; its
//     thread chosen); run/<type>/N.off, N.err and the other format's
//     config deleted; moved to run/<type>/; N is to restart with it.
//   - N.off: deleted; run/<type>/N.cfg (or .toml) renamed N.off; N is to
//     stop.
//
// A file that fails its checks, or is writable by group or others, is
// deleted, the reason is logged and written to run/<type>/N.err (for a
// Lua file, the .err of each plugin using it), and the running version,
// if any, goes on untouched.
//
// Then each plugin concerned, once, restarts or stops: the running
// instance stops as at shutdown (state preserved, cursor saved), the new
// one starts from that cursor or checkpoint, so no message is skipped; an
// analysis plugin behind its thread catches up on its own reader
// (catchup.go). A plugin without a cursor starts at the writer's
// position. If the new version fails to start (an input's or output's Lua
// file failing when run), the previous version is started again from the
// config and source it ran, and the reason goes to the .err. An .off also
// deletes the cursor of an analysis or output plugin, so that it no
// longer holds back pruning (the reference deletes an output's).

// drop is a settled file of a load directory.
type drop struct {
	typ   config.PluginType
	path  string
	mtime time.Time
}

// change is what a batch asks of one plugin.
type change struct {
	sp   *spec // the version to start; nil: stop (.off)
	slot int   // analysis: its thread
}

// batch is what a batch of files asks.
type batch struct {
	changes map[cursor.Key]*change
	placed  []int // analysis plugins placed on each thread by the batch
}

// place is daemon.place counting the plugins the batch placed already.
func (b *batch) place(d *daemon, sp *spec, fresh bool) (int, error) {
	slot, err := d.place(sp, fresh, b.placed)
	if p, _ := d.running(sp.key); err == nil && p == nil {
		b.placed[slot]++
	}
	return slot, err
}

// applyDrops applies a batch of settled files. When ctx ends before the
// plugins concerned have all restarted, the rest is left to the next
// start, which loads what is in the run directories.
func (d *daemon) applyDrops(ctx context.Context, drops []drop) {
	rank := func(f drop) int {
		if filepath.Ext(f.path) == ".lua" {
			return 0
		}
		return 1
	}
	slices.SortFunc(drops, func(x, y drop) int {
		return cmp.Or(cmp.Compare(rank(x), rank(y)), x.mtime.Compare(y.mtime), cmp.Compare(x.path, y.path))
	})
	b := &batch{changes: make(map[cursor.Key]*change), placed: make([]int, len(d.groups))}
	for _, f := range drops {
		switch filepath.Ext(f.path) {
		case ".lua":
			d.dropLua(f, b)
		case ".cfg", ".toml":
			d.dropConfig(f, b)
		case ".off":
			d.dropOff(f, b)
		}
	}
	keys := slices.SortedFunc(maps.Keys(b.changes), func(x, y cursor.Key) int {
		return cmp.Or(cmp.Compare(typeRank(x.Type), typeRank(y.Type)), cmp.Compare(x.Name, y.Name))
	})
	for i, key := range keys {
		if ctx.Err() != nil {
			d.log.Warn("shutting down: the rest of the load directory's changes apply at the next start", "plugins", len(keys)-i)
			return
		}
		if c := b.changes[key]; c.sp == nil {
			d.turnOff(key)
		} else {
			d.restart(c)
		}
	}
	d.setMemoryLimit()
}

func typeRank(typ string) int {
	t, _ := config.ParsePluginType(typ)
	return int(t)
}

// dropConfig checks a dropped N.cfg or N.toml and moves it to run/.
func (d *daemon) dropConfig(f drop, b *batch) {
	name, ext := splitExt(filepath.Base(f.path))
	key := cursor.Key{Type: f.typ.String(), Name: name}
	fresh := d.runFileExists(f.typ, name, ".off") || d.runFileExists(f.typ, name, ".err")
	sp, err := d.checkDropped(f)
	slot := 0
	if err == nil && f.typ == config.Analysis {
		if err = d.trial(sp); err == nil {
			slot, err = b.place(d, sp, fresh)
		}
	}
	if err != nil {
		d.reject(key, f.path, err)
		return
	}
	other := ".toml"
	if ext == ".toml" {
		other = ".cfg"
	}
	for _, x := range []string{".off", ".err", other} {
		d.removeRunFile(f.typ, name+x)
	}
	dest := filepath.Join(d.runDir(f.typ), name+ext)
	if err := os.Rename(f.path, dest); err != nil {
		d.reject(key, f.path, err)
		return
	}
	sp.cfg.File = dest
	b.changes[key] = &change{sp: sp, slot: slot}
	d.log.Info("new config accepted", "plugin", key.String(), "file", dest)
}

// checkDropped checks the permissions of a dropped config and prepares
// it.
func (d *daemon) checkDropped(f drop) (*spec, error) {
	if err := checkWritable(f.path); err != nil {
		return nil, err
	}
	return d.prepare(f.typ, f.path)
}

// dropLua checks a dropped X.lua, moves it to run/ and restarts the
// plugins loaded from run/<type>/X.lua.
func (d *daemon) dropLua(f drop, b *batch) {
	dest := filepath.Join(d.runDir(f.typ), filepath.Base(f.path))
	users := d.luaUsers(f.typ, dest)
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.key.String()
	}
	err := checkWritable(f.path)
	var src []byte
	if err == nil {
		src, err = readLimited(f.path, maxLuaSource)
	}
	if err == nil {
		err = sandbox.CompileFile(f.path)
	}
	if err == nil && f.typ == config.Analysis {
		for _, u := range users {
			t := *u.spec
			t.src = src
			if err = d.trial(&t); err != nil {
				err = fmt.Errorf("%s: %w", u.key, err)
				break
			}
		}
	}
	if err == nil {
		err = os.Rename(f.path, dest)
	}
	if err != nil {
		reason, _ := errString(err)
		d.log.Error("Lua file rejected", "file", f.path, "err", reason, "users", names)
		// The dropped file goes before the .err appears: whoever sees the
		// .err sees the refusal complete.
		d.removeDropped(f.path)
		for _, u := range users {
			d.writeErr(f.typ, u.key.Name, reason+"; the running version keeps running")
		}
		return
	}
	d.log.Info("Lua file replaced", "file", dest, "restarting", names)
	for _, u := range users {
		sp, err := d.prepare(f.typ, u.cfg.File)
		slot := 0
		if err == nil && f.typ == config.Analysis {
			slot, err = b.place(d, sp, false)
		}
		if err != nil {
			d.reject(u.key, "", err)
			continue
		}
		b.changes[u.key] = &change{sp: sp, slot: slot}
	}
}

// luaUsers returns the registered plugins of type typ loaded from the Lua
// file at path (running, or terminated by an error the new file may fix).
func (d *daemon) luaUsers(typ config.PluginType, path string) []*plugin {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	var users []*plugin
	for _, p := range d.allPlugins() {
		if p.cfg.Type == typ && (p.spec.luaAbs == abs || p.spec.embedded && p.cfg.Filename == filepath.Base(path)) {
			users = append(users, p)
		}
	}
	return users
}

// dropOff applies a dropped N.off.
func (d *daemon) dropOff(f drop, b *batch) {
	name, _ := splitExt(filepath.Base(f.path))
	key := cursor.Key{Type: f.typ.String(), Name: name}
	d.removeDropped(f.path)
	for _, ext := range []string{".cfg", ".toml"} {
		cfg := filepath.Join(d.runDir(f.typ), name+ext)
		if _, err := os.Stat(cfg); err != nil {
			continue
		}
		if err := os.Rename(cfg, filepath.Join(d.runDir(f.typ), name+".off")); err != nil {
			d.log.Error("cannot turn a config off", "plugin", key.String(), "err", err)
		}
		break
	}
	b.changes[key] = &change{}
}

// reject logs why a dropped file (path, "" for none) is refused for
// plugin key and writes its .err; the file is deleted.
func (d *daemon) reject(key cursor.Key, path string, err error) {
	typ, _ := config.ParsePluginType(key.Type)
	reason, detail := errString(err)
	if p, _ := d.running(key); p != nil {
		reason += "; the running version keeps running"
	}
	log := d.log.With("plugin", key.String())
	if detail != "" {
		log.Error("config rejected", "file", path, "err", reason, "detail", detail)
	} else {
		log.Error("config rejected", "file", path, "err", reason)
	}
	if path != "" {
		d.removeDropped(path) // before the .err, as for a Lua file
	}
	d.writeErr(typ, key.Name, reason)
}

// restart stops the running instance of c's plugin, if any, and starts
// the new version; when that fails, the instance that ran is started
// again.
func (d *daemon) restart(c *change) {
	sp := c.sp
	key, typ := sp.key, sp.cfg.Type
	log := d.log.With("plugin", key.String())
	prev, ok := d.stop(key)
	if !ok {
		reason := fmt.Sprintf("the running instance did not stop within %v; the new version was not started", d.opts.StopTimeout+d.opts.KillTimeout)
		log.Error("not restarted", "err", reason)
		d.writeErr(typ, key.Name, reason)
		return
	}
	err := d.start(sp, c.slot)
	if err == nil {
		d.removeRunFile(typ, key.Name+".err")
		if prev.sp != nil {
			log.Info("restarted", "file", sp.cfg.File)
		} else {
			log.Info("started", "file", sp.cfg.File)
		}
		return
	}
	if prev.live {
		perr := d.start(prev.sp, prev.slot)
		if perr == nil {
			reason, _ := errString(err)
			log.Error("the new version failed to start; the previous version runs again", "file", sp.cfg.File, "err", reason)
			d.writeErr(typ, key.Name, reason+"; the previous version keeps running")
			return
		}
		reason, _ := errString(perr)
		log.Error("the previous version failed to start again", "err", reason)
	}
	d.obs.remove(key)
	d.loadFailed(typ, sp.cfg.File, err)
}

// turnOff stops a plugin for an .off. An analysis or output plugin's
// cursor is deleted; an input keeps its checkpoint.
func (d *daemon) turnOff(key cursor.Key) {
	log := d.log.With("plugin", key.String())
	_, ok := d.stop(key)
	if ok && key.Type != cursor.TypeInput {
		if err := d.store.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("cursor not removed", "err", err)
		}
	}
	d.obs.remove(key)
	log.Info("turned off")
}

// removeRunFile deletes run/<typ>/<file>, if present.
func (d *daemon) removeRunFile(typ config.PluginType, file string) {
	if err := os.Remove(filepath.Join(d.runDir(typ), file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("cannot remove a file of the run directory", "err", err)
	}
}

// removeDropped deletes a file of a load directory.
func (d *daemon) removeDropped(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("cannot remove a file of the load directory", "err", err)
	}
}

// runFileExists reports whether run/<typ>/<name><ext> exists.
func (d *daemon) runFileExists(typ config.PluginType, name, ext string) bool {
	_, err := os.Stat(filepath.Join(d.runDir(typ), name+ext))
	return err == nil
}
