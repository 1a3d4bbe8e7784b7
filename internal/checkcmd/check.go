package checkcmd

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message/matcher"
	"github.com/sightline/sightline/plugins"
)

// Exit codes of Run.
const (
	ExitOK       = 0 // no problem found
	ExitProblems = 1 // problems were found and printed
	ExitUsage    = 2 // bad arguments, or the main config cannot be read
)

const defaultConfig = config.DefaultMainPath

const usageLine = "usage: sightline check [-config FILE]"

var pluginTypes = []config.PluginType{config.Input, config.Analysis, config.Output}

// Problem is one thing wrong in a file.
type Problem struct {
	File    string // as displayed: relative to the working directory when under it
	Line    int    // 1-based, 0 if unknown
	Column  int    // 1-based byte column, 0 if unknown
	Message string
}

// String formats the problem as "file:line:column: message", leaving out
// the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Line))
			if p.Column > 0 {
				b.WriteByte(':')
				b.WriteString(strconv.Itoa(p.Column))
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Report is the result of Check.
type Report struct {
	Plugins  int       // plugin configs checked, pending ones included
	LuaFiles int       // distinct Lua files compiled
	Problems []Problem // sorted by file, line, column, message; no duplicates
}

// Write prints one line per problem and the summary line.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "checked %s, %s: %s\n",
		plural(r.Plugins, "plugin"), plural(r.LuaFiles, "Lua file"), plural(len(r.Problems), "problem"))
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// Run runs `sightline check` with args (the arguments after "check") and
// returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfg := fl.String("config", defaultConfig, "main config `file`: TOML, or a Hindsight .cfg")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), usageLine)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "sightline check: unexpected argument %q\n%s\n", fl.Arg(0), usageLine)
		return ExitUsage
	}
	rep, err := Check(*cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sightline check: %v\n", err)
		return ExitUsage
	}
	if err := rep.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "sightline check: %v\n", err)
		return ExitProblems
	}
	if len(rep.Problems) > 0 {
		return ExitProblems
	}
	return ExitOK
}

// Check checks the deployment of the main config at path (see the package
// documentation). The error is non-nil only when the main config cannot
// be read at all; everything else, the main config's own mistakes
// included, is a Problem of the report.
func Check(path string) (*Report, error) {
	if err := readable(path); err != nil {
		return nil, err
	}
	c := newChecker()
	m, err := config.LoadMain(path)
	if err != nil {
		if cannotRead(err) {
			return nil, err
		}
		c.configError(err, path, false)
		return c.report(), nil
	}
	c.main = m.Resolved()
	c.checkDirs()
	for _, typ := range pluginTypes {
		c.checkDir(typ, c.runDir(typ), false)
	}
	if c.main.SandboxLoadPath != "" {
		for _, typ := range pluginTypes {
			c.checkDir(typ, c.loadDir(typ), true)
		}
	}
	return c.report(), nil
}

// readable reports an error when path cannot be a config file at all.
func readable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if ext := filepath.Ext(path); ext != ".toml" && ext != ".cfg" {
		return fmt.Errorf("%s: want a .toml or .cfg file", path)
	}
	return nil
}

// cannotRead reports whether LoadMain failed before it could look at the
// content (the file vanished or is unreadable).
func cannotRead(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, config.ErrFormat)
}

// checker holds the state of one Check.
type checker struct {
	main     *config.Main // resolved
	problems []Problem
	plugins  int
	lua      map[string]*luaFile // compiled files by path
	scanned  map[scanKey]bool    // files whose requires were resolved for a type
}

type scanKey struct {
	file string
	typ  config.PluginType
}

func newChecker() *checker {
	return &checker{
		lua:     make(map[string]*luaFile),
		scanned: make(map[scanKey]bool),
	}
}

func (c *checker) add(p Problem) { c.problems = append(c.problems, p) }

// report sorts and deduplicates the problems.
func (c *checker) report() *Report {
	ps := slices.Clone(c.problems)
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column), cmp.Compare(a.Message, b.Message))
	})
	ps = slices.Compact(ps)
	return &Report{Plugins: c.plugins, LuaFiles: len(c.lua), Problems: ps}
}

// configError adds err, an error about the config file named file, as a
// problem.
func (c *checker) configError(err error, file string, pending bool) {
	p := Problem{File: display(file), Message: err.Error()}
	var ce *config.Error
	if errors.As(err, &ce) && ce.File != "" {
		p = Problem{File: display(ce.File), Line: ce.Line, Message: strings.TrimPrefix(ce.Error(), errorPrefix(ce))}
	}
	c.add(mark(p, pending))
}

// errorPrefix returns the "file:line: " that (*config.Error).Error starts
// with.
func errorPrefix(e *config.Error) string {
	if e.File == "" {
		return ""
	}
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": "
	}
	return e.File + ": "
}

// mark appends "(pending)" to the message of a problem found in a file
// of the load directories.
func mark(p Problem, pending bool) Problem {
	if pending {
		p.Message += " (pending)"
	}
	return p
}

func (c *checker) runDir(typ config.PluginType) string {
	return filepath.Join(c.main.SandboxRunPath, typ.String())
}

func (c *checker) loadDir(typ config.PluginType) string {
	return filepath.Join(c.main.SandboxLoadPath, typ.String())
}

