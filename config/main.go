package config

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults of the main config that other packages may want to name. The
// reference's defaults (§3.1) unless marked as sightline's own.
const (
	DefaultOutputSize               = 64 << 20
	DefaultSandboxInstallPath       = "/usr/share/luasandbox/sandboxes/heka"
	DefaultAnalysisThreads          = 1
	DefaultAnalysisUtilizationLimit = 95
	DefaultMaxMessageSize           = 64 << 10
	DefaultBackpressureDiskFree     = 4

	// DefaultMainPath is where the commands look for the main config when
	// -config is not given.
	DefaultMainPath = "/etc/sightline/sightline.toml"
	// DefaultCheckpointInterval is sightline's: how often cursors and
	// input checkpoints are saved (the reference writes hindsight.cp
	// every second).
	DefaultCheckpointInterval = time.Second

	// DefaultLogLevel is syslog's "info", the reference's default level.
	DefaultLogLevel = 6

	// MaxHostnameLen is the longest hostname kept; longer ones are
	// truncated, as the reference does.
	MaxHostnameLen = 64
)

// Values of the main config's enumerated keys (sightline's own).
const (
	SyncNone       = "none"       // never fsync the queues
	SyncCheckpoint = "checkpoint" // fsync on every checkpoint tick (default)
	SyncAlways     = "always"     // fsync every append

	QueueFullBlock      = "block"       // inputs wait for readers (default)
	QueueFullDropOldest = "drop_oldest" // delete the oldest finished segment

	LogFormatText = "text" // default
	LogFormatJSON = "json"
)

const (
	minMaxMessageSize = 1024
	// maxMaxMessageSize is the largest message a queue reader accepts
	// (message.HardCap); a larger max_message_size would write records no
	// reader can read back.
	maxMaxMessageSize     = 64 << 20
	maxAnalysisThreads    = 64
	minCheckpointInterval = time.Millisecond
	maxCheckpointInterval = time.Hour
)

// osHostname is os.Hostname, replaceable in tests.
var osHostname = os.Hostname

// Main is the typed main config of the daemon ("sightline.toml", or a
// reference "hindsight.cfg"), every default applied and every value
// checked. Paths are kept as written; see Resolve for what a relative
// path is relative to.
type Main struct {
	File string // path of the config file, as given
	Dir  string // absolute directory of File, which relative paths are resolved against

	// Reference keys (§3.1).
	OutputPath               string // required: queues, cursors, stats, state
	OutputSize               int64  // queue segment roll size in bytes
	SandboxLoadPath          string // "" = dynamic loading off
	SandboxRunPath           string // required: holds input/, analysis/, output/
	SandboxInstallPath       string // fallback for plugin sources, "" = none
	AnalysisThreads          int    // 1..64
	AnalysisUtilizationLimit int    // percent, 0..100, 0 = no check
	AnalysisLuaPath          string // Lua path of analysis plugins, "" = embedded modules only
	IOLuaPath                string // Lua path of input and output plugins, "" = embedded modules only
	MaxMessageSize           int64  // bytes, 1024..64 MiB
	Backpressure             int64  // segments a reader may lag, 0 = off
	BackpressureDiskFree     int64  // free space in units of OutputSize, 0 = off
	Hostname                 string // at most MaxHostnameLen bytes

	// The [<type>_defaults] tables, never nil (empty when not written):
	// checked (only the keys of DefaultsKeys), size strings turned into
	// numbers. See DefaultsFor.
	InputDefaults, AnalysisDefaults, OutputDefaults *Table

	// Sightline's own keys.
	Sync               string        // SyncNone, SyncCheckpoint or SyncAlways
	CheckpointInterval time.Duration // 1ms..1h
	MetricsListen      string        // host:port of the metrics endpoint, "" = off
	LogFormat          string        // LogFormatText or LogFormatJSON
	LogLevel           int           // syslog level 0..7; a command-line level overrides it
	MaxQueueSize       int64         // bytes per queue, 0 = unlimited
	QueueFull          string        // QueueFullBlock or QueueFullDropOldest

	// Ignored holds the keys that were accepted for compatibility but
	// have no effect (analysis_lua_cpath and io_lua_cpath: sightline
	// loads no C modules), with their values and lines, so the daemon
	// can say so in its log.
	Ignored []Entry

	// Table is the config as read, for lines of keys (see ErrorAt).
	Table *Table
}

