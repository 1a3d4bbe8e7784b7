package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PluginType is the kind of a plugin: input, analysis or output. The zero
// value is not a valid type.
type PluginType int

// The plugin types.
const (
	Input PluginType = iota + 1
	Analysis
	Output
)

// String returns "input", "analysis" or "output".
func (t PluginType) String() string {
	switch t {
	case Input:
		return "input"
	case Analysis:
		return "analysis"
	case Output:
		return "output"
	}
	return fmt.Sprintf("PluginType(%d)", int(t))
}

// ParsePluginType parses "input", "analysis" or "output".
func ParsePluginType(s string) (PluginType, error) {
	for _, t := range []PluginType{Input, Analysis, Output} {
		if s == t.String() {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w: plugin type %q (want input, analysis or output)", ErrInvalid, s)
}

func (t PluginType) valid() bool { return t >= Input && t <= Output }

func (t PluginType) bit() uint8 { return 1 << uint(t) }

// Plugin is the typed view of a plugin config that the daemon and the
// sandbox use, with every default applied.
type Plugin struct {
	Type PluginType
	Name string // the config's file name without extension
	File string // path of the config file

	Filename            string // the Lua source, e.g. "counter.lua"
	OutputLimit         int64  // bytes
	MemoryLimit         int64  // bytes, 0 = unlimited
	InstructionLimit    int64  // per call into the sandbox, 0 = unlimited
	TickerInterval      int64  // seconds, 0 = none (input: run once)
	PreserveData        bool
	RestrictedHeaders   bool
	ShutdownOnTerminate bool

	// MessageMatcher is required for analysis and output plugins. For
	// inputs it is not a typed key: a value there is left in Table only.
	MessageMatcher string

	// Analysis only.
	Thread                    int64 // valid if HasThread
	HasThread                 bool
	ProcessMessageInjectLimit int64
	TimerEventInjectLimit     int64

	// Output only.
	AsyncBufferSize              int64
	RemoveCheckpointsOnTerminate bool
	ReadQueue                    string // "both", "input" or "analysis"

	// Table is what read_config sees: the user's keys untouched, and the
	// typed keys of this plugin type with their final values (defaults
	// applied, size strings turned into numbers). The host adds its
	// reserved keys (Logger, Hostname, Pid, path, ...) with Table.Set.
	Table *Table
}

type keyKind uint8

const (
	kindString keyKind = iota
	kindBool
	kindUint // non-negative integer
	kindSize // non-negative integer, or a size string in TOML
)

// keySpec describes one typed key of the plugin config schema.
type keySpec struct {
	name     string
	kind     keyKind
	types    uint8 // PluginType bits the key is typed for
	defaults bool  // allowed in [<type>_defaults]
	check    func(string) error
}

const allTypes = 1<<Input | 1<<Analysis | 1<<Output

// pluginKeys is the schema of reference §3.2, in the order the reference
// lists it.
var pluginKeys = []keySpec{
	{name: "filename", kind: kindString, types: allTypes, check: checkFilename},
	{name: "output_limit", kind: kindSize, types: allTypes, defaults: true},
	{name: "memory_limit", kind: kindSize, types: allTypes, defaults: true},
	{name: "instruction_limit", kind: kindUint, types: allTypes, defaults: true},
	{name: "ticker_interval", kind: kindUint, types: allTypes, defaults: true},
	{name: "preserve_data", kind: kindBool, types: allTypes, defaults: true},
	{name: "restricted_headers", kind: kindBool, types: allTypes, defaults: true},
	{name: "shutdown_on_terminate", kind: kindBool, types: allTypes, defaults: true},
	{name: "message_matcher", kind: kindString, types: 1<<Analysis | 1<<Output, check: checkMatcher},
	{name: "thread", kind: kindUint, types: 1 << Analysis},
	{name: "process_message_inject_limit", kind: kindUint, types: 1 << Analysis, defaults: true},
	{name: "timer_event_inject_limit", kind: kindUint, types: 1 << Analysis, defaults: true},
	{name: "async_buffer_size", kind: kindUint, types: 1 << Output},
	{name: "remove_checkpoints_on_terminate", kind: kindBool, types: 1 << Output, defaults: true},
	{name: "read_queue", kind: kindString, types: 1 << Output, defaults: true, check: checkReadQueue},
}

func checkFilename(s string) error {
	switch {
	case strings.ContainsAny(s, `/\`):
		return fmt.Errorf("%w: filename %q must not contain '/' or '\\'", ErrInvalid, s)
	case len(s) <= len(".lua") || !strings.HasSuffix(s, ".lua"):
		return fmt.Errorf("%w: filename %q must be the name of a .lua file", ErrInvalid, s)
	}
	return nil
}

func checkMatcher(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: message_matcher is empty", ErrInvalid)
	}
	return nil
}

func checkReadQueue(s string) error {
	switch s {
	case "both", "input", "analysis":
		return nil
	}
	return fmt.Errorf("%w: read_queue %q (want \"both\", \"input\" or \"analysis\")", ErrInvalid, s)
}

// builtinDefault returns the reference's default of a key that has one.
func builtinDefault(typ PluginType, key string) (Value, bool) {
	switch key {
	case "output_limit":
		return float64(65536), true
	case "memory_limit":
		return float64(8388608), true
	case "instruction_limit":
		return float64(1000000), true
	case "ticker_interval", "process_message_inject_limit", "async_buffer_size":
		return float64(0), true
	case "timer_event_inject_limit":
		return float64(10), true
	case "preserve_data", "shutdown_on_terminate", "remove_checkpoints_on_terminate":
		return false, true
	case "restricted_headers":
		return typ == Analysis, true
	case "read_queue":
		return "both", true
	}
	return nil, false
}

// PluginKeys returns the typed keys of a plugin config of type typ, in the
// reference's order. Other keys are the user's and pass through.
func PluginKeys(typ PluginType) []string {
	var keys []string
	for _, s := range pluginKeys {
		if s.types&typ.bit() != 0 {
			keys = append(keys, s.name)
		}
	}
	return keys
}

// DefaultsKeys returns the keys allowed in the [<typ>_defaults] table of
// the main config. Any other key there is an error (ErrUnknownKey), as in
// the reference.
func DefaultsKeys(typ PluginType) []string {
	var keys []string
	for _, s := range pluginKeys {
		if s.defaults && s.types&typ.bit() != 0 {
			keys = append(keys, s.name)
		}
	}
	return keys
}

// checkDefaults checks d, the [<typ>_defaults] table of the main config:
// only the keys of DefaultsKeys(typ), each of its type. It returns a copy
// of d whose keys hold their final values (size strings turned into
// numbers), with their lines.
func checkDefaults(typ PluginType, d *Table) (*Table, error) {
	allowed := DefaultsKeys(typ)
	for _, e := range d.entries {
		if e.Key.isInt || !slices.Contains(allowed, e.Key.name) {
			return nil, d.errAt(e.Key, e.Line, fmt.Errorf("%w (allowed: %s)", ErrUnknownKey, strings.Join(allowed, ", ")))
		}
	}
	out := d.Clone()
	for i := range pluginKeys {
		s := &pluginKeys[i]
		if !s.defaults || s.types&typ.bit() == 0 {
			continue
		}
		v, ok, err := s.get(d)
		if err != nil {
			return nil, err
		}
		if ok {
			out.Put(Entry{Key: StringKey(s.name), Value: v, Line: d.Line(s.name)})
		}
	}
	return out, nil
}

// get reads and checks key spec from t. It returns the value in its final
// form (size strings turned into numbers).
func (s *keySpec) get(t *Table) (Value, bool, error) {
	switch s.kind {
	case kindBool:
		return t.GetBool(s.name)
	case kindUint:
		n, ok, err := t.GetUint(s.name)
		return float64(n), ok, err
	case kindSize:
		n, ok, err := t.GetSize(s.name)
		return float64(n), ok, err
	}
	v, ok, err := t.GetString(s.name)
	if err == nil && ok && s.check != nil {
		if err := s.check(v); err != nil {
			return nil, true, t.errAt(StringKey(s.name), t.Line(s.name), err)
		}
	}
	return v, ok, err
}

// ReadFile reads a config file, Lua syntax for a name ending in ".cfg",
// TOML for ".toml", anything else being ErrFormat. budget is the
// instruction budget of a Lua-syntax file (DefaultBudget if <= 0).
func ReadFile(path string, budget int) (*Table, error) {
	ext := filepath.Ext(path)
	if ext != ".cfg" && ext != ".toml" {
		return nil, &Error{File: path, Err: fmt.Errorf("%w: want a .cfg or .toml file", ErrFormat)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: pathless(err)}
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: path, Err: pathless(err)}
	}
	if ext == ".toml" {
		return ParseTOML(path, src)
	}
	return ParseLua(path, src, budget)
}

// LoadPlugin reads the plugin config at path ("<dir>/<name>.cfg" or
// "<dir>/<name>.toml") and builds the Plugin of type typ from it (see
// NewPlugin). defaults is the [<typ>_defaults] table of the main config,
// or nil. A plugin with both "<name>.cfg" and "<name>.toml" is an error
// (ErrBothFormats) naming both files.
func LoadPlugin(path string, typ PluginType, defaults *Table) (*Plugin, error) {
	if !typ.valid() {
		return nil, &Error{File: path, Err: fmt.Errorf("%w: plugin type %v", ErrInvalid, typ)}
	}
	ext := filepath.Ext(path)
	other := ""
	switch ext {
	case ".cfg":
		other = strings.TrimSuffix(path, ext) + ".toml"
	case ".toml":
		other = strings.TrimSuffix(path, ext) + ".cfg"
	}
	if other != "" {
		if _, err := os.Lstat(other); err == nil {
			return nil, &Error{File: path, Err: fmt.Errorf("%w: both %s and %s exist; remove one", ErrBothFormats, path, other)}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Err: pathless(err)}
		}
	}
	t, err := ReadFile(path, DefaultBudget)
	if err != nil {
		return nil, err
	}
	return NewPlugin(typ, t, defaults)
}

// NewPlugin builds the Plugin of type typ from its config table cfg (as
// ParseLua or ParseTOML return it; cfg.File() names the plugin) and the
// [<typ>_defaults] table of the main config (nil for none). Each typed key
// takes the value of cfg, else of defaults, else the reference's default.
// Typed keys are checked in both tables; keys typed for another plugin
// type and the user's own keys pass through unchecked. cfg is not
// modified.
func NewPlugin(typ PluginType, cfg, defaults *Table) (*Plugin, error) {
	if !typ.valid() {
		return nil, &Error{File: cfg.File(), Err: fmt.Errorf("%w: plugin type %v", ErrInvalid, typ)}
	}
	if defaults != nil {
		var err error
		if defaults, err = checkDefaults(typ, defaults); err != nil {
			return nil, err
		}
	}

	file := cfg.File()
	p := &Plugin{
		Type:  typ,
		Name:  strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)),
		File:  file,
		Table: cfg.Clone(),
	}
	for i := range pluginKeys {
		s := &pluginKeys[i]
		if s.types&typ.bit() == 0 {
			continue
		}
		v, ok, err := s.get(cfg)
		if err != nil {
			return nil, err
		}
		line := cfg.Line(s.name)
		var dv Value
		var dok bool
		if defaults != nil && s.defaults {
			if dv, dok, err = s.get(defaults); err != nil {
				return nil, err
			}
		}
		switch {
		case ok:
		case dok:
			v, line = dv, 0
		default:
			if v, ok = builtinDefault(typ, s.name); !ok {
				if s.name == "thread" {
					continue // unset: the host picks a thread
				}
				return nil, &Error{File: file, Key: s.name, Err: fmt.Errorf("%w (required for %s plugins)", ErrMissing, typ)}
			}
			line = 0
		}
		p.Table.Put(Entry{Key: StringKey(s.name), Value: v, Line: line})
		p.set(s.name, v)
	}
	return p, nil
}

// pathless drops the path from an *fs.PathError, which *Error names
// already; errors.Is(err, fs.ErrNotExist) still holds.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// set stores the final value of a typed key in its field.
func (p *Plugin) set(key string, v Value) {
	n, _ := v.(float64)
	b, _ := v.(bool)
	s, _ := v.(string)
	switch key {
	case "filename":
		p.Filename = s
	case "output_limit":
		p.OutputLimit = int64(n)
	case "memory_limit":
		p.MemoryLimit = int64(n)
	case "instruction_limit":
		p.InstructionLimit = int64(n)
	case "ticker_interval":
		p.TickerInterval = int64(n)
	case "preserve_data":
		p.PreserveData = b
	case "restricted_headers":
		p.RestrictedHeaders = b
	case "shutdown_on_terminate":
		p.ShutdownOnTerminate = b
	case "message_matcher":
		p.MessageMatcher = s
	case "thread":
		p.Thread, p.HasThread = int64(n), true
	case "process_message_inject_limit":
		p.ProcessMessageInjectLimit = int64(n)
	case "timer_event_inject_limit":
		p.TimerEventInjectLimit = int64(n)
	case "async_buffer_size":
		p.AsyncBufferSize = int64(n)
	case "remove_checkpoints_on_terminate":
		p.RemoveCheckpointsOnTerminate = b
	case "read_queue":
		p.ReadQueue = s
	}
}
