package clf

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox/luatable"
)

// Lua values of the representations, made once.
var luaReps = map[string]lua.LValue{
	repIPv4: lua.LString(repIPv4), repIPv6: lua.LString(repIPv6), repHostname: lua.LString(repHostname),
	"B": lua.LString("B"), "s": lua.LString("s"), "us": lua.LString("us"),
}

func luaRep(rep string) lua.LValue {
	if v, ok := luaReps[rep]; ok {
		return v
	}
	return lua.LString(rep)
}

// tableBuilder builds the reference's capture tables of one grammar's
// matches, for one Lua state (it is not safe for concurrent use): the
// tables and their values come from sandbox/luatable, which makes a
// table of n fields in five allocations instead of about 3n.
type tableBuilder struct {
	g      *Grammar
	fields *luatable.Shape // g.names
	rep    *luatable.Shape // value, representation
	box    luatable.Boxes
	vals   []lua.LValue
	pair   [2]lua.LValue
}

func newTableBuilder(g *Grammar) *tableBuilder {
	return &tableBuilder{
		g:      g,
		fields: luatable.NewShape(g.names...),
		rep:    luatable.NewShape("value", "representation"),
		vals:   make([]lua.LValue, len(g.names)),
	}
}

// table builds the capture table of a match of line s: the fields in the
// grammar's order, strings sharing s's memory.
func (g *Grammar) table(L *lua.LState, st *State, s string) *lua.LTable {
	return newTableBuilder(g).table(L, st, s)
}

// table builds the capture table of the match in st of line s.
func (tb *tableBuilder) table(L *lua.LState, st *State, s string) *lua.LTable {
	for k := range tb.vals {
		tb.vals[k] = nil
		if st.vals[k].kind != vNone {
			tb.vals[k] = tb.luaValue(L, st, &st.vals[k], s)
		}
	}
	t := tb.fields.Table(L, tb.vals)
	clear(tb.vals) // hold no values of the line
	return t
}

func (tb *tableBuilder) luaValue(L *lua.LState, st *State, v *value, s string) lua.LValue {
	switch v.kind {
	case vStr:
		return tb.box.String(s[v.a:v.b])
	case vNum:
		return tb.box.Number(v.n)
	case vStrRep, vNumRep, vNumListRep:
		switch v.kind {
		case vStrRep:
			tb.pair[0] = tb.box.String(s[v.a:v.b])
		case vNumRep:
			tb.pair[0] = tb.box.Number(v.n)
		default:
			tb.pair[0] = tb.numList(L, st, v)
		}
		tb.pair[1] = luaRep(v.rep)
		t := tb.rep.Table(L, tb.pair[:])
		tb.pair = [2]lua.LValue{}
		return t
	case vStrList:
		t := L.CreateTable(v.b-v.a, 0)
		for _, sp := range st.spans[v.a:v.b] {
			t.Append(tb.box.String(s[sp[0]:sp[1]]))
		}
		return t
	case vNumList:
		return tb.numList(L, st, v)
	}
	return lua.LNil
}

func (tb *tableBuilder) numList(L *lua.LState, st *State, v *value) *lua.LTable {
	t := L.CreateTable(v.b-v.a, 0)
	for _, n := range st.nums[v.a:v.b] {
		t.Append(tb.box.Number(n))
	}
	return t
}