// mainKeys are the keys of the main config: the reference's (§3.1) in its
// order, then sightline's.
var mainKeys = []string{
	"output_path",
	"output_size",
	"sandbox_load_path",
	"sandbox_run_path",
	"sandbox_install_path",
	"analysis_threads",
	"analysis_utilization_limit",
	"analysis_lua_path",
	"analysis_lua_cpath",
	"io_lua_path",
	"io_lua_cpath",
	"max_message_size",
	"backpressure",
	"backpressure_disk_free",
	"hostname",
	"input_defaults",
	"analysis_defaults",
	"output_defaults",
	"sync",
	"checkpoint_interval",
	"metrics_listen",
	"log_format",
	"log_level",
	"max_queue_size",
	"queue_full",
}

// ignoredKeys are accepted (they must be strings, as in the reference)
// and have no effect.
var ignoredKeys = []string{"analysis_lua_cpath", "io_lua_cpath"}

// MainKeys returns the keys a main config may hold, the reference's first.
// Any other key is an error (ErrUnknownKey).
func MainKeys() []string { return append([]string(nil), mainKeys...) }

// LoadMain reads the main config at path: TOML for a name ending in
// ".toml", Lua syntax (the reference's format, run in a bare state under
// DefaultBudget) for ".cfg". See NewMain for the checks. Errors are
// *Error values naming the file, the line and the key.
func LoadMain(path string) (*Main, error) {
	t, err := ReadFile(path, DefaultBudget)
	if err != nil {
		return nil, err
	}
	return NewMain(t)
}

