package preserve

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// VersionGlobal is the global a plugin sets to version its saved state.
// Its value is written into the guard line of the file, never as data.
const VersionGlobal = "_PRESERVATION_VERSION"

// Segment markers (see doc.go, "Segments"). segmentCost is the estimated
// number of distinct constants after which a new segment starts: gopher-lua
// looks every constant up by a linear scan of its function's constants, so
// one function holding all of a large state compiles in quadratic time (and
// both Lua 5.1 and gopher-lua refuse more than 262143 constants in one
// function).
const (
	segmentOpen  = "do local segment = function()\n"
	segmentClose = "end segment() end\n"
	segmentCost  = 1024
)

// Serializer is implemented by the Value of a userdata that can be
// preserved (the counterpart of the reference's serialize hooks on
// circular_buffer, bloom_filter and the like). Userdata whose Value does
// not implement it are skipped.
type Serializer interface {
	// SerializeLua writes Lua statements that, run after the plugin's
	// file, leave at path an equivalent value. path is a Lua expression
	// naming where the value lives, such as _G["stats"]["cb"]. The code
	// may find a value already there, created by the plugin's
	// initialisation; the reference's circular_buffer writes
	//
	//	if _G["cb"] == nil then _G["cb"] = circular_buffer.new(3, 3, 1) end
	//	_G["cb"]:fromstring("...")
	//
	// Statements must be complete; a missing final newline is added. The
	// code must not use return, break or goto outside its own blocks, and
	// should keep any local inside a do ... end block (a top-level local
	// stops Restore from splitting the file into segments).
	SerializeLua(path string, w io.Writer) error
}

// encoder writes the state file for one global table (see doc.go). Writes
// go to a bufio.Writer, whose first error is sticky and reported by the
// final Flush, so the individual writes are not checked.
type encoder struct {
	w      *bufio.Writer
	global *lua.LTable
	skip   func(name string) bool

	refs map[lua.LValue]string // table or userdata -> path of its first occurrence
	data map[*lua.LTable]bool  // hasData results; true while being computed
	path []byte                // Lua expression of the value being written
	line []byte                // scratch for one statement
	ents [][]entry             // entry slices, reused per recursion depth
	sw   stmtWriter            // handed to Serializers
	cost int                   // estimated constants in the current segment
	wrap bool                  // the current segment is wrapped in a function
}

// keyKind orders table keys: numbers, then strings, then booleans.
type keyKind uint8

const (
	keyNumber keyKind = iota
	keyString
	keyBool
)

type entry struct {
	kind keyKind
	key  lua.LValue
	val  lua.LValue
}

// encode writes the state file for the globals g to w. skip names the
// top-level globals to leave out.
func encode(w io.Writer, g *lua.LTable, skip func(string) bool) error {
	e := &encoder{
		w:      bufio.NewWriterSize(w, 64<<10),
		global: g,
		skip:   skip,
		refs:   make(map[lua.LValue]string),
		data:   make(map[*lua.LTable]bool),
		path:   append(make([]byte, 0, 256), "_G"...),
	}
	e.sw.e = e
	e.writeGuard(g.RawGetString(VersionGlobal))
	if err := e.writeEntries(g, 0); err != nil {
		return err
	}
	if e.wrap {
		e.w.WriteString(segmentClose)
	}
	return e.w.Flush()
}

// writeGuard writes the first line, which makes the file return before
// assigning anything when the plugin's current version differs. A version
// that is neither a number nor a string is written as 0, the reference's
// default.
func (e *encoder) writeGuard(v lua.LValue) {
	b := append(e.line[:0], "if "+VersionGlobal+" and "+VersionGlobal+" ~= "...)
	switch v := v.(type) {
	case lua.LNumber:
		b = appendKeyNumber(b, float64(v))
	case lua.LString:
		b = appendString(b, string(v))
	default:
		b = append(b, '0')
	}
	b = append(b, " then return end\n"...)
	e.w.Write(b)
	e.line = b
}

// writeEntries writes the kept entries of t, sorted, below e.path. depth
// is the number of keys in e.path; depth 0 is the global table, whose
// entries are also filtered by name.
func (e *encoder) writeEntries(t *lua.LTable, depth int) error {
	ents := e.sortedEntries(t, depth)
	for _, en := range ents {
		n := len(e.path)
		e.path = appendKey(e.path, en)
		err := e.writeValue(en.val, depth+1)
		e.path = e.path[:n]
		if err != nil {
			return err
		}
	}
	e.ents[depth] = ents[:0]
	return nil
}

// sortedEntries returns the entries of t that are written, in file order.
// The slice is owned by the encoder and reused for the next table at the
// same depth.
func (e *encoder) sortedEntries(t *lua.LTable, depth int) []entry {
	for len(e.ents) <= depth {
		e.ents = append(e.ents, nil)
	}
	ents := e.ents[depth][:0]
	t.ForEach(func(k, v lua.LValue) {
		kind, ok := keyKindOf(k)
		if !ok {
			return
		}
		if depth == 0 && kind == keyString {
			if name := string(k.(lua.LString)); name == VersionGlobal || e.skip(name) {
				return
			}
		}
		if !e.keepValue(v) {
			return
		}
		ents = append(ents, entry{kind, k, v})
	})
	slices.SortFunc(ents, compareEntries)
	e.ents[depth] = ents
	return ents
}

