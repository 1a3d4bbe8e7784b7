package clf

import (
	lua "github.com/yuin/gopher-lua"
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

// table builds the reference's capture table from a match of line s: the
// fields in the grammar's order, strings sharing s's memory.
func (g *Grammar) table(L *lua.LState, st *State, s string) *lua.LTable {
	t := L.CreateTable(0, len(g.names))
	for k, name := range g.names {
		if st.vals[k].kind != vNone {
			t.RawSetString(name, st.luaValue(L, &st.vals[k], s))
		}
	}
	return t
}

func (st *State) luaValue(L *lua.LState, v *value, s string) lua.LValue {
	switch v.kind {
	case vStr:
		return lua.LString(s[v.a:v.b])
	case vNum:
		return lua.LNumber(v.n)
	case vStrRep, vNumRep, vNumListRep:
		t := L.CreateTable(0, 2)
		var val lua.LValue
		switch v.kind {
		case vStrRep:
			val = lua.LString(s[v.a:v.b])
		case vNumRep:
			val = lua.LNumber(v.n)
		default:
			val = st.numList(L, v)
		}
		t.RawSetString("value", val)
		t.RawSetString("representation", luaRep(v.rep))
		return t
	case vStrList:
		t := L.CreateTable(v.b-v.a, 0)
		for _, sp := range st.spans[v.a:v.b] {
			t.Append(lua.LString(s[sp[0]:sp[1]]))
		}
		return t
	case vNumList:
		return st.numList(L, v)
	}
	return lua.LNil
}

func (st *State) numList(L *lua.LState, v *value) *lua.LTable {
	t := L.CreateTable(v.b-v.a, 0)
	for _, n := range st.nums[v.a:v.b] {
		t.Append(lua.LNumber(n))
	}
	return t
}