// NewMain builds the Main from a parsed main config (t.File() names it).
// Unknown keys, at the top and in the [<type>_defaults] tables, are
// errors, as are values of the wrong type or out of range, a missing
// output_path or sandbox_run_path, a max_message_size under 1024 or
// under an output_limit of a defaults table. Files and directories are
// not looked at (see CheckDirs). t is kept in Main.Table, not modified.
func NewMain(t *Table) (*Main, error) {
	if err := checkMainKeys(t); err != nil {
		return nil, err
	}
	m := &Main{
		File:                     t.File(),
		Dir:                      absDir(t.File()),
		OutputSize:               DefaultOutputSize,
		SandboxInstallPath:       DefaultSandboxInstallPath,
		AnalysisThreads:          DefaultAnalysisThreads,
		AnalysisUtilizationLimit: DefaultAnalysisUtilizationLimit,
		MaxMessageSize:           DefaultMaxMessageSize,
		BackpressureDiskFree:     DefaultBackpressureDiskFree,
		Sync:                     SyncCheckpoint,
		CheckpointInterval:       DefaultCheckpointInterval,
		LogFormat:                LogFormatText,
		LogLevel:                 DefaultLogLevel,
		QueueFull:                QueueFullBlock,
		Table:                    t,
	}
	l := &mainLoader{t: t}
	l.path("output_path", &m.OutputPath, true)
	l.size("output_size", &m.OutputSize, 1, maxExact)
	l.str("sandbox_load_path", &m.SandboxLoadPath)
	l.path("sandbox_run_path", &m.SandboxRunPath, true)
	l.str("sandbox_install_path", &m.SandboxInstallPath)
	l.small("analysis_threads", &m.AnalysisThreads, 1, maxAnalysisThreads)
	l.small("analysis_utilization_limit", &m.AnalysisUtilizationLimit, 0, 100)
	l.str("analysis_lua_path", &m.AnalysisLuaPath)
	l.str("io_lua_path", &m.IOLuaPath)
	for _, k := range ignoredKeys {
		var s string
		if l.str(k, &s) {
			m.Ignored = append(m.Ignored, Entry{Key: StringKey(k), Value: s, Line: t.Line(k)})
		}
	}
	l.size("max_message_size", &m.MaxMessageSize, minMaxMessageSize, maxMaxMessageSize)
	l.uint("backpressure", &m.Backpressure)
	l.uint("backpressure_disk_free", &m.BackpressureDiskFree)
	l.hostname(&m.Hostname)
	m.InputDefaults = l.defaults(Input)
	m.AnalysisDefaults = l.defaults(Analysis)
	m.OutputDefaults = l.defaults(Output)
	l.enum("sync", &m.Sync, SyncNone, SyncCheckpoint, SyncAlways)
	l.duration("checkpoint_interval", &m.CheckpointInterval)
	l.listen("metrics_listen", &m.MetricsListen)
	l.enum("log_format", &m.LogFormat, LogFormatText, LogFormatJSON)
	l.logLevel("log_level", &m.LogLevel)
	l.size("max_queue_size", &m.MaxQueueSize, 0, maxExact)
	l.enum("queue_full", &m.QueueFull, QueueFullBlock, QueueFullDropOldest)
	if l.err != nil {
		return nil, l.err
	}

	// Cross-key checks, once every value is known.
	for _, d := range []*Table{m.InputDefaults, m.AnalysisDefaults, m.OutputDefaults} {
		e, ok := d.lookupEntry("output_limit")
		if n, _ := e.Value.(float64); ok && int64(n) > m.MaxMessageSize {
			return nil, d.errAt(e.Key, e.Line, fmt.Errorf("%w: %d is over max_message_size (%d); a message this plugin may inject could not be read back",
				ErrInvalid, int64(n), m.MaxMessageSize))
		}
	}
	if m.MaxQueueSize != 0 && m.MaxQueueSize/2 < m.OutputSize {
		return nil, m.ErrorAt("max_queue_size", fmt.Errorf("%w: %d is under twice output_size (%d): a queue holds the segment being written and at least one finished segment",
			ErrInvalid, m.MaxQueueSize, m.OutputSize))
	}
	return m, nil
}

// DefaultsFor returns the [<typ>_defaults] table, to pass to NewPlugin or
// LoadPlugin, or nil for an invalid type.
func (m *Main) DefaultsFor(typ PluginType) *Table {
	switch typ {
	case Input:
		return m.InputDefaults
	case Analysis:
		return m.AnalysisDefaults
	case Output:
		return m.OutputDefaults
	}
	return nil
}

// Resolve returns path p as the daemon uses it: an absolute path or ""
// unchanged, a relative path joined to Dir, the config file's directory.
// The reference resolves against the working directory instead; the two
// agree when it is started from its config's directory, as usual, and a
// service (whose working directory is "/") gets what its config means.
func (m *Main) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.Dir, p)
}

// ResolveLuaPath resolves each relative template of a Lua path
// ("a/?.lua;/b/?.lua") as Resolve does; empty templates stay empty.
func (m *Main) ResolveLuaPath(luaPath string) string {
	parts := strings.Split(luaPath, ";")
	for i, p := range parts {
		parts[i] = m.Resolve(p)
	}
	return strings.Join(parts, ";")
}

// Resolved returns a copy of m whose path keys (output_path, the sandbox
// paths and the Lua paths) are resolved (see Resolve). The copy shares
// the tables and Ignored with m.
func (m *Main) Resolved() *Main {
	c := *m
	c.OutputPath = m.Resolve(m.OutputPath)
	c.SandboxLoadPath = m.Resolve(m.SandboxLoadPath)
	c.SandboxRunPath = m.Resolve(m.SandboxRunPath)
	c.SandboxInstallPath = m.Resolve(m.SandboxInstallPath)
	c.AnalysisLuaPath = m.ResolveLuaPath(m.AnalysisLuaPath)
	c.IOLuaPath = m.ResolveLuaPath(m.IOLuaPath)
	return &c
}

