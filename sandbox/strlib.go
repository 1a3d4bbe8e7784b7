package sandbox

import (
	"errors"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/luapattern"
)

// patternSteps is the step budget of one string.find, match, gmatch step
// or gsub call (see luapattern.Budget): tens of milliseconds of matching.
// A pattern that backtracks past it raises an error instead of running for
// minutes.
const patternSteps = luapattern.DefaultSteps

// maxCachedPatterns bounds a plugin's cache of compiled patterns.
const maxCachedPatterns = 256

// patternCache holds a plugin's compiled patterns by source.
type patternCache struct {
	m map[string]*luapattern.Pattern
}

func (c *patternCache) get(L *lua.LState, pat string) *luapattern.Pattern {
	if p, ok := c.m[pat]; ok {
		return p
	}
	p, err := luapattern.Compile(pat)
	if err != nil {
		L.RaiseError("%s", luapattern.LuaMessage(err))
	}
	if c.m == nil || len(c.m) >= maxCachedPatterns {
		c.m = make(map[string]*luapattern.Pattern)
	}
	c.m[pat] = p
	return p
}

// patternError raises a matching error in the plugin.
func patternError(L *lua.LState, fn string, err error) {
	if errors.Is(err, luapattern.ErrStepBudget) {
		L.RaiseError("%s: pattern too complex (step budget of %d exceeded)", fn, patternSteps)
	}
	L.RaiseError("%s", luapattern.LuaMessage(err))
}

// openString is require "string": gopher-lua's string library with the
// pattern functions on luapattern, size-checked rep and format, and no
// dump.
func (s *Sandbox) openString(L *lua.LState) lua.LValue {
	L.Push(L.NewFunction(lua.OpenString))
	L.Push(lua.LString(lua.StringLibName))
	L.Call(1, 1)
	mod := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	mod.RawSetString("dump", lua.LNil)
	mod.RawSetString("find", L.NewFunction(s.strFind))
	mod.RawSetString("match", L.NewFunction(s.strMatch))
	gmatch := L.NewFunction(s.strGmatch)
	mod.RawSetString("gmatch", gmatch)
	mod.RawSetString("gfind", gmatch)
	mod.RawSetString("gsub", L.NewFunction(s.strGsub))
	mod.RawSetString("rep", L.NewFunction(strRep))
	mod.RawSetString("format", L.NewFunction(strFormat))
	return mod
}

// pushCaptures pushes the values of a match (Lua's push_captures) and
// returns their number.
func pushCaptures(L *lua.LState, subject string, m *luapattern.Match, whole bool) int {
	caps := m.Captures()
	if len(caps) == 0 && whole {
		caps = m.Values()
	}
	for _, c := range caps {
		pushCapture(L, subject, c)
	}
	return len(caps)
}

func pushCapture(L *lua.LState, subject string, c luapattern.Capture) {
	if c.Position {
		L.Push(lua.LNumber(c.Start + 1))
	} else {
		L.Push(lua.LString(c.Text(subject)))
	}
}

// strFind is string.find(s, pattern[, init[, plain]]).
func (s *Sandbox) strFind(L *lua.LState) int {
	subject := L.CheckString(1)
	pat := L.CheckString(2)
	init := luapattern.StartOffset(L.OptInt(3, 1), len(subject))
	if lua.LVAsBool(L.Get(4)) {
		start, ok := luapattern.FindPlain(subject, pat, init)
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(start + 1))
		L.Push(lua.LNumber(start + len(pat)))
		return 2
	}
	p := s.pats.get(L, pat)
	var m luapattern.Match
	b := luapattern.Budget{Steps: patternSteps}
	ok, err := p.Find(subject, init, &m, &b)
	if err != nil {
		patternError(L, "string.find", err)
	}
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(m.Start + 1))
	L.Push(lua.LNumber(m.End))
	return 2 + pushCaptures(L, subject, &m, false)
}

// strMatch is string.match(s, pattern[, init]).
func (s *Sandbox) strMatch(L *lua.LState) int {
	subject := L.CheckString(1)
	p := s.pats.get(L, L.CheckString(2))
	init := luapattern.StartOffset(L.OptInt(3, 1), len(subject))
	var m luapattern.Match
	b := luapattern.Budget{Steps: patternSteps}
	ok, err := p.Match(subject, init, &m, &b)
	if err != nil {
		patternError(L, "string.match", err)
	}
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	return pushCaptures(L, subject, &m, true)
}

