package datetime

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox"
)

// ModuleName is what plugins require.
const ModuleName = "lpeg.date_time"

// grammarType names the metatable of grammar objects.
const grammarType = "lpeg.date_time.grammar"

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: ModuleName, Open: Open})
}

// Open builds the module table in L (sandbox.Module.Open).
func Open(L *lua.LState) int {
	m := L.NewTable()
	for _, e := range [...]struct {
		name string
		g    *Grammar
	}{
		{"rfc3339", RFC3339}, {"clf_timestamp", CLF}, {"rfc3164_timestamp", RFC3164},
		{"mysql_timestamp", MySQL}, {"pgsql_timestamp", PgSQL},
	} {
		m.RawSetString(e.name, NewGrammarValue(L, e.g))
	}
	m.RawSetString("build_strftime_grammar", L.NewFunction(luaBuildStrftime))
	m.RawSetString("time_to_ns", L.NewFunction(luaTimeToNs))
	m.RawSetString("seconds_to_ns", L.NewFunction(luaSecondsToNs))
	L.Push(m)
	return 1
}

// NewGrammarValue returns g as a Lua object with a match method.
func NewGrammarValue(L *lua.LState, g *Grammar) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = g
	ud.Metatable = grammarMetatable(L)
	return ud
}

func grammarMetatable(L *lua.LState) lua.LValue {
	if mt := L.GetTypeMetatable(grammarType); mt != lua.LNil {
		return mt
	}
	mt := L.NewTypeMetatable(grammarType)
	idx := L.NewTable()
	idx.RawSetString("match", L.NewFunction(luaMatch))
	mt.RawSetString("__index", idx)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(grammarType))
		return 1
	}))
	return mt
}

// SubjectStart converts LPeg's init argument (1-based, negative from the
// end) to a byte offset into a subject of n bytes.
func SubjectStart(init, n int) int {
	switch {
	case init > 0:
		if init > n+1 {
			return n
		}
		return init - 1
	case init < 0:
		if -init > n {
			return 0
		}
		return n + init
	}
	return 0
}

// luaMatch is g:match(subject[, init]).
func luaMatch(L *lua.LState) int {
	ud := L.CheckUserData(1)
	g, ok := ud.Value.(*Grammar)
	if !ok {
		L.ArgError(1, "lpeg.date_time grammar expected")
	}
	s := L.CheckString(2)
	pos := SubjectStart(L.OptInt(3, 1), len(s))
	var c Captures
	if _, ok := g.Match(s, pos, &c); !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(CapturesTable(L, c))
	return 1
}

// CapturesTable returns the Lua table of c: strings and numbers under
// their names, in capture order.
func CapturesTable(L *lua.LState, c Captures) *lua.LTable {
	t := L.CreateTable(0, len(c))
	for _, cp := range c {
		if cp.IsNum {
			t.RawSetString(cp.Name, lua.LNumber(cp.Num))
		} else {
			t.RawSetString(cp.Name, lua.LString(cp.Str))
		}
	}
	return t
}

// tableCaptures reads the time keys of a Lua table.
func tableCaptures(t *lua.LTable) Captures {
	var c Captures
	for _, k := range [...]string{"time_t", "offset_hour", "offset_min", "offset_sign", "period",
		"sec_frac", "sec", "min", "hour", "day", "month", "year"} {
		switch v := t.RawGetString(k).(type) {
		case lua.LNumber:
			c.SetNum(k, float64(v))
		case lua.LString:
			c.SetStr(k, string(v))
		}
	}
	return c
}

func luaBuildStrftime(L *lua.LState) int {
	g, err := BuildStrftime(L.CheckString(1))
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(NewGrammarValue(L, g))
	return 1
}

func luaTimeToNs(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		if lua.LVAsBool(L.Get(1)) {
			L.ArgError(1, "table expected")
		}
		L.Push(lua.LNumber(0))
		return 1
	}
	ns, err := TimeToNs(tableCaptures(t))
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lua.LNumber(ns))
	return 1
}

func luaSecondsToNs(L *lua.LState) int {
	var v Value
	switch a := L.Get(1).(type) {
	case lua.LNumber:
		v = Value{Num: float64(a), IsNum: true}
	case lua.LString:
		v = Value{Str: string(a)}
	}
	n, ok := v.Number()
	if !ok {
		L.RaiseError("attempt to perform arithmetic on a nil value")
	}
	L.Push(lua.LNumber(n * 1e9))
	return 1
}