// CheckDirs checks the directories the reference requires at startup:
// sandbox_run_path and, when set, sandbox_load_path must each hold the
// directories input, analysis and output. output_path is not checked: the
// daemon creates it. The error is an *Error about the key, wrapping
// ErrInvalid and the file system's error.
func (m *Main) CheckDirs() error {
	for _, k := range []struct{ key, dir string }{
		{"sandbox_run_path", m.SandboxRunPath},
		{"sandbox_load_path", m.SandboxLoadPath},
	} {
		if k.dir == "" {
			continue
		}
		base := m.Resolve(k.dir)
		for _, typ := range []PluginType{Input, Analysis, Output} {
			dir := filepath.Join(base, typ.String())
			fi, err := os.Stat(dir)
			if err != nil {
				return m.ErrorAt(k.key, fmt.Errorf("%w: %s: %w (want input, analysis and output directories in it)", ErrInvalid, dir, pathless(err)))
			}
			if !fi.IsDir() {
				return m.ErrorAt(k.key, fmt.Errorf("%w: %s is not a directory", ErrInvalid, dir))
			}
		}
	}
	return nil
}

// ErrorAt returns an *Error about key of the main config, with the line
// the key was written on (0 if it was not), for problems found after
// loading (a directory that cannot be created, a port in use). A dotted
// key ("output_defaults.output_limit") names a key of a nested table.
func (m *Main) ErrorAt(key string, err error) *Error {
	line := 0
	t := m.Table
	parts := strings.Split(key, ".")
	for i, p := range parts {
		if t == nil {
			break
		}
		if i == len(parts)-1 {
			line = t.Line(p)
			break
		}
		v, _ := t.Get(p)
		t, _ = v.(*Table)
	}
	return &Error{File: m.File, Line: line, Key: key, Err: err}
}

// checkMainKeys refuses the first key of t that is not a main config key.
func checkMainKeys(t *Table) error {
	for _, e := range t.entries {
		if !e.Key.isInt && slices.Contains(mainKeys, e.Key.name) {
			continue
		}
		hint := ""
		if s := closest(e.Key.name, mainKeys); s != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", s)
		} else if !t.toml && !e.Key.isInt {
			hint = " (a helper variable in a Lua-syntax config must be local)"
		}
		return t.errAt(e.Key, e.Line, fmt.Errorf("%w%s", ErrUnknownKey, hint))
	}
	return nil
}

