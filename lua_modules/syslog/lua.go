package syslog

import (
	"embed"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/datetime"
	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/sandbox"
)

// ModuleName is the name plugins require for the grammars.
const ModuleName = "lpeg.syslog"

const (
	grammarType = "lpeg.syslog.grammar"
	simpleType  = "lpeg.syslog.pattern"
)

//go:embed lua
var luaFiles embed.FS

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: ModuleName, Open: Open})
	sub, err := fs.Sub(luaFiles, "lua")
	if err != nil {
		panic("syslog: " + err.Error()) // "lua" is embedded
	}
	sandbox.RegisterLuaModules(sandbox.LuaModules{Name: "lua_modules/syslog", FS: sub, IOOnly: true})
	decoder.Register(DecoderName, factory)
	sandbox.RegisterModule(sandbox.Module{Name: ListenerModuleName, Open: openListener, IOOnly: true})
}

// Open builds the lpeg.syslog table in L (sandbox.Module.Open).
func Open(L *lua.LState) int {
	m := L.NewTable()
	m.RawSetString("build_rsyslog_grammar", L.NewFunction(luaBuildGrammar))
	tmpls := L.NewTable()
	names := make([]string, 0, len(Templates))
	for k := range Templates {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		tmpls.RawSetString(k, lua.LString(Templates[k]))
	}
	m.RawSetString("templates", tmpls)
	for _, g := range [...]struct{ name, tmpl string }{
		{"rfc3164_grammar", "RSYSLOG_TraditionalForwardFormat"},
		{"rfc5424_grammar", "RFC5424"},
	} {
		t, err := Compile(Templates[g.tmpl])
		if err != nil {
			panic("syslog: " + err.Error()) // constant templates compile
		}
		m.RawSetString(g.name, grammarValue(L, t))
	}
	for _, p := range [...]struct {
		name string
		fn   simplePattern
	}{
		{"severity", namePattern(severityNames)},
		{"facility", namePattern(facilityNames)},
		{"integer", integerPattern},
		{"float", floatPattern},
		{"notspace", notspacePattern},
		{"commonmac", commonmacPattern},
	} {
		ud := L.NewUserData()
		ud.Value = p.fn
		ud.Metatable = typeMetatable(L, simpleType, luaSimpleMatch)
		m.RawSetString(p.name, ud)
	}
	L.Push(m)
	return 1
}

func typeMetatable(L *lua.LState, name string, match lua.LGFunction) lua.LValue {
	if mt := L.GetTypeMetatable(name); mt != lua.LNil {
		return mt
	}
	mt := L.NewTypeMetatable(name)
	idx := L.NewTable()
	idx.RawSetString("match", L.NewFunction(match))
	mt.RawSetString("__index", idx)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(name))
		return 1
	}))
	return mt
}

func grammarValue(L *lua.LState, t *Template) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = t
	ud.Metatable = typeMetatable(L, grammarType, luaGrammarMatch)
	return ud
}

func luaBuildGrammar(L *lua.LState) int {
	t, err := Compile(L.CheckString(1))
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(grammarValue(L, t))
	return 1
}

// luaGrammarMatch is g:match(subject[, init]): the capture table or nil.
func luaGrammarMatch(L *lua.LState) int {
	t, ok := L.CheckUserData(1).Value.(*Template)
	if !ok {
		L.ArgError(1, "lpeg.syslog grammar expected")
	}
	s := L.CheckString(2)
	var c Captures
	ok, err := t.Match(s, datetime.SubjectStart(L.OptInt(3, 1), len(s)), &c)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(CapturesTable(L, &c))
	return 1
}

// CapturesTable returns the reference's capture table of c.
func CapturesTable(L *lua.LState, c *Captures) *lua.LTable {
	t := L.CreateTable(0, c.Len())
	for i := range c.Len() {
		cp, ok := c.At(i)
		if ok {
			t.RawSetString(cp.Name, captureValue(L, cp))
		}
	}
	return t
}

