package clf

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/sandbox"
)

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: "lpeg.common_log_format", Open: openCLF})
	sandbox.RegisterModule(sandbox.Module{Name: accessModule, Open: openAccess, IOOnly: true})
	sandbox.RegisterModule(sandbox.Module{Name: errorModule, Open: openError, IOOnly: true})
	decoder.Register(accessModule, accessFactory)
	decoder.Register(errorModule, errorFactory)
}

// grammarTypeName names the metatable of grammar userdata.
const grammarTypeName = "lpeg.common_log_format.grammar"

// luaGrammar is a grammar as Lua holds it, with the state its matches
// reuse and the builder of its capture tables (a Lua state runs on one
// goroutine).
type luaGrammar struct {
	g  *Grammar
	st State
	tb *tableBuilder
}

func newGrammarUD(L *lua.LState, g *Grammar) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = &luaGrammar{g: g, tb: newTableBuilder(g)}
	mt := L.NewTypeMetatable(grammarTypeName)
	if mt.RawGetString("__index") == lua.LNil {
		mt.RawSetString("__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{"match": luaMatch}))
		mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			lg := checkGrammar(L, 1)
			L.Push(lua.LString("common_log_format " + lg.g.kind + " grammar: " + lg.g.format))
			return 1
		}))
	}
	L.SetMetatable(ud, mt)
	return ud
}

func checkGrammar(L *lua.LState, n int) *luaGrammar {
	ud := L.CheckUserData(n)
	lg, ok := ud.Value.(*luaGrammar)
	if !ok {
		L.ArgError(n, "common_log_format grammar expected")
	}
	return lg
}

// luaMatch is grammar:match(subject[, init]): the capture table, or nil
// when the line does not match; init is LPeg's (1-based, negative counts
// from the end).
func luaMatch(L *lua.LState) int {
	lg := checkGrammar(L, 1)
	s := L.CheckString(2)
	start := 0
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		ii := L.CheckInt(3)
		switch {
		case ii > 0 && ii <= len(s):
			start = ii - 1
		case ii > 0:
			start = len(s)
		case -ii <= len(s):
			start = len(s) + ii
		}
	}
	ok, err := lg.g.matchAt(s, start, &lg.st)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lg.tb.table(L, &lg.st, s))
	return 1
}

// openCLF opens lpeg.common_log_format.
func openCLF(L *lua.LState) int {
	build := func(f func(string) (*Grammar, error)) lua.LGFunction {
		return func(L *lua.LState) int {
			g, err := f(L.CheckString(1))
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			L.Push(newGrammarUD(L, g))
			return 1
		}
	}
	m := L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"build_nginx_grammar":  build(BuildNginx),
		"build_apache_grammar": build(BuildApache),
		"normalize_user_agent": luaNormalizeUserAgent,
	})
	m.RawSetString("nginx_error_grammar", newGrammarUD(L, NginxError))
	L.Push(m)
	return 1
}

// luaNormalizeUserAgent is normalize_user_agent(ua): browser, version,
// os (each nil when unknown); nothing for a nil ua.
func luaNormalizeUserAgent(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		return 0
	}
	ua := NormalizeUserAgent(L.CheckString(1))
	L.Push(luaStringOrNil(ua.Browser))
	if ua.HasVersion {
		L.Push(lua.LNumber(ua.Version))
	} else {
		L.Push(lua.LNil)
	}
	L.Push(luaStringOrNil(ua.OS))
	return 3
}

func luaStringOrNil(s string) lua.LValue {
	if s == "" {
		return lua.LNil
	}
	return lua.LString(s)
}

// The header keys copy_message copies from default headers.
var headerKeys = [...]string{"Uuid", "Logger", "Hostname", "Timestamp", "Type", "Payload", "EnvVersion", "Pid", "Severity"}

// copyMessage is lpeg.sub_decoder_util's copy_message(dh, mutable): a
// shallow copy of the default headers and their Fields, dh itself when
// mutable, a new table without dh.
func copyMessage(L *lua.LState, dh lua.LValue, mutable bool) *lua.LTable {
	t, ok := dh.(*lua.LTable)
	if !ok {
		if dh != lua.LNil && dh != lua.LFalse {
			L.ArgError(2, "default_headers must be a table")
		}
		return L.NewTable()
	}
	if mutable {
		return t
	}
	msg := L.CreateTable(0, len(headerKeys)+1)
	for _, k := range headerKeys {
		if v := t.RawGetString(k); v != lua.LNil {
			msg.RawSetString(k, v)
		}
	}
	if f, ok := t.RawGetString("Fields").(*lua.LTable); ok {
		c := L.NewTable()
		forEach(f, func(k, v lua.LValue) { c.RawSet(k, v) })
		msg.RawSetString("Fields", c)
	}
	return msg
}