// closest returns the candidate within edit distance 2 of s (1 for short
// names), or "".
func closest(s string, candidates []string) string {
	best, bestDist := "", 3
	if len(s) <= 4 {
		bestDist = 2
	}
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt // not a typo of a key; spare the work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// absDir returns the absolute directory of file ("" for no file).
func absDir(file string) string {
	if file == "" {
		return ""
	}
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// mainLoader reads the keys of a main config into Main's fields. The
// first error sticks: later calls do nothing.
type mainLoader struct {
	t   *Table
	err error
}

func (l *mainLoader) fail(key string, err error) {
	if l.err == nil {
		l.err = l.t.errAt(StringKey(key), l.t.Line(key), err)
	}
}

// str reads a string key; it reports whether the key was set.
func (l *mainLoader) str(key string, dst *string) bool {
	if l.err != nil {
		return false
	}
	v, ok, err := l.t.GetString(key)
	if err != nil {
		l.err = err
		return false
	}
	if ok {
		*dst = v
	}
	return ok
}

// path reads a string key that must not be empty, and must be set if
// required.
func (l *mainLoader) path(key string, dst *string, required bool) {
	if !l.str(key, dst) {
		if l.err == nil && required {
			l.err = &Error{File: l.t.file, Key: key, Err: ErrMissing}
		}
		return
	}
	if *dst == "" {
		l.fail(key, fmt.Errorf("%w: empty path", ErrInvalid))
	}
}

func (l *mainLoader) uint(key string, dst *int64) {
	if l.err != nil {
		return
	}
	n, ok, err := l.t.GetUint(key)
	if err != nil {
		l.err = err
	} else if ok {
		*dst = n
	}
}

// small reads an integer key in min..max into an int.
func (l *mainLoader) small(key string, dst *int, min, max int64) {
	if l.err != nil {
		return
	}
	n, ok, err := l.t.GetUint(key)
	switch {
	case err != nil:
		l.err = err
	case !ok:
	case n < min || n > max:
		l.fail(key, fmt.Errorf("%w: %d is out of range (%d..%d)", ErrInvalid, n, min, max))
	default:
		*dst = int(n)
	}
}

// size reads a byte count (a size string in TOML) in min..max.
func (l *mainLoader) size(key string, dst *int64, min, max int64) {
	if l.err != nil {
		return
	}
	n, ok, err := l.t.GetSize(key)
	switch {
	case err != nil:
		l.err = err
	case !ok:
	case n < min:
		l.fail(key, fmt.Errorf("%w: %d is under the minimum, %d", ErrInvalid, n, min))
	case n > max:
		l.fail(key, fmt.Errorf("%w: %d is over the maximum, %d", ErrInvalid, n, max))
	default:
		*dst = n
	}
}

// enum reads a string key that must be one of allowed.
func (l *mainLoader) enum(key string, dst *string, allowed ...string) {
	var s string
	if !l.str(key, &s) {
		return
	}
	if !slices.Contains(allowed, s) {
		l.fail(key, fmt.Errorf("%w: %q (want %s)", ErrInvalid, s, quoteList(allowed)))
		return
	}
	*dst = s
}

// quoteList renders `"a", "b" or "c"`.
func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// hostname reads the hostname key, defaulting to the machine's name, and
// truncates it to MaxHostnameLen bytes (not inside a UTF-8 sequence).
func (l *mainLoader) hostname(dst *string) {
	if l.err != nil {
		return
	}
	h, ok, err := l.t.GetString("hostname")
	switch {
	case err != nil:
		l.err = err
		return
	case !ok:
		h, _ = osHostname() // "" when the system cannot tell
	case h == "":
		l.fail("hostname", fmt.Errorf("%w: empty (leave the key out to use the machine's name)", ErrInvalid))
		return
	}
	if len(h) > MaxHostnameLen {
		n := MaxHostnameLen
		for n > 0 && !utf8.RuneStart(h[n]) {
			n--
		}
		h = h[:n]
	}
	*dst = h
}

// defaults reads the [<typ>_defaults] table, an empty one if absent.
func (l *mainLoader) defaults(typ PluginType) *Table {
	key := typ.String() + "_defaults"
	empty := &Table{file: l.t.file, path: key, toml: l.t.toml}
	if l.err != nil {
		return empty
	}
	d, ok, err := l.t.GetTable(key)
	if err != nil {
		l.err = err
		return empty
	}
	if !ok {
		return empty
	}
	d, err = checkDefaults(typ, d)
	if err != nil {
		l.err = err
		return empty
	}
	return d
}

// duration reads checkpoint_interval-like keys: a number of seconds, or
// in TOML a Go duration string ("500ms", "1s"), within
// minCheckpointInterval..maxCheckpointInterval.
func (l *mainLoader) duration(key string, dst *time.Duration) {
	if l.err != nil {
		return
	}
	e, ok := l.t.lookupEntry(key)
	if !ok {
		return
	}
	var d time.Duration
	switch v := e.Value.(type) {
	case string:
		if !l.t.toml {
			l.fail(key, fmt.Errorf("%w: want a number of seconds, got %s", ErrType, describe(v)))
			return
		}
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			l.fail(key, fmt.Errorf("%w: %q is not a duration (want e.g. \"500ms\", \"1s\" or a number of seconds)", ErrInvalid, v))
			return
		}
	case float64:
		if !(v >= 0 && v <= maxCheckpointInterval.Seconds()) { // also refuses NaN
			l.fail(key, fmt.Errorf("%w: %s seconds is out of range (1ms..1h)", ErrInvalid, formatNumber(v)))
			return
		}
		d = time.Duration(math.Round(v * float64(time.Second)))
	default:
		want := "a number of seconds"
		if l.t.toml {
			want = `a duration like "1s" or "500ms", or a number of seconds`
		}
		l.fail(key, fmt.Errorf("%w: want %s, got %s", ErrType, want, describe(e.Value)))
		return
	}
	if d < minCheckpointInterval || d > maxCheckpointInterval {
		l.fail(key, fmt.Errorf("%w: %v is out of range (1ms..1h)", ErrInvalid, d))
		return
	}
	*dst = d
}

// listen reads a host:port key ("" = off).
func (l *mainLoader) listen(key string, dst *string) {
	var s string
	if !l.str(key, &s) || s == "" {
		return
	}
	if err := checkListen(s); err != nil {
		l.fail(key, err)
		return
	}
	*dst = s
}

// checkListen checks a listen address: host:port with a numeric port
// 1..65535 and a host that is empty (every interface), an IP address or
// a host name.
func checkListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%w: %q is not host:port (want e.g. \"127.0.0.1:9469\" or \":9469\")", ErrInvalid, s)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("%w: %q: port %q is not a number in 1..65535", ErrInvalid, s, port)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil || validHostname(host) {
		return nil
	}
	return fmt.Errorf("%w: %q: %q is neither an IP address nor a host name", ErrInvalid, s, host)
}

