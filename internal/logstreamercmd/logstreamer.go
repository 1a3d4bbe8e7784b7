package logstreamercmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/lua_modules/logstreamer"
)

// PluginFile is the Lua file of the plugins this command looks at.
const PluginFile = "logstreamer.lua"

// Run is "sightline logstreamer [-config FILE]": it returns the exit
// status, 1 on a bad main or plugin config.
func Run(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("logstreamer", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", config.DefaultMainPath, "main config file: TOML, or a Hindsight `.cfg`")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "sightline logstreamer: unexpected argument %q\n", fset.Arg(0))
		return 2
	}
	if err := run(*cfgPath, stdout); err != nil {
		fmt.Fprintf(stderr, "sightline logstreamer: %v\n", err)
		return 1
	}
	return 0
}

func run(cfgPath string, w io.Writer) error {
	main, err := config.LoadMain(cfgPath)
	if err != nil {
		return err
	}
	m := main.Resolved()
	dir := filepath.Join(m.SandboxRunPath, "input")
	plugins, err := loadPlugins(dir, m.DefaultsFor(config.Input))
	if err != nil {
		return err
	}
	if len(plugins) == 0 {
		fmt.Fprintf(w, "No input plugin in %s uses %s.\n", dir, PluginFile)
		return nil
	}
	for _, p := range plugins {
		if err := show(w, m, p); err != nil {
			return fmt.Errorf("%s: %w", p.File, err)
		}
	}
	return nil
}

// loadPlugins reads the input plugin configs of dir that run
// logstreamer.lua, sorted by name.
func loadPlugins(dir string, defaults *config.Table) ([]*config.Plugin, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*config.Plugin
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".cfg" && ext != ".toml") {
			continue
		}
		p, err := config.LoadPlugin(filepath.Join(dir, e.Name()), config.Input, defaults)
		if err != nil {
			if errors.Is(err, config.ErrBothFormats) && ext == ".toml" {
				continue // reported once, for the .cfg
			}
			return nil, err
		}
		if p.Filename == PluginFile {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// nopSink is the sink of a Streamer that is never polled.
type nopSink struct{}

func (nopSink) Record(string, string, int64, []byte) error { return nil }
func (nopSink) Checkpoint(string) error                    { return nil }

// show prints the streams of one plugin.
func show(w io.Writer, m *config.Main, p *config.Plugin) error {
	get := func(key string) (any, error) {
		if key == "sandbox_run_path" { // a key the runner adds for the plugin
			return m.SandboxRunPath, nil
		}
		v, ok := p.Table.Get(key)
		if !ok {
			return nil, nil
		}
		return plain(v), nil
	}
	cfg, err := logstreamer.ParseConfig(get, p.Name, m.Hostname, int(m.MaxMessageSize))
	if err != nil {
		return err
	}
	var saved map[string]*logstreamer.Position
	cpFile := cursor.Path(m.OutputPath, cursor.TypeInput, p.Name)
	st, found, err := cursor.Load(cpFile)
	switch {
	case err != nil:
		return err
	case found && st.Checkpoint.Kind == cursor.CheckpointString:
		if saved, err = logstreamer.DecodeCheckpoint(st.Checkpoint.String); err != nil {
			return fmt.Errorf("%s: %w", cpFile, err)
		}
	}
	ls, err := logstreamer.New(cfg, nil, nopSink{})
	if err != nil {
		return err
	}
	defer ls.Close()
	ls.Restore(saved)
	streams := ls.Streams()
	fmt.Fprintf(w, "Found %d Logstream(s) for section [%s].\n", len(streams), p.Name)
	root := ls.Pattern().Root
	for _, s := range streams {
		file, seek := "", int64(0)
		if s.Pos != nil {
			file, seek = s.Pos.File, s.Pos.Seek
			if file != "" && !filepath.IsAbs(file) {
				file = filepath.Join(root, file)
			}
		}
		fmt.Fprintf(w, "\nLogstream name: [%s]\n", s.Name)
		fmt.Fprintf(w, "Stream Choosing Filename: %s, SeekPosition: %d\n", file, seek)
		fmt.Fprintf(w, "Files: %d (printing oldest to newest)\n", len(s.Files))
		for _, f := range s.Files {
			fmt.Fprintf(w, "\t%s\n", f)
		}
	}
	fmt.Fprintln(w)
	return nil
}

// plain converts a config value to the logstreamer's form: tables become
// map[string]any, or []any when their keys are 1..n.
func plain(v config.Value) any {
	t, ok := v.(*config.Table)
	if !ok {
		return v
	}
	seq := true
	n := int64(0)
	for k := range t.All() {
		i, isInt := k.Index()
		n++
		if !isInt || i != n {
			seq = false
			break
		}
	}
	if seq && n > 0 {
		out := make([]any, 0, n)
		for _, e := range t.All() {
			out = append(out, plain(e))
		}
		return out
	}
	out := map[string]any{}
	for k, e := range t.All() {
		if _, isInt := k.Index(); !isInt {
			out[k.Name()] = plain(e)
		}
	}
	return out
}
