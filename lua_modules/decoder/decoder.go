// Package decoder is the registry of Go-native decoders: the Go side of
// the reference's decoder modules (decoders.nginx.access, decoders.syslog,
// ...), so that an input that reads records in Go (the logstreamer, the
// syslog listener) decodes them without a Lua call per record, and a
// decoder can hand part of a record to another (decoders.syslog's
// sub_decoders).
//
// A module that provides a decoder registers both: the Lua module, whose
// decode(data, default_headers, mutable) plugins call (spec §6.1), and the
// Factory here under the same name. The Lua function and the Go path must
// give the same message.
package decoder

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// Decoder turns one record into a message.
type Decoder interface {
	// Decode parses rec into m. The caller has reset m and set the
	// default headers (default_headers, and the input's own: Type,
	// Logger, Hostname ...); Decode adds what the record gives and may
	// overwrite headers (Timestamp, Severity, ...). It returns an error
	// wrapping ErrNoMatch when rec is not in the decoder's format (the
	// reference's "parse failed"), and other errors for records it cannot
	// turn into a message. m may alias rec: the caller encodes m before rec
	// changes. A Decoder belongs to one plugin's goroutine.
	Decode(rec []byte, m *message.Message) error
}

// ErrNoMatch reports a record that is not in the decoder's format.
var ErrNoMatch = errors.New("parse failed")

// Factory builds a decoder for the plugin running L, from the plugin's
// config (read_config(<module name with '.' replaced by '_'>), as the
// reference's modules read theirs; ConfigTable finds it). It runs on the
// plugin's goroutine, inside a call the plugin made.
type Factory func(L *lua.LState) (Decoder, error)

var registry struct {
	sync.RWMutex
	m map[string]Factory
}

// Register makes a decoder available under a module name, e.g.
// "decoders.nginx.access". It is meant for init functions and panics on a
// name registered twice.
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = make(map[string]Factory)
	}
	if _, ok := registry.m[name]; ok {
		panic("decoder: " + name + " registered twice")
	}
	registry.m[name] = f
}

// Lookup returns the decoder registered under name.
func Lookup(name string) (Factory, bool) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.m[name]
	return f, ok
}

// Names returns the registered names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.m))
	for n := range registry.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New builds the decoder registered under name for the plugin running L.
func New(L *lua.LState, name string) (Decoder, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("decoder %q: no Go decoder of that name", name)
	}
	d, err := f(L)
	if err != nil {
		return nil, fmt.Errorf("decoder %q: %w", name, err)
	}
	return d, nil
}

// ConfigTable returns the module's config table, read_config(key) where
// key is the module name with '.' replaced by '_' (spec §6.1), or nil
// when the plugin's config has none (or the state has no read_config).
func ConfigTable(L *lua.LState, module string) (*lua.LTable, error) {
	key := make([]byte, len(module))
	for i := range len(module) {
		if module[i] == '.' {
			key[i] = '_'
		} else {
			key[i] = module[i]
		}
	}
	rc, ok := L.GetGlobal("read_config").(*lua.LFunction)
	if !ok {
		return nil, nil
	}
	if err := L.CallByParam(lua.P{Fn: rc, NRet: 1, Protect: true}, lua.LString(key)); err != nil {
		return nil, err
	}
	v := L.Get(-1)
	L.Pop(1)
	switch t := v.(type) {
	case *lua.LTable:
		return t, nil
	case *lua.LNilType:
		return nil, nil
	default:
		return nil, fmt.Errorf("%s must be a table, not %s", key, v.Type())
	}
}