// keyKindOf reports whether k can be written as a key, and its order.
func keyKindOf(k lua.LValue) (keyKind, bool) {
	switch k.(type) {
	case lua.LNumber:
		return keyNumber, true
	case lua.LString:
		return keyString, true
	case lua.LBool:
		return keyBool, true
	}
	return 0, false
}

func compareEntries(a, b entry) int {
	if c := cmp.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	switch a.kind {
	case keyNumber:
		return cmp.Compare(a.key.(lua.LNumber), b.key.(lua.LNumber))
	case keyString:
		return strings.Compare(string(a.key.(lua.LString)), string(b.key.(lua.LString)))
	default: // false before true
		x, y := a.key.(lua.LBool), b.key.(lua.LBool)
		switch {
		case x == y:
			return 0
		case x == lua.LFalse:
			return -1
		}
		return 1
	}
}

// appendKey appends the index expression for the entry's key.
func appendKey(b []byte, en entry) []byte {
	b = append(b, '[')
	switch k := en.key.(type) {
	case lua.LNumber:
		b = appendKeyNumber(b, float64(k))
	case lua.LString:
		b = appendString(b, string(k))
	case lua.LBool:
		if k {
			b = append(b, "true"...)
		} else {
			b = append(b, "false"...)
		}
	}
	return append(b, ']')
}

// keepValue reports whether v is written: strings, numbers, booleans,
// userdata with a Serializer, and tables that are not the global table,
// have no metatable and hold data (see hasData).
func (e *encoder) keepValue(v lua.LValue) bool {
	switch v := v.(type) {
	case lua.LString, lua.LNumber, lua.LBool:
		return true
	case *lua.LTable:
		return v != e.global && v.Metatable == lua.LNil && e.hasData(v)
	case *lua.LUserData:
		_, ok := v.Value.(Serializer)
		return ok
	}
	return false
}

// hasData reports whether t is worth writing: it is empty, or at least one
// of its entries is written. A table all of whose entries are skipped
// holds code, not data (a library table, a table of handlers): writing it
// as {} would replace the plugin's functions with an empty table at
// restore, so it is skipped like a function. A table on a reference cycle
// counts as data.
func (e *encoder) hasData(t *lua.LTable) bool {
	if d, ok := e.data[t]; ok {
		return d
	}
	e.data[t] = true // while computing: a cycle back here counts as data
	entries, kept := false, false
	t.ForEach(func(k, v lua.LValue) {
		if kept {
			return
		}
		entries = true
		if _, ok := keyKindOf(k); ok && e.keepValue(v) {
			kept = true
		}
	})
	d := kept || !entries
	e.data[t] = d
	return d
}

// writeValue writes the statements that put v at e.path.
func (e *encoder) writeValue(v lua.LValue, depth int) error {
	switch v := v.(type) {
	case *lua.LTable:
		if ref, ok := e.refs[v]; ok {
			e.assign(depth, append(e.line[:0], ref...))
			return nil
		}
		e.refs[v] = string(e.path)
		e.assign(depth, append(e.line[:0], "{}"...))
		return e.writeEntries(v, depth)
	case *lua.LUserData:
		if ref, ok := e.refs[v]; ok {
			e.assign(depth, append(e.line[:0], ref...))
			return nil
		}
		path := string(e.path)
		e.refs[v] = path
		return e.serialize(v.Value.(Serializer), path, depth)
	case lua.LString:
		e.assign(depth, appendString(e.line[:0], string(v)))
	case lua.LNumber:
		e.assign(depth, appendNumber(e.line[:0], float64(v)))
	case lua.LBool:
		if v {
			e.assign(depth, append(e.line[:0], "true"...))
		} else {
			e.assign(depth, append(e.line[:0], "false"...))
		}
	}
	return nil
}

// assign writes "<path> = <value>\n"; value is in e.line's storage.
func (e *encoder) assign(depth int, value []byte) {
	e.line = value
	e.startStatement(depth + 1)
	e.w.Write(e.path)
	e.w.WriteString(" = ")
	e.w.Write(value)
	e.w.WriteByte('\n')
}

// serialize writes a userdata's own restore code.
func (e *encoder) serialize(s Serializer, path string, depth int) error {
	e.startStatement(depth + 1)
	e.sw.lines, e.sw.last = 0, '\n'
	if err := s.SerializeLua(path, &e.sw); err != nil {
		return fmt.Errorf("serialize %s: %w", path, err)
	}
	if e.sw.last != '\n' {
		e.w.WriteByte('\n')
		e.sw.lines++
	}
	e.cost += e.sw.lines * (depth + 1)
	return nil
}

// startStatement accounts for a statement with about cost constants and
// starts a new segment first when the current one is full.
func (e *encoder) startStatement(cost int) {
	if e.cost > 0 && e.cost+cost > segmentCost {
		if e.wrap {
			e.w.WriteString(segmentClose)
		}
		e.w.WriteString(segmentOpen)
		e.wrap = true
		e.cost = 0
	}
	e.cost += cost
}

// stmtWriter passes a Serializer's output through, counting lines so the
// segment size stays bounded.
type stmtWriter struct {
	e     *encoder
	lines int
	last  byte
}

func (w *stmtWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for _, c := range p {
		if c == '\n' {
			w.lines++
		}
	}
	w.last = p[len(p)-1]
	return w.e.w.Write(p)
}