// forEach visits t's pairs in the order of next (pairs): for string keys,
// the order they were first set.
func forEach(t *lua.LTable, f func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		f(k, v)
	}
}

// addFields is sub_decoder_util's add_fields(msg, fields).
func addFields(L *lua.LState, msg, fields *lua.LTable) {
	switch f := msg.RawGetString("Fields").(type) {
	case *lua.LNilType:
		msg.RawSetString("Fields", fields)
	case *lua.LTable:
		forEach(fields, func(k, v lua.LValue) { f.RawSet(k, v) })
	default:
		L.RaiseError("the Fields of default_headers must be a table")
	}
}

// injectFunc returns the plugin's inject_message, taken when the decoder
// module loads, as the reference's modules do.
func injectFunc(L *lua.LState) lua.LValue { return L.GetGlobal("inject_message") }

func callInject(L *lua.LState, inject lua.LValue, msg *lua.LTable) {
	L.Push(inject)
	L.Push(msg)
	L.Call(1, 0)
}

// openAccess opens decoders.nginx.access: decode(data, default_headers,
// mutable) matches an access log line and injects its message.
func openAccess(L *lua.LState) int {
	name := L.OptString(1, accessModule)
	format, opts, err := accessConfig(L, name)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	g, err := BuildNginx(format)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	inject := injectFunc(L)
	st := &State{}
	tb := newTableBuilder(g)
	decode := func(L *lua.LState) int {
		data := L.CheckString(1)
		ok, err := g.Match(data, st)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if !ok {
			L.Push(lua.LString(decoder.ErrNoMatch.Error()))
			return 1
		}
		fields := tb.table(L, st, data)
		msg := copyMessage(L, L.Get(2), lua.LVAsBool(L.Get(3)))
		if opts.PayloadKeep {
			msg.RawSetString("Payload", lua.LString(data))
		}
		if ua, ok := fields.RawGetString("http_user_agent").(lua.LString); ok && opts.UserAgentTransform {
			n := NormalizeUserAgent(string(ua))
			fields.RawSetString(uaBrowserField, luaStringOrNil(n.Browser))
			if n.HasVersion {
				fields.RawSetString(uaVersionField, lua.LNumber(n.Version))
			} else {
				fields.RawSetString(uaVersionField, lua.LNil)
			}
			fields.RawSetString(uaOSField, luaStringOrNil(n.OS))
			if !((opts.UserAgentConditional && n.Browser == "") || opts.UserAgentKeep) {
				fields.RawSetString("http_user_agent", lua.LNil)
			}
		}
		msg.RawSetString("Timestamp", fields.RawGetString("time"))
		fields.RawSetString("time", lua.LNil)
		addFields(L, msg, fields)
		callInject(L, inject, msg)
		return 0
	}
	L.Push(L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{"decode": decode}))
	return 1
}

// openError opens decoders.nginx.error: decode(data, default_headers,
// mutable) matches an error log line and injects its message.
func openError(L *lua.LState) int {
	inject := injectFunc(L)
	st := &State{}
	tb := newTableBuilder(NginxError)
	decode := func(L *lua.LState) int {
		data := L.CheckString(1)
		ok, err := NginxError.Match(data, st)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if !ok {
			L.Push(lua.LString(decoder.ErrNoMatch.Error()))
			return 1
		}
		fields := tb.table(L, st, data)
		msg := copyMessage(L, L.Get(2), lua.LVAsBool(L.Get(3)))
		for _, kv := range [...][2]string{{"Timestamp", "time"}, {"Payload", "msg"}, {"Severity", "severity"}, {"Pid", "pid"}} {
			msg.RawSetString(kv[0], fields.RawGetString(kv[1]))
			fields.RawSetString(kv[1], lua.LNil)
		}
		addFields(L, msg, fields)
		callInject(L, inject, msg)
		return 0
	}
	L.Push(L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{"decode": decode}))
	return 1
}
