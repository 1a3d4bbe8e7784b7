package clf

import (
	"fmt"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// AccessOptions are the options of decoders.nginx.access (its config
// table decoders_nginx_access, besides log_format). All default to false.
type AccessOptions struct {
	// UserAgentTransform replaces http_user_agent by user_agent_browser,
	// user_agent_version and user_agent_os (those NormalizeUserAgent
	// finds).
	UserAgentTransform bool
	// UserAgentKeep keeps http_user_agent when transforming.
	UserAgentKeep bool
	// UserAgentConditional keeps http_user_agent when the transform finds
	// no browser.
	UserAgentConditional bool
	// PayloadKeep sets Payload to the line.
	PayloadKeep bool
}

// Names of the fields the user agent transform adds.
const (
	uaBrowserField = "user_agent_browser"
	uaVersionField = "user_agent_version"
	uaOSField      = "user_agent_os"
)

// AccessDecoder is decoders.nginx.access in Go: it decodes one access log
// line into a message as the Lua decode function does, without Lua.
type AccessDecoder struct {
	g    *Grammar
	opts AccessOptions
	st   State
	// uaSlots are the slots of the grammar named like the transform's
	// fields (-1: none; a format would hardly have them).
	uaSlots [3]int
}

// NewAccessDecoder compiles logFormat (an nginx log_format string).
func NewAccessDecoder(logFormat string, opts AccessOptions) (*AccessDecoder, error) {
	g, err := BuildNginx(logFormat)
	if err != nil {
		return nil, err
	}
	d := &AccessDecoder{g: g, opts: opts, uaSlots: [3]int{-1, -1, -1}}
	for k, n := range g.names {
		switch n {
		case uaBrowserField:
			d.uaSlots[0] = k
		case uaVersionField:
			d.uaSlots[1] = k
		case uaOSField:
			d.uaSlots[2] = k
		}
	}
	return d, nil
}

// Grammar returns the decoder's grammar.
func (d *AccessDecoder) Grammar() *Grammar { return d.g }

// unsafeString views b as a string without copying; the message the
// decoder fills aliases the record, as decoder.Decoder allows.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Decode implements decoder.Decoder: the fields of the line in the
// format's order, Timestamp from the time variable (0, which the host
// makes the current time, when the format has none), Payload the line if
// PayloadKeep. Fields m already holds (defaults) are overwritten in place
// by those of the same name. Strings in m share rec's memory.
func (d *AccessDecoder) Decode(rec []byte, m *message.Message) error {
	s := unsafeString(rec)
	g, st := d.g, &d.st
	ok, err := g.Match(s, st)
	if err != nil {
		return err
	}
	if !ok {
		return decoder.ErrNoMatch
	}
	if d.opts.PayloadKeep {
		m.SetPayload(s)
	}
	m.Timestamp = 0
	if g.timeSlot >= 0 && st.vals[g.timeSlot].kind == vNum {
		m.Timestamp = luamsg.TruncInt64(st.vals[g.timeSlot].n)
	}
	var ua UserAgent
	transform := d.opts.UserAgentTransform && g.uaSlot >= 0 && st.vals[g.uaSlot].kind != vNone
	dropUA := false
	if transform {
		v := &st.vals[g.uaSlot]
		ua = NormalizeUserAgent(s[v.a:v.b])
		dropUA = !((d.opts.UserAgentConditional && ua.Browser == "") || d.opts.UserAgentKeep)
	}
	search := len(m.Fields) > 0
	for k, name := range g.names {
		v := &st.vals[k]
		switch {
		case v.kind == vNone, k == g.timeSlot, k == g.uaSlot && dropUA:
			continue
		case transform && (k == d.uaSlots[0] || k == d.uaSlots[1] || k == d.uaSlots[2]):
			d.setUA(m, name, ua, search)
			continue
		}
		st.setField(m, name, v, s, search)
	}
	if transform {
		for i, name := range [3]string{uaBrowserField, uaVersionField, uaOSField} {
			if d.uaSlots[i] < 0 {
				d.setUA(m, name, ua, true)
			}
		}
	}
	return nil
}

// setUA writes one of the transform's fields, unless the transform found
// nothing for it.
func (d *AccessDecoder) setUA(m *message.Message, name string, ua UserAgent, search bool) {
	switch name {
	case uaBrowserField:
		if ua.Browser != "" {
			f := field(m, name, search)
			f.Strings = append(f.Strings, ua.Browser)
		}
	case uaVersionField:
		if ua.HasVersion {
			f := field(m, name, search)
			f.Type = message.ValueDouble
			f.Doubles = append(f.Doubles, ua.Version)
		}
	case uaOSField:
		if ua.OS != "" {
			f := field(m, name, search)
			f.Strings = append(f.Strings, ua.OS)
		}
	}
}

// ErrorDecoder is decoders.nginx.error in Go.
type ErrorDecoder struct {
	st State
}

// Decode implements decoder.Decoder: Timestamp, Severity, Pid and Payload
// (the message) from the line, fields tid and connection (when present).
func (d *ErrorDecoder) Decode(rec []byte, m *message.Message) error {
	s := unsafeString(rec)
	st := &d.st
	ok, err := NginxError.Match(s, st)
	if err != nil {
		return err
	}
	if !ok {
		return decoder.ErrNoMatch
	}
	m.Timestamp = luamsg.TruncInt64(st.vals[errTime].n)
	m.SetPayload(s[st.vals[errMsg].a:st.vals[errMsg].b])
	m.SetSeverity(int32(luamsg.TruncInt64(st.vals[errSeverity].n)))
	m.SetPid(int32(luamsg.TruncInt64(st.vals[errPid].n)))
	search := len(m.Fields) > 0
	for _, k := range [...]int{errTid, errConnection} {
		if st.vals[k].kind != vNone {
			st.setField(m, NginxError.names[k], &st.vals[k], s, search)
		}
	}
	return nil
}

// accessConfig reads decoders_nginx_access (spec §6.4).
func accessConfig(L *lua.LState, module string) (string, AccessOptions, error) {
	key := configKey(module)
	cfg, err := decoder.ConfigTable(L, module)
	if err != nil {
		return "", AccessOptions{}, err
	}
	if cfg == nil {
		return "", AccessOptions{}, fmt.Errorf("%s must be a table", key)
	}
	format, ok := cfg.RawGetString("log_format").(lua.LString)
	if !ok {
		return "", AccessOptions{}, fmt.Errorf("%s.log_format must be a string (an nginx log_format)", key)
	}
	opts := AccessOptions{
		UserAgentTransform:   lua.LVAsBool(cfg.RawGetString("user_agent_transform")),
		UserAgentKeep:        lua.LVAsBool(cfg.RawGetString("user_agent_keep")),
		UserAgentConditional: lua.LVAsBool(cfg.RawGetString("user_agent_conditional")),
		PayloadKeep:          lua.LVAsBool(cfg.RawGetString("payload_keep")),
	}
	return string(format), opts, nil
}

// configKey is a module's config key: its name with '.' replaced by '_'.
func configKey(module string) string {
	b := []byte(module)
	for i := range b {
		if b[i] == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}

const (
	accessModule = "decoders.nginx.access"
	errorModule  = "decoders.nginx.error"
)

func accessFactory(L *lua.LState) (decoder.Decoder, error) {
	format, opts, err := accessConfig(L, accessModule)
	if err != nil {
		return nil, err
	}
	d, err := NewAccessDecoder(format, opts)
	if err != nil {
		return nil, fmt.Errorf("%s.log_format: %w", configKey(accessModule), err)
	}
	return d, nil
}

func errorFactory(*lua.LState) (decoder.Decoder, error) { return &ErrorDecoder{}, nil }
