package luatable

import (
	"iter"
	"maps"
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// ltable has the layout of lua.LTable in gopher-lua v1.1.2.
type ltable struct {
	Metatable lua.LValue
	array     []lua.LValue
	dict      map[lua.LValue]lua.LValue
	strdict   map[string]lua.LValue
	keys      []lua.LValue
	k2i       map[lua.LValue]int
}

// fast is true when lua.LTable has ltable's layout.
var fast = sameLayout(reflect.TypeFor[lua.LTable](), reflect.TypeFor[ltable]())

func sameLayout(a, b reflect.Type) bool {
	if a.Size() != b.Size() || a.NumField() != b.NumField() {
		return false
	}
	for i := range a.NumField() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Type != fb.Type || fa.Offset != fb.Offset {
			return false
		}
	}
	return true
}

// Fast reports whether Shape.Table builds tables directly (the layout of
// gopher-lua's LTable is the expected one) rather than through LTable's
// methods.
func Fast() bool { return fast }

// Shape is a list of string keys for building many tables with them.
type Shape struct {
	names []string
	keys  []lua.LValue // names as Lua values, boxed once
	dup   bool         // a name repeats: build through the public API
	// all is the template of a table with every key, last that of the
	// last table built with some keys missing (shapes of up to 64 keys).
	all, last *template
}

// template is what the tables of a shape with the same keys present have
// in common: the key slice, which they share (its length is its
// capacity, and gopher-lua only ever appends to it, which copies), and
// the map from key to index, which each table gets a clone of (cloning a
// small map copies its memory, where inserting hashes each key again).
type template struct {
	mask uint64
	keys []lua.LValue
	k2i  map[lua.LValue]int
}

// NewShape returns the shape of tables with the string keys names, in
// that order.
func NewShape(names ...string) *Shape {
	s := &Shape{names: append([]string(nil), names...), keys: make([]lua.LValue, len(names))}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		s.keys[i] = lua.LString(n)
		if seen[n] {
			s.dup = true
		}
		seen[n] = true
	}
	return s
}

// Names returns the shape's keys.
func (s *Shape) Names() []string { return s.names }

// Table returns a new table holding names[i] = vals[i] for every i where
// vals[i] is neither nil nor lua.LNil, set in the order of i: the table
// that L.CreateTable(0, n) followed by RawSetString for each of them in
// turn builds (see the package doc). vals must be as long as names.
func (s *Shape) Table(L *lua.LState, vals []lua.LValue) *lua.LTable {
	if len(vals) != len(s.names) {
		panic("luatable: Shape.Table: wrong number of values")
	}
	n := 0
	var mask uint64
	for i, v := range vals {
		if v != nil && v != lua.LNil {
			n++
			if i < 64 {
				mask |= 1 << i
			}
		}
	}
	if !fast || s.dup || (n < len(vals) && len(vals) > 64) {
		return s.slow(L, vals, n)
	}
	tb := &lua.LTable{Metatable: lua.LNil}
	if n == 0 {
		return tb
	}
	tp := s.template(vals, n, mask)
	m := (*ltable)(unsafe.Pointer(tb))
	m.keys = tp.keys
	m.k2i = maps.Clone(tp.k2i)
	m.strdict = make(map[string]lua.LValue, n)
	for i, v := range vals {
		if v != nil && v != lua.LNil {
			m.strdict[s.names[i]] = v
		}
	}
	return tb
}

// template returns the template of tables holding the n keys of vals
// that are set (mask: which, for shapes of up to 64 keys).
func (s *Shape) template(vals []lua.LValue, n int, mask uint64) *template {
	if n == len(s.names) && s.all != nil {
		return s.all
	}
	if n < len(s.names) && s.last != nil && s.last.mask == mask {
		return s.last
	}
	tp := &template{mask: mask, keys: make([]lua.LValue, 0, n), k2i: make(map[lua.LValue]int, n)}
	for i, v := range vals {
		if v != nil && v != lua.LNil {
			tp.k2i[s.keys[i]] = len(tp.keys)
			tp.keys = append(tp.keys, s.keys[i])
		}
	}
	if n == len(s.names) {
		s.all = tp
	} else {
		s.last = tp
	}
	return tp
}

// slow builds the table through gopher-lua's API.
func (s *Shape) slow(L *lua.LState, vals []lua.LValue, n int) *lua.LTable {
	t := L.CreateTable(0, n)
	for i, v := range vals {
		if v != nil && v != lua.LNil {
			t.RawSetString(s.names[i], v)
		}
	}
	return t
}

// All returns an iterator over the pairs of t in the order next (pairs)
// visits them: the array part, then the other keys in the order they were
// first set. It skips the index lookup Next makes for each key. t must
// not get new keys during the iteration (changing or clearing the values
// of existing keys is fine).
func All(t *lua.LTable) iter.Seq2[lua.LValue, lua.LValue] {
	return func(yield func(k, v lua.LValue) bool) {
		if !fast {
			for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
				if !yield(k, v) {
					return
				}
			}
			return
		}
		m := (*ltable)(unsafe.Pointer(t))
		for i, v := range m.array {
			if v != nil && v != lua.LNil {
				if !yield(lua.LNumber(i+1), v) {
					return
				}
			}
		}
		for _, k := range m.keys {
			var v lua.LValue
			if s, ok := k.(lua.LString); ok {
				v = m.strdict[string(s)]
			} else {
				v = m.dict[k]
			}
			if v != nil && v != lua.LNil {
				if !yield(k, v) {
					return
				}
			}
		}
	}
}