// strGmatch is string.gmatch(s, pattern): each step of the iterator has
// its own step budget.
func (s *Sandbox) strGmatch(L *lua.LState) int {
	subject := L.CheckString(1)
	p := s.pats.get(L, L.CheckString(2))
	it := p.Gmatch(subject)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		b := luapattern.Budget{Steps: patternSteps}
		if !it.Next(&b) {
			if err := it.Err(); err != nil {
				patternError(L, "string.gmatch", err)
			}
			L.Push(lua.LNil)
			return 1
		}
		return pushCaptures(L, subject, it.Match(), true)
	}))
	return 1
}

// strGsub is string.gsub(s, pattern, repl[, n]).
func (s *Sandbox) strGsub(L *lua.LState) int {
	subject := L.CheckString(1)
	p := s.pats.get(L, L.CheckString(2))
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTString, lua.LTNumber, lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(subject)+1)
	limit := int64(hardStringCap)
	if s.mem.limit > 0 {
		limit = s.mem.limit
	}
	tooBig := errors.New("not enough memory")
	var fn luapattern.ReplaceFunc
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		rs := lua.LVAsString(r)
		if n, ok := r.(lua.LNumber); ok {
			rs = numberString(float64(n))
		}
		fn = func(dst []byte, m *luapattern.Match) ([]byte, error) {
			dst, err := luapattern.AppendReplace(dst, subject, m, rs)
			if int64(len(dst)) > limit {
				return dst, tooBig
			}
			return dst, err
		}
	default:
		fn = func(dst []byte, m *luapattern.Match) ([]byte, error) {
			vals := m.Values()
			var v lua.LValue
			if t, ok := r.(*lua.LTable); ok {
				first := lua.LValue(lua.LString(vals[0].Text(subject)))
				if vals[0].Position {
					first = lua.LNumber(vals[0].Start + 1)
				}
				v = L.GetTable(t, first)
			} else {
				s.b.charge(callbackCost)
				L.Push(r)
				for _, c := range vals {
					pushCapture(L, subject, c)
				}
				L.Call(len(vals), 1)
				v = L.Get(-1)
				L.Pop(1)
			}
			switch v := v.(type) {
			case *lua.LNilType:
				dst = append(dst, subject[m.Start:m.End]...)
			case lua.LBool:
				if v {
					L.RaiseError("invalid replacement value (a boolean)")
				}
				dst = append(dst, subject[m.Start:m.End]...)
			case lua.LString:
				dst = append(dst, v...)
			case lua.LNumber:
				dst = append(dst, numberString(float64(v))...)
			default:
				L.RaiseError("invalid replacement value (a %s)", v.Type().String())
			}
			if int64(len(dst)) > limit {
				return dst, tooBig
			}
			return dst, nil
		}
	}
	var m luapattern.Match
	b := luapattern.Budget{Steps: patternSteps}
	out, n, err := p.Gsub(make([]byte, 0, len(subject)), subject, maxN, &m, &b, fn)
	if err == tooBig {
		L.RaiseError("not enough memory")
	}
	if err != nil {
		patternError(L, "string.gsub", err)
	}
	checkAlloc(L, int64(len(out)))
	L.Push(lua.LString(out))
	L.Push(lua.LNumber(n))
	return 2
}

// strRep is string.rep(s, n), refusing results over the memory limit.
func strRep(L *lua.LState) int {
	str := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || len(str) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if int64(n) > math.MaxInt64/int64(len(str)) {
		L.RaiseError("not enough memory")
	}
	checkAlloc(L, int64(len(str))*int64(n))
	L.Push(lua.LString(strings.Repeat(str, n)))
	return 1
}

// numberString formats a number as Lua 5.1's tostring does ("%.14g").
func numberString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f:
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// luaToString is tostring(v) with Lua 5.1's number format.
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(numberString(float64(n))))
		return 1
	}
	L.Push(L.ToStringMeta(v))
	return 1
}

// tostring returns v as tostring formats it (print's conversion).
func tostring(L *lua.LState, v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return numberString(float64(n))
	}
	return L.ToStringMeta(v).String()
}
