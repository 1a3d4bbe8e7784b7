package config

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
)

// Value is one config value, as read_config hands it to a plugin: a
// string, a float64 (a Lua number), a bool or a *Table. No other type is
// ever stored in a Table.
type Value = any

// maxExact is 2^53, the largest magnitude up to which every integer is a
// float64. Integers beyond it are refused, not rounded.
const maxExact = 1 << 53

// Key is a table key: a string, or an integer (the positions 1..n of a Lua
// sequence or of a TOML array). The zero Key is the empty string key.
type Key struct {
	name  string
	index int64
	isInt bool
}

// StringKey returns the key named s.
func StringKey(s string) Key { return Key{name: s} }

// IntKey returns the integer key i.
func IntKey(i int64) Key { return Key{index: i, isInt: true} }

// Name returns the string key, or "" for an integer key.
func (k Key) Name() string { return k.name }

// Index returns the integer key and true, or 0 and false for a string key.
func (k Key) Index() (int64, bool) { return k.index, k.isInt }

// String returns the key as a string key is written, or "[i]" for an
// integer key.
func (k Key) String() string {
	if k.isInt {
		return "[" + strconv.FormatInt(k.index, 10) + "]"
	}
	return k.name
}

// sortEntries sorts entries with distinct keys into table order.
func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int { return compareKeys(a.Key, b.Key) })
}

// compareKeys orders integer keys first, ascending, then string keys in
// byte order.
func compareKeys(a, b Key) int {
	switch {
	case a.isInt && b.isInt:
		return cmp.Compare(a.index, b.index)
	case a.isInt:
		return -1
	case b.isInt:
		return 1
	}
	return cmp.Compare(a.name, b.name)
}

// Entry is one key of a Table with its value and the 1-based source line
// the key was written on (0 when unknown: set by the host, taken from a
// default, or not found by the line scan).
type Entry struct {
	Key   Key
	Value Value
	Line  int
}

// Table is a config table: a plugin config, the main config or a table
// nested in one. Its entries are kept sorted (integer keys ascending, then
// string keys in byte order), so iteration is deterministic and does not
// depend on the format the table was read from. A Table remembers the file
// it came from and its own key path in it, so the typed getters can report
// errors with file, line and key.
//
// A Table is not safe for concurrent modification; concurrent reads are
// fine.
type Table struct {
	file    string
	path    string // key path of this table in its file, "" at the top
	toml    bool   // read from TOML: size strings are accepted by GetSize
	entries []Entry
}

// NewTable returns an empty table; file names the config it belongs to in
// error messages (it may be empty).
func NewTable(file string) *Table { return &Table{file: file} }

// File returns the name of the config file the table was read from.
func (t *Table) File() string { return t.file }

// Path returns the key path of the table inside its file ("" for the top
// level table, "analysis_defaults" for a nested one).
func (t *Table) Path() string { return t.path }

// Len returns the number of entries.
func (t *Table) Len() int { return len(t.entries) }

// Entries returns a copy of the entries in key order.
func (t *Table) Entries() []Entry { return slices.Clone(t.entries) }

// All iterates over the entries in key order.
func (t *Table) All() iter.Seq2[Key, Value] {
	return func(yield func(Key, Value) bool) {
		for _, e := range t.entries {
			if !yield(e.Key, e.Value) {
				return
			}
		}
	}
}

func (t *Table) find(k Key) (int, bool) {
	return slices.BinarySearchFunc(t.entries, k, func(e Entry, k Key) int { return compareKeys(e.Key, k) })
}

// Lookup returns the value of key k.
func (t *Table) Lookup(k Key) (Value, bool) {
	if i, ok := t.find(k); ok {
		return t.entries[i].Value, true
	}
	return nil, false
}

// Get returns the value of the string key.
func (t *Table) Get(key string) (Value, bool) { return t.Lookup(StringKey(key)) }

// Line returns the source line of the string key, 0 if unknown or absent.
func (t *Table) Line(key string) int {
	if i, ok := t.find(StringKey(key)); ok {
		return t.entries[i].Line
	}
	return 0
}

// Set sets the string key to v, with no source line. It is how the host
// adds its own keys (Logger, Hostname, Pid, ...). v must be a string, a
// bool, a float64, an integer of a Go integer type (stored as float64), a
// float32 or a non-nil *Table; anything else panics.
func (t *Table) Set(key string, v Value) { t.Put(Entry{Key: StringKey(key), Value: v}) }

// Put sets e.Key to e.Value, replacing any entry with the same key. The
// value is normalised and checked as in Set.
func (t *Table) Put(e Entry) {
	e.Value = normalize(e.Value)
	i, ok := t.find(e.Key)
	if ok {
		t.entries[i] = e
		return
	}
	t.entries = slices.Insert(t.entries, i, e)
}

// Delete removes the string key, if present.
func (t *Table) Delete(key string) {
	if i, ok := t.find(StringKey(key)); ok {
		t.entries = slices.Delete(t.entries, i, i+1)
	}
}

// Clone returns a deep copy of t (nested tables are copied too).
func (t *Table) Clone() *Table {
	c := &Table{file: t.file, path: t.path, toml: t.toml, entries: slices.Clone(t.entries)}
	for i, e := range c.entries {
		if sub, ok := e.Value.(*Table); ok {
			c.entries[i].Value = sub.Clone()
		}
	}
	return c
}

