package checkcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sightline/sightline/config"
	_ "github.com/sightline/sightline/lua_modules" // the binary's embedded modules, for the probe
	"github.com/sightline/sightline/sandbox"
)

// The sandbox exports no way to ask where require would find a module, so
// the resolver asks a probe: a sandbox of the plugin's type, with no Lua
// path, whose file runs pcall(require, read_config("check_module")) and
// prints the outcome, which a logger catches. Standard libraries, Go
// modules and embedded Lua modules (and the analysis restrictions) are
// thus exactly the sandbox's; the Lua path is searched here, as the
// sandbox searches it, so no file of the deployment is ever run.
const probeSource = `local ok, err = pcall(require, read_config("check_module"))
if ok then print("ok") else print("error", tostring(err)) end
function process_message() return 0 end
function timer_event() end
`

// probeInstructions bounds what an embedded module's body may run in
// the probe.
const probeInstructions = 10_000_000

// verdict is what the probe found for a module name.
type verdict int

const (
	found    verdict = iota // a standard library, Go module or embedded module
	missing                 // none of those: the Lua path decides
	disabled                // withheld from the plugin type
	broken                  // found, but it requires a module that is missing or disabled
)

type probeKey struct {
	name string
	typ  config.PluginType
}

type probeResult struct {
	v      verdict
	detail string // for broken: the error
}

// resolution is where a require leads: a file of the Lua path to check,
// or a problem to report (or neither: provided by the binary).
type resolution struct {
	file    string
	problem string
}

// resolver resolves module names for plugin types, caching the probe's
// verdicts.
type resolver struct {
	dir     string // the probe's temporary directory
	file    string // the probe's Lua file
	err     error  // why there is no probe
	results map[probeKey]probeResult
}

func newResolver() *resolver {
	r := &resolver{results: make(map[probeKey]probeResult)}
	r.dir, r.err = os.MkdirTemp("", "sightline-check-")
	if r.err != nil {
		return r
	}
	r.file = filepath.Join(r.dir, "probe.lua")
	r.err = os.WriteFile(r.file, []byte(probeSource), 0o600)
	return r
}

// close removes the probe's file.
func (r *resolver) close() {
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
}

// resolve says where require(name) leads for a plugin of type typ whose
// Lua path is luaPath (resolved; pathKey names its main config key).
func (r *resolver) resolve(name string, typ config.PluginType, luaPath, pathKey string) resolution {
	res := r.probe(name, typ)
	switch res.v {
	case found:
		return resolution{}
	case disabled:
		return resolution{problem: fmt.Sprintf("module '%s' disabled for %s plugins", name, typ)}
	case broken:
		return resolution{problem: fmt.Sprintf("module '%s' cannot be loaded by %s plugins: %s", name, typ, res.detail)}
	}
	var tried []string
	rel := strings.ReplaceAll(name, ".", string(os.PathSeparator))
	for _, tmpl := range splitPath(luaPath) {
		file := strings.ReplaceAll(tmpl, "?", rel)
		fi, err := os.Stat(file)
		switch {
		case err == nil && !fi.IsDir():
			return resolution{file: file}
		case err == nil || errors.Is(err, fs.ErrNotExist):
			tried = append(tried, display(file))
		default:
			return resolution{problem: fmt.Sprintf("module '%s': %s: %v", name, display(file), unwrapPath(err))}
		}
	}
	where := "not on " + pathKey
	if len(tried) > 0 {
		where += ": " + strings.Join(tried, ", ")
	} else {
		where += " (empty)"
	}
	if typ == config.Analysis && r.probe(name, config.Input).v == found {
		return resolution{problem: fmt.Sprintf("module '%s' is for input and output plugins only (%s)", name, where)}
	}
	return resolution{problem: fmt.Sprintf("module '%s' not provided for %s plugins (no standard library, Go module or embedded module; %s)", name, typ, where)}
}

// splitPath splits a Lua path into its templates, as the sandbox does.
func splitPath(p string) []string {
	var out []string
	for _, t := range strings.Split(p, ";") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// probe asks a sandbox of type typ to require name.
func (r *resolver) probe(name string, typ config.PluginType) probeResult {
	key := probeKey{name, typ}
	if res, ok := r.results[key]; ok {
		return res
	}
	res := r.runProbe(name, typ)
	r.results[key] = res
	return res
}

func (r *resolver) runProbe(name string, typ config.PluginType) probeResult {
	if r.err != nil {
		// Without a probe only the standard libraries are known.
		switch {
		case stdLibs[name] && typ == config.Analysis && (name == "io" || name == "coroutine"):
			return probeResult{v: disabled}
		case stdLibs[name]:
			return probeResult{v: found}
		}
		return probeResult{v: missing}
	}
	t := config.NewTable(r.file)
	t.Set("check_module", name)
	h := &printCatcher{}
	s, err := sandbox.New(sandbox.Options{
		Plugin: &config.Plugin{
			Type:             typ,
			Name:             "check",
			Filename:         filepath.Base(r.file),
			OutputLimit:      64 << 10,
			InstructionLimit: probeInstructions,
			MessageMatcher:   "TRUE",
			ReadQueue:        "both",
			Table:            t,
		},
		LuaFile: r.file,
		Logger:  slog.New(h),
	})
	if err != nil {
		// The probe itself failed (an embedded module's body went over
		// the budget, say): the module exists.
		return probeResult{v: found}
	}
	s.Close(false)
	out := h.last()
	msg, isErr := strings.CutPrefix(out, "error\t")
	if !isErr {
		return probeResult{v: found}
	}
	quoted := "module '" + name + "'"
	switch {
	case strings.Contains(msg, quoted+" not found: not provided by sightline"):
		return probeResult{v: missing}
	case strings.Contains(msg, quoted+" disabled"):
		return probeResult{v: disabled}
	case strings.Contains(msg, "not provided by sightline") || strings.Contains(msg, "' disabled"):
		// The module is there but requires one that is not.
		return probeResult{v: broken, detail: stripPosition(msg, r.file)}
	}
	// Any other failure may come from the probe's bare environment (a
	// module reading a config key at load time): not the deployment's
	// problem.
	return probeResult{v: found}
}

// stripPosition removes the probe file's "path:line: " prefixes from an
// error message.
func stripPosition(msg, file string) string {
	for {
		i := strings.Index(msg, file+":")
		if i < 0 {
			return msg
		}
		rest := msg[i+len(file)+1:]
		j := strings.Index(rest, ": ")
		if j < 0 {
			return msg
		}
		msg = msg[:i] + rest[j+2:]
	}
}

// printCatcher is a slog.Handler keeping what the probe prints.
type printCatcher struct {
	mu   sync.Mutex
	msgs []string
}

func (h *printCatcher) Enabled(context.Context, slog.Level) bool { return true }

func (h *printCatcher) Handle(_ context.Context, rec slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, rec.Message)
	return nil
}

func (h *printCatcher) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *printCatcher) WithGroup(string) slog.Handler      { return h }

// last returns the last message printed, "" if none.
func (h *printCatcher) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.msgs) == 0 {
		return ""
	}
	return h.msgs[len(h.msgs)-1]
}
