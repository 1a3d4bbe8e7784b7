package runner

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/internal/migrate"
	"github.com/sightline/sightline/message/matcher"
	"github.com/sightline/sightline/plugins"
	"github.com/sightline/sightline/queue"
	"github.com/sightline/sightline/sandbox"
	"github.com/sightline/sightline/sandbox/preserve"
)

// plugin is what every kind of plugin runner holds.
type plugin struct {
	cfg     *config.Plugin
	key     cursor.Key
	log     *slog.Logger
	sb      *sandbox.Sandbox
	matcher *matcher.Matcher // analysis and output
	st      pluginStats      // runner-side counts and timings (stats.go)
	spec    *spec            // what it was created from, to create it again
	injects bool             // it injected (owned by its goroutine; see daemon.injectors)
}

// spec is a plugin ready to be created: its config read and checked, the
// host's keys added, its matcher compiled and its Lua source read. A
// running plugin keeps its spec, so that a live reload whose new version
// fails to start can bring the version that ran back.
type spec struct {
	key     cursor.Key
	cfg     *config.Plugin
	matcher *matcher.Matcher // analysis and output
	lua     string           // the Lua file, as messages name it
	luaAbs  string           // the Lua file, absolute: a replaced file restarts its users
	src     []byte           // the Lua source the plugin is created from
	orig    []byte           // the config as the .rtc's "original configuration"
	// embedded: the Lua file is one of package plugins' (no file in
	// run/<type>/ or the install path); a file of that name dropped into
	// load/<type>/ replaces it.
	embedded bool
}

var pluginTypes = []config.PluginType{config.Input, config.Analysis, config.Output}

// loadAll deletes the run directories' .err files, then loads every
// plugin config and builds the runners. Plugins that fail get a .err and
// are left out; only a failure of the directories themselves is an error.
func (d *daemon) loadAll() error {
	files := make(map[config.PluginType][]string)
	for _, typ := range pluginTypes {
		if err := d.removeErrFiles(typ); err != nil {
			return err
		}
		var err error
		if files[typ], err = d.configFiles(typ); err != nil {
			return err
		}
	}
	var analysis []*analysisPlugin
	for _, typ := range pluginTypes {
		for _, file := range files[typ] {
			sp, err := d.prepare(typ, file)
			if err != nil {
				d.loadFailed(typ, file, err)
				continue
			}
			switch typ {
			case config.Input:
				var in *input
				if in, err = d.loadInput(sp); err == nil {
					d.inputs = append(d.inputs, in)
				}
			case config.Analysis:
				var a *analysisPlugin
				if a, err = d.loadAnalysis(sp, false); err == nil {
					analysis = append(analysis, a)
				}
			case config.Output:
				var o *output
				if o, err = d.loadOutput(sp, false); err == nil {
					d.outputs = append(d.outputs, o)
				}
			}
			if err != nil {
				d.loadFailed(typ, file, err)
			}
		}
	}
	d.makeGroups(analysis)
	for _, p := range d.allPlugins() {
		d.writeRTC(p)
	}
	return nil
}

// runDir returns run/<typ>.
func (d *daemon) runDir(typ config.PluginType) string {
	return filepath.Join(d.m.SandboxRunPath, typ.String())
}

// configFiles lists the plugin configs of run/<typ>, one per plugin name
// (a plugin with both a .cfg and a .toml is listed once, by its .cfg, and
// refused by config.LoadPlugin), sorted by name.
func (d *daemon) configFiles(typ config.PluginType) ([]string, error) {
	dir := d.runDir(typ)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("runner: read %s: %w", dir, err)
	}
	byName := map[string]string{}
	for _, e := range entries {
		name, ext := splitExt(e.Name())
		if (ext != ".cfg" && ext != ".toml") || name == "" || strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		if prev, ok := byName[name]; !ok || filepath.Ext(prev) == ".toml" {
			byName[name] = filepath.Join(dir, e.Name())
		}
	}
	files := make([]string, 0, len(byName))
	for _, f := range byName {
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b string) int { return cmp.Compare(filepath.Base(a), filepath.Base(b)) })
	return files, nil
}