// Equal reports whether a and b are the same value: equal strings, bools
// and numbers (by ==, so NaN differs from itself), or tables with the same
// keys and Equal values. Source lines and file names are ignored.
func Equal(a, b Value) bool {
	switch a := a.(type) {
	case *Table:
		b, ok := b.(*Table)
		if !ok || len(a.entries) != len(b.entries) {
			return false
		}
		for i, e := range a.entries {
			f := b.entries[i]
			if e.Key != f.Key || !Equal(e.Value, f.Value) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

func normalize(v Value) Value {
	switch v := v.(type) {
	case string, bool, float64:
		return v
	case *Table:
		if v == nil {
			panic("config: nil *Table value")
		}
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	case int8:
		return float64(v)
	case int16:
		return float64(v)
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	case uint:
		return float64(v)
	case uint8:
		return float64(v)
	case uint16:
		return float64(v)
	case uint32:
		return float64(v)
	case uint64:
		return float64(v)
	}
	panic(fmt.Sprintf("config: unsupported value type %T", v))
}

// keyPath returns the dotted path of key k of t, for error messages.
func (t *Table) keyPath(k Key) string {
	if k.isInt {
		return t.path + k.String()
	}
	if t.path == "" {
		return k.name
	}
	return t.path + "." + k.name
}

// describe renders a value for "got ..." in error messages, with Lua's type
// names.
func describe(v Value) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			return "string " + strconv.Quote(v[:40]) + "..."
		}
		return "string " + strconv.Quote(v)
	case float64:
		return "number " + formatNumber(v)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case *Table:
		return "table"
	}
	return fmt.Sprintf("%T", v)
}

// formatNumber prints integers without an exponent and other numbers in
// the shortest form.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// errAt builds an *Error about key k of t.
func (t *Table) errAt(k Key, line int, err error) *Error {
	return &Error{File: t.file, Line: line, Key: t.keyPath(k), Err: err}
}

// lookupEntry returns the entry of the string key.
func (t *Table) lookupEntry(key string) (Entry, bool) {
	if i, ok := t.find(StringKey(key)); ok {
		return t.entries[i], true
	}
	return Entry{}, false
}

// GetString returns the string value of key. found is false (and err
// nil) when the key is absent; a value of another type is an *Error
// wrapping ErrType.
func (t *Table) GetString(key string) (v string, found bool, err error) {
	e, ok := t.lookupEntry(key)
	if !ok {
		return "", false, nil
	}
	s, ok := e.Value.(string)
	if !ok {
		return "", true, t.errAt(e.Key, e.Line, fmt.Errorf("%w: want a string, got %s", ErrType, describe(e.Value)))
	}
	return s, true, nil
}

// GetBool returns the boolean value of key, as GetString does for
// strings.
func (t *Table) GetBool(key string) (v bool, found bool, err error) {
	e, ok := t.lookupEntry(key)
	if !ok {
		return false, false, nil
	}
	b, ok := e.Value.(bool)
	if !ok {
		return false, true, t.errAt(e.Key, e.Line, fmt.Errorf("%w: want a boolean, got %s", ErrType, describe(e.Value)))
	}
	return b, true, nil
}

// GetTable returns the table value of key, as GetString does for strings.
func (t *Table) GetTable(key string) (v *Table, found bool, err error) {
	e, ok := t.lookupEntry(key)
	if !ok {
		return nil, false, nil
	}
	sub, ok := e.Value.(*Table)
	if !ok {
		return nil, true, t.errAt(e.Key, e.Line, fmt.Errorf("%w: want a table, got %s", ErrType, describe(e.Value)))
	}
	return sub, true, nil
}

// GetUint returns the value of key as a non-negative integer (at most
// 2^53). Negative, fractional and non-number values are an *Error
// wrapping ErrType.
func (t *Table) GetUint(key string) (v int64, found bool, err error) {
	e, ok := t.lookupEntry(key)
	if !ok {
		return 0, false, nil
	}
	n, ok := asUint(e.Value)
	if !ok {
		return 0, true, t.errAt(e.Key, e.Line, fmt.Errorf("%w: want a non-negative integer, got %s", ErrType, describe(e.Value)))
	}
	return n, true, nil
}

// GetSize returns the value of key as a byte count: a non-negative integer
// or, in a table read from TOML, a size string such as "64KiB" (see
// ParseSize). Lua-syntax configs take numbers only, as in the reference.
func (t *Table) GetSize(key string) (v int64, found bool, err error) {
	e, ok := t.lookupEntry(key)
	if !ok {
		return 0, false, nil
	}
	if s, ok := e.Value.(string); ok && t.toml {
		n, err := ParseSize(s)
		if err != nil {
			return 0, true, t.errAt(e.Key, e.Line, err)
		}
		return n, true, nil
	}
	if n, ok := asUint(e.Value); ok {
		return n, true, nil
	}
	want := "a non-negative integer"
	if t.toml {
		want = `a non-negative integer or a size string like "64KiB"`
	}
	return 0, true, t.errAt(e.Key, e.Line, fmt.Errorf("%w: want %s, got %s", ErrType, want, describe(e.Value)))
}

func asUint(v Value) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 || f > maxExact || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}
