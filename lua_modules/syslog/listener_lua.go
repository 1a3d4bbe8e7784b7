package syslog

import (
	"context"
	"net"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/sandbox"
)

func openListener(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("listen", L.NewFunction(luaListen))
	L.Push(t)
	return 1
}

// optString, optInt and optBool read an option of the listen table,
// raising an error that names the config key.
func optString(L *lua.LState, t *lua.LTable, key, def string) string {
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LString:
		return string(v)
	default:
		L.RaiseError("syslog input: %s must be a string, not %s", key, v.Type())
	}
	return ""
}

func optInt(L *lua.LState, t *lua.LTable, key string, def, lo, hi int) int {
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		n := int(v)
		if float64(n) != float64(v) || n < lo || n > hi {
			L.RaiseError("syslog input: %s must be an integer from %d to %d, not %v", key, lo, hi, v)
		}
		return n
	default:
		L.RaiseError("syslog input: %s must be a number, not %s", key, v.Type())
	}
	return 0
}

func optBool(L *lua.LState, t *lua.LTable, key string) bool {
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return false
	case lua.LBool:
		return bool(v)
	default:
		L.RaiseError("syslog input: %s must be a boolean, not %s", key, v.Type())
	}
	return false
}

// luaListen is listen{...}: it builds the decoder, opens the sockets and
// returns the listener object (methods run, close, stats).
func luaListen(L *lua.LState) int {
	t := L.OptTable(1, L.NewTable())
	opts := Options{
		Address:            optString(L, t, "address", DefaultAddress),
		Port:               optInt(L, t, "port", DefaultPort, 0, 65535),
		Protocol:           optString(L, t, "protocol", DefaultProtocol),
		MaxSize:            sandbox.MaxMessageSize(L),
		MaxConnections:     optInt(L, t, "max_connections", DefaultMaxConnections, 1, 1<<20),
		SendDecodeFailures: optBool(L, t, "send_decode_failures"),
		BatchIdle:          time.Duration(optInt(L, t, "batch_idle", int(DefaultBatchIdle/time.Second), 0, 86400)) * time.Second,
	}
	switch opts.Protocol {
	case "udp", "tcp", "both":
	default:
		L.RaiseError("syslog input: protocol must be \"udp\", \"tcp\" or \"both\", not %q", opts.Protocol)
	}
	var dh *lua.LTable
	switch v := t.RawGetString("default_headers").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		dh = v
	default:
		L.RaiseError("syslog input: default_headers must be a table, not %s", v.Type())
	}
	headers, err := HeadersFromTable(L, dh)
	if err != nil {
		L.RaiseError("syslog input: default_headers: %s", err.Error())
	}
	name := optString(L, t, "decoder_module", DecoderName)
	var dec decoder.Decoder
	if name == DecoderName {
		ct, err := decoder.ConfigTable(L, DecoderName)
		if err != nil {
			L.RaiseError("syslog input: %s", err.Error())
		}
		cfg, err := ParseConfig(ct)
		if err != nil {
			L.RaiseError("syslog input: %s", err.Error())
		}
		if len(cfg.Templates) == 0 {
			cfg.Templates = ListenerTemplates
		}
		if dec, err = NewDecoder(cfg, subDecoder(L)); err != nil {
			L.RaiseError("syslog input: %s", err.Error())
		}
	} else if dec, err = decoder.New(L, name); err != nil {
		L.RaiseError("syslog input: decoder_module: %s", err.Error())
	}
	l, err := Listen(opts, dec, &headers, sandbox.Logger(L))
	if err != nil {
		L.RaiseError("syslog input: %s", err.Error())
	}
	context.AfterFunc(sandbox.Context(L), l.Close)
	ud := L.NewUserData()
	ud.Value = l
	ud.Metatable = listenerMetatable(L)
	L.Push(ud)
	return 1
}

func listenerMetatable(L *lua.LState) lua.LValue {
	if mt := L.GetTypeMetatable(listenerType); mt != lua.LNil {
		return mt
	}
	mt := L.NewTypeMetatable(listenerType)
	mt.RawSetString("__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"run": func(L *lua.LState) int {
			checkListener(L).Run(L)
			return 0
		},
		"close": func(L *lua.LState) int {
			checkListener(L).Close()
			return 0
		},
		"stats": func(L *lua.LState) int {
			st := checkListener(L).Stats()
			t := L.NewTable()
			for _, kv := range [...]struct {
				k string
				v int64
			}{{"received", st.Received}, {"injected", st.Injected}, {"decode_failures", st.DecodeFailures},
				{"oversized", st.Oversized}, {"inject_failures", st.InjectFailures},
				{"connections", st.Connections}, {"refused", st.Refused}} {
				t.RawSetString(kv.k, lua.LNumber(kv.v))
			}
			L.Push(t)
			return 1
		},
		"addresses": func(L *lua.LState) int {
			l := checkListener(L)
			for _, a := range [...]net.Addr{l.UDPAddr(), l.TCPAddr()} {
				if a == nil {
					L.Push(lua.LNil)
				} else {
					L.Push(lua.LString(a.String()))
				}
			}
			return 2
		},
	}))
	return mt
}

func checkListener(L *lua.LState) *Listener {
	l, ok := L.CheckUserData(1).Value.(*Listener)
	if !ok {
		L.ArgError(1, "syslog listener expected")
	}
	return l
}