// importHindsight turns a Hindsight node's hindsight.cp into sightline
// cursors before any writer, store or pruning touches the queues, so that
// switching a node over neither replays its queues nor re-reads its logs.
// It does nothing when sightline cursors exist already.
func (d *daemon) importHindsight() error {
	files, err := d.configFiles(config.Analysis)
	if err != nil {
		return err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i], _ = splitExt(filepath.Base(f))
	}
	rep, err := migrate.Import(d.m.OutputPath, names, d.log)
	if err != nil {
		return fmt.Errorf("runner: import hindsight.cp: %w", err)
	}
	if rep.Outcome == migrate.Imported {
		d.log.Info("imported Hindsight checkpoints", "file", rep.File, "cursors", len(rep.Plugins), "renamed_to", rep.Renamed)
	}
	return nil
}

func splitExt(file string) (name, ext string) {
	ext = filepath.Ext(file)
	return strings.TrimSuffix(file, ext), ext
}

// loadFailed logs why the plugin configured in file could not be loaded
// and writes its .err.
func (d *daemon) loadFailed(typ config.PluginType, file string, err error) {
	name, _ := splitExt(filepath.Base(file))
	log := d.log.With("plugin", typ.String()+"."+name)
	reason, detail := errString(err)
	if detail != "" {
		log.Error("loading failed", "file", file, "err", reason, "detail", detail)
	} else {
		log.Error("loading failed", "file", file, "err", reason)
	}
	d.writeErr(typ, name, reason)
}

// maxLuaSource is the largest plugin source read (the sandbox's limit).
const maxLuaSource = 16 << 20

// prepare reads and checks the plugin config in file (config.LoadPlugin
// with the [<typ>_defaults] table), compiles its matcher, finds and reads
// its Lua file and adds the host's keys (reserve). Nothing runs yet.
func (d *daemon) prepare(typ config.PluginType, file string) (*spec, error) {
	cfg, err := config.LoadPlugin(file, typ, d.m.DefaultsFor(typ))
	if err != nil {
		return nil, err
	}
	sp := &spec{key: cursor.Key{Type: typ.String(), Name: cfg.Name}, cfg: cfg}
	if typ != config.Input {
		if sp.matcher, err = matcher.Compile(cfg.MessageMatcher); err != nil {
			return nil, &config.Error{File: file, Line: cfg.Table.Line("message_matcher"), Key: "message_matcher", Err: err}
		}
	}
	if sp.lua, err = d.luaFile(typ, cfg.Filename); err == nil {
		if sp.luaAbs, err = filepath.Abs(sp.lua); err == nil {
			sp.src, err = readLimited(sp.lua, maxLuaSource)
		}
	} else if src, name, ok := plugins.Source(typ.String(), cfg.Filename); ok {
		sp.lua, sp.luaAbs, sp.src, sp.embedded, err = name, name, src, true, nil
	}
	if err != nil {
		return nil, &config.Error{File: file, Line: cfg.Table.Line("filename"), Key: "filename", Err: err}
	}
	if sp.orig, err = rtcOriginal(file); err != nil {
		return nil, &config.Error{File: file, Err: err}
	}
	d.reserve(cfg)
	return sp, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("%s: file too large (over %d bytes)", path, limit)
	}
	return data, err
}