// checkDirs reports every missing directory CheckDirs would stop at: a
// missing sandbox_run_path or sandbox_load_path once, else each missing
// input, analysis or output directory in it.
func (c *checker) checkDirs() {
	for _, k := range []struct{ key, dir string }{
		{"sandbox_run_path", c.main.SandboxRunPath},
		{"sandbox_load_path", c.main.SandboxLoadPath},
	} {
		if k.dir == "" {
			continue
		}
		dirs := []string{k.dir}
		if fi, err := os.Stat(k.dir); err == nil && fi.IsDir() {
			// Report the missing subdirectories, else the base alone.
			dirs = dirs[:0]
			for _, typ := range pluginTypes {
				dirs = append(dirs, filepath.Join(k.dir, typ.String()))
			}
		}
		for _, dir := range dirs {
			fi, err := os.Stat(dir)
			switch {
			case err != nil:
				c.configError(c.main.ErrorAt(k.key, fmt.Errorf("%w: %s: %w (want input, analysis and output directories in it)",
					config.ErrInvalid, dir, unwrapPath(err))), c.main.File, false)
			case !fi.IsDir():
				c.configError(c.main.ErrorAt(k.key, fmt.Errorf("%w: %s is not a directory", config.ErrInvalid, dir)), c.main.File, false)
			}
		}
	}
}

// unwrapPath drops the path of a *fs.PathError, which the message names
// already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkDir checks the plugin configs and Lua files of one run or load
// directory. A missing directory was reported by checkDirs.
func (c *checker) checkDir(typ config.PluginType, dir string, pending bool) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		c.add(Problem{File: display(dir), Message: unwrapPath(err).Error()})
		return
	}
	byName := map[string]string{}
	var luaFiles []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		ext := filepath.Ext(e.Name())
		name := strings.TrimSuffix(e.Name(), ext)
		switch ext {
		case ".cfg", ".toml":
			// One per plugin name, by its .cfg, as the runner lists them:
			// LoadPlugin reports a plugin with both.
			if prev, ok := byName[name]; name != "" && (!ok || filepath.Ext(prev) == ".toml") {
				byName[name] = filepath.Join(dir, e.Name())
			}
		case ".lua":
			luaFiles = append(luaFiles, filepath.Join(dir, e.Name()))
		}
	}
	cfgs := make([]string, 0, len(byName))
	for _, f := range byName {
		cfgs = append(cfgs, f)
	}
	slices.Sort(cfgs)
	for _, f := range cfgs {
		c.checkPlugin(typ, f, pending)
	}
	// Lua files no plugin uses (yet): compiled, and their requires
	// resolved for the directory's type.
	for _, f := range luaFiles {
		c.checkLua(f, typ, pending)
	}
}

// checkPlugin checks one plugin config and its Lua file.
func (c *checker) checkPlugin(typ config.PluginType, file string, pending bool) {
	c.plugins++
	p, err := config.LoadPlugin(file, typ, c.main.DefaultsFor(typ))
	if err != nil {
		c.configError(err, file, pending)
		return
	}
	if typ != config.Input {
		if _, err := matcher.Compile(p.MessageMatcher); err != nil {
			c.add(mark(matcherProblem(file, p.Table.Line("message_matcher"), err), pending))
		}
	}
	luaPath, err := c.findLua(typ, p.Filename, pending)
	if err != nil {
		if _, _, ok := plugins.Source(typ.String(), p.Filename); ok {
			return // a standard plugin, embedded in the binary and tested with it
		}
		line := p.Table.Line("filename")
		c.add(mark(Problem{File: display(file), Line: line, Message: "filename: " + err.Error()}, pending))
		return
	}
	lf := c.checkLua(luaPath, typ, pending)
	if lf != nil && lf.chunk != nil {
		if missing := missingEntryPoints(lf, typ); len(missing) > 0 {
			c.add(mark(Problem{File: display(luaPath), Message: fmt.Sprintf(
				"%s not defined (required for %s plugins, and no module is required that could define it)",
				strings.Join(missing, " and "), typ)}, pending))
		}
	}
}

// findLua finds a plugin's Lua file as the runner does: run/<type>/, then
// <sandbox_install_path>/<type>/; a pending plugin looks in load/<type>/
// first.
func (c *checker) findLua(typ config.PluginType, filename string, pending bool) (string, error) {
	var candidates []string
	if pending {
		candidates = append(candidates, filepath.Join(c.loadDir(typ), filename))
	}
	candidates = append(candidates, filepath.Join(c.runDir(typ), filename))
	if c.main.SandboxInstallPath != "" {
		candidates = append(candidates, filepath.Join(c.main.SandboxInstallPath, typ.String(), filename))
	}
	shown := make([]string, len(candidates))
	for i, f := range candidates {
		fi, err := os.Stat(f)
		if err == nil && fi.Mode().IsRegular() {
			return f, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		shown[i] = display(f)
	}
	return "", fmt.Errorf("%s not found (looked in %s)", filename, strings.Join(shown, ", "))
}

// display returns path relative to the working directory when it lies
// under it, for shorter lines.
func display(path string) string {
	if !filepath.IsAbs(path) {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}