func captureValue(L *lua.LState, cp *Capture) lua.LValue {
	switch cp.Kind {
	case Number:
		return lua.LNumber(cp.Num)
	case Pri:
		t := L.CreateTable(0, 2)
		t.RawSetString("facility", lua.LNumber(cp.Num))
		t.RawSetString("severity", lua.LNumber(cp.Num2))
		return t
	case Tag:
		t := L.CreateTable(0, 2)
		t.RawSetString("programname", lua.LString(cp.Str))
		if cp.HasPid {
			t.RawSetString("pid", lua.LNumber(cp.Num))
		}
		return t
	case SD:
		t := L.CreateTable(0, len(cp.SD.Params)+1)
		switch len(cp.SD.IDs) {
		case 0:
		case 1:
			t.RawSetString("id", lua.LString(cp.SD.IDs[0]))
		default:
			ids := L.CreateTable(len(cp.SD.IDs), 0)
			for _, id := range cp.SD.IDs {
				ids.Append(lua.LString(id))
			}
			t.RawSetString("id", ids)
		}
		for _, p := range cp.SD.Params {
			t.RawSetString(p.Name, lua.LString(p.Value))
		}
		return t
	}
	return lua.LString(cp.Str)
}

// simplePattern matches at pos and returns the capture (nil: the position
// after the match, as an LPeg pattern without captures returns) and the
// end.
type simplePattern func(s string, pos int) (lua.LValue, int, bool)

func luaSimpleMatch(L *lua.LState) int {
	p, ok := L.CheckUserData(1).Value.(simplePattern)
	if !ok {
		L.ArgError(1, "lpeg.syslog pattern expected")
	}
	s := L.CheckString(2)
	v, end, ok := p(s, datetime.SubjectStart(L.OptInt(3, 1), len(s)))
	switch {
	case !ok:
		L.Push(lua.LNil)
	case v == nil:
		L.Push(lua.LNumber(end + 1))
	default:
		L.Push(v)
	}
	return 1
}

func namePattern(list []struct {
	name string
	v    float64
}) simplePattern {
	return func(s string, pos int) (lua.LValue, int, bool) {
		v, end, ok := nameValue(s, pos, list)
		return lua.LNumber(v), end, ok
	}
}

func digitsFrom(s string, pos int) int {
	for pos < len(s) && isDigit(s[pos]) {
		pos++
	}
	return pos
}

func integerPattern(s string, pos int) (lua.LValue, int, bool) {
	p := pos
	if p < len(s) && s[p] == '-' {
		p++
	}
	end := digitsFrom(s, p)
	if end == p {
		return nil, pos, false
	}
	n, _ := strconv.ParseFloat(s[pos:end], 64)
	return lua.LNumber(n), end, true
}

func floatPattern(s string, pos int) (lua.LValue, int, bool) {
	p := pos
	if p < len(s) && s[p] == '-' {
		p++
	}
	end := digitsFrom(s, p)
	if end == p {
		return nil, pos, false
	}
	n := 0
	for end < len(s) && s[end] == '.' {
		e := digitsFrom(s, end+1)
		if e == end+1 {
			break
		}
		end, n = e, n+1
	}
	if n == 0 {
		return nil, pos, false
	}
	f, err := strconv.ParseFloat(s[pos:end], 64)
	if err != nil { // 1.2.3 is a float to the grammar, not to tonumber
		return lua.LNil, end, true
	}
	return lua.LNumber(f), end, true
}

func notspacePattern(s string, pos int) (lua.LValue, int, bool) {
	end := strings.IndexByte(s[pos:], ' ')
	if end < 0 {
		return nil, len(s), true
	}
	return nil, pos + end, true
}

func commonmacPattern(s string, pos int) (lua.LValue, int, bool) {
	// Seven pairs, as the reference's grammar has.
	p := pos
	for i := range 7 {
		if i > 0 {
			if p >= len(s) || s[p] != ':' {
				return nil, pos, false
			}
			p++
		}
		if p+1 >= len(s) || !isHex(s[p]) || !isHex(s[p+1]) {
			return nil, pos, false
		}
		p += 2
	}
	return nil, p, true
}