// newPlugin creates the sandbox of sp with host.
func (d *daemon) newPlugin(sp *spec, host sandbox.Host) (*plugin, error) {
	cfg := sp.cfg
	p := &plugin{cfg: cfg, key: sp.key, log: d.log.With("plugin", sp.key.String()), matcher: sp.matcher, spec: sp}
	var err error
	p.sb, err = sandbox.New(sandbox.Options{
		Plugin:    cfg,
		LuaFile:   sp.lua,
		Source:    sp.src,
		Host:      host,
		Logger:    p.log,
		StateFile: preserve.Path(d.m.OutputPath, sp.key.Type, cfg.Name),
		Relay:     true, // inputs (runner.input's methods are safe from the relay's goroutine)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// luaFile finds a plugin's Lua source: run/<type>/<filename>, else
// <sandbox_install_path>/<type>/<filename> (prepare then looks for an
// embedded standard plugin). The path is made relative to
// the working directory when it lies under it, for shorter error
// messages.
func (d *daemon) luaFile(typ config.PluginType, filename string) (string, error) {
	candidates := []string{filepath.Join(d.runDir(typ), filename)}
	if d.m.SandboxInstallPath != "" {
		candidates = append(candidates, filepath.Join(d.m.SandboxInstallPath, typ.String(), filename))
	}
	for _, c := range candidates {
		fi, err := os.Stat(c)
		if err == nil && fi.Mode().IsRegular() {
			return shortPath(c), nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s not found (looked in %s)", filename, strings.Join(candidates, ", "))
}

// shortPath returns p relative to the working directory if it lies under
// it, else p.
func shortPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

// reserve adds the host's keys to the table read_config sees (§3.2). They
// override the plugin's own values of the same names, as in the reference.
func (d *daemon) reserve(cfg *config.Plugin) {
	m, t := d.m, cfg.Table
	t.Set("Logger", cfg.Type.String()+"."+cfg.Name)
	t.Set("Hostname", m.Hostname)
	t.Set("Pid", os.Getpid())
	if cfg.Type == config.Analysis {
		t.Set("path", m.AnalysisLuaPath)
	} else {
		t.Set("path", m.IOLuaPath)
	}
	t.Set("cpath", "")
	t.Set("log_level", m.LogLevel)
	if cfg.Type != config.Analysis {
		t.Set("output_path", m.OutputPath)
		t.Set("output_size", m.OutputSize)
		t.Set("max_message_size", m.MaxMessageSize)
		t.Set("sandbox_load_path", m.SandboxLoadPath)
		t.Set("sandbox_run_path", m.SandboxRunPath)
		t.Set("sandbox_install_path", m.SandboxInstallPath)
	}
}

// errFile returns run/<typ>/<name>.err.
func (d *daemon) errFile(typ config.PluginType, name string) string {
	return filepath.Join(d.runDir(typ), name+".err")
}

// writeErr writes a plugin's .err file: the UTC time, a tab, the reason
// (on one line).
func (d *daemon) writeErr(typ config.PluginType, name, reason string) {
	reason = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(reason))
	d.obs.fail(typ.String()+"."+name, reason)
	line := time.Now().UTC().Format("2006-01-02T15:04:05") + "\t" + reason + "\n"
	// Replaced atomically: tools (and tests) reading .err files never see
	// a truncated one.
	if err := atomicfile.WriteFile(d.errFile(typ, name), []byte(line), 0o640); err != nil {
		d.log.Error("cannot write .err file", "err", err)
	}
}

// removeErrFiles deletes run/<typ>/*.err, as the reference does at startup.
func (d *daemon) removeErrFiles(typ config.PluginType) error {
	dir := d.runDir(typ)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("runner: read %s: %w", dir, err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".err" || e.IsDir() {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.log.Warn("cannot remove .err file", "err", err)
		}
	}
	return nil
}

// loadCursor returns the latest cursor of plugin key (the one last put
// in this run, else the saved one). A damaged cursor file is not guessed
// around: it is an error, and the plugin does not run.
func (d *daemon) loadCursor(key cursor.Key) (cursor.State, error) {
	st, _, err := d.store.Load(key)
	if err != nil {
		return cursor.State{}, err
	}
	if st.Queues == nil {
		st.Queues = map[string]queue.Position{}
	}
	return st, nil
}

// oldest returns the start of the oldest segment of the queue in dir,
// where a reader without a cursor starts.
func oldest(dir string) (queue.Position, error) {
	segs, err := queue.Segments(dir)
	if err != nil || len(segs) == 0 {
		return queue.Position{}, err
	}
	return queue.Position{Segment: segs[0].ID}, nil
}