// validHostname reports whether s is a DNS name: dot-separated labels of
// letters, digits and inner hyphens, each 1..63 bytes, 253 in all.
func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
				return false
			}
		}
	}
	return true
}

// logLevels maps the syslog level names (and common spellings) to their
// numbers.
var logLevels = map[string]int{
	"emerg": 0, "emergency": 0,
	"alert": 1,
	"crit":  2, "critical": 2,
	"err": 3, "error": 3,
	"warning": 4, "warn": 4,
	"notice": 5,
	"info":   6,
	"debug":  7,
}

// ParseLogLevel parses a syslog level as log_level takes it, for a
// command line that overrides it: a number 0..7 or a name ("info",
// "warn", "debug", ...; any case).
func ParseLogLevel(s string) (int, error) {
	if n, ok := logLevels[strings.ToLower(s)]; ok {
		return n, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return n, nil
	}
	return 0, fmt.Errorf("%w: log level %q (want 0..7 or emerg, alert, crit, err, warning, notice, info, debug)", ErrInvalid, s)
}

// logLevel reads a syslog level: a number 0..7 or its name ("info").
func (l *mainLoader) logLevel(key string, dst *int) {
	if l.err != nil {
		return
	}
	e, ok := l.t.lookupEntry(key)
	if !ok {
		return
	}
	if s, isStr := e.Value.(string); isStr {
		n, ok := logLevels[strings.ToLower(s)]
		if !ok {
			l.fail(key, fmt.Errorf("%w: %q (want 0..7 or emerg, alert, crit, err, warning, notice, info, debug)", ErrInvalid, s))
			return
		}
		*dst = n
		return
	}
	if _, isNum := e.Value.(float64); !isNum {
		l.fail(key, fmt.Errorf("%w: want a syslog level (0..7 or a name like \"info\"), got %s", ErrType, describe(e.Value)))
		return
	}
	l.small(key, dst, 0, 7)
}
