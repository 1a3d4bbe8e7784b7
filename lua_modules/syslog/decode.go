package syslog

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// DecoderName is the module and decoder name of the syslog decoder.
const DecoderName = "decoders.syslog"

// Templates are rsyslog's built-in templates (rsyslog runtime/rsconf.c),
// by name; a template config value that is one of these names stands for
// its text. RFC5424 is RSYSLOG_SyslogProtocol23Format without its trailing
// line feed, so that records whose framing removed it match.
var Templates = map[string]string{
	"RSYSLOG_TraditionalForwardFormat": "<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%",
	"RSYSLOG_ForwardFormat":            "<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%",
	"RSYSLOG_SyslogProtocol23Format":   "<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %msg%\n",
	"RSYSLOG_TraditionalFileFormat":    "%TIMESTAMP% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n",
	"RSYSLOG_FileFormat":               "%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n",
	"RSYSLOG_SysklogdFileFormat":       "%TIMESTAMP% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg%\n",
	"RFC5424":                          "<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %msg%",
}

// DefaultTemplate is decoders.syslog's template when its config gives
// none: RSYSLOG_TraditionalForwardFormat.
const DefaultTemplate = "RSYSLOG_TraditionalForwardFormat"

// ListenerTemplates are the templates the syslog listener tries, in
// order, when its decoders_syslog config gives none: RFC 5424, then RFC
// 3164 with an RFC 3339 timestamp, then plain RFC 3164.
var ListenerTemplates = []string{"RFC5424", "RSYSLOG_ForwardFormat", "RSYSLOG_TraditionalForwardFormat"}

// Error is a decode failure, reading "<prefix> <err>" as the reference's
// ("decoders.syslog parse failed", "decoders.syslog.nginx parse failed").
type Error struct {
	Prefix string
	Err    error
}

func (e *Error) Error() string { return e.Prefix + " " + e.Err.Error() }

// Unwrap returns the cause (decoder.ErrNoMatch when nothing matched).
func (e *Error) Unwrap() error { return e.Err }

// Config is decoders.syslog's configuration (the decoders_syslog table).
type Config struct {
	// Templates are tried in order; the first that matches decodes the
	// record. Names of Templates stand for their text.
	Templates []string
	// SubDecoders maps a programname ("*": any other) to a Go decoder's
	// name.
	SubDecoders map[string]string
	// PayloadKeep keeps the whole record as Payload when a sub-decoder
	// takes the message (payload_keep, or keep_data).
	PayloadKeep bool
}

// Decoder is the Go decoders.syslog: see the package documentation.
type Decoder struct {
	templates []*Template
	subs      map[string]decoder.Decoder
	def       decoder.Decoder
	keep      bool

	caps Captures
	strs []string  // value storage of the fields it adds
	dbls []float64 // (see Decode)
}

// CompileTemplates compiles templates, resolving built-in names.
func CompileTemplates(templates []string) ([]*Template, error) {
	out := make([]*Template, 0, len(templates))
	for _, t := range templates {
		if text, ok := Templates[t]; ok {
			t = text
		}
		c, err := Compile(t)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// NewDecoder builds a decoder from cfg; sub-decoders are built by sub.
func NewDecoder(cfg Config, sub func(name string) (decoder.Decoder, error)) (*Decoder, error) {
	if len(cfg.Templates) == 0 {
		cfg.Templates = []string{DefaultTemplate}
	}
	ts, err := CompileTemplates(cfg.Templates)
	if err != nil {
		return nil, fmt.Errorf("decoders_syslog.template: %w", err)
	}
	d := &Decoder{templates: ts, keep: cfg.PayloadKeep}
	names := make([]string, 0, len(cfg.SubDecoders))
	for k := range cfg.SubDecoders {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, prog := range names {
		sd, err := sub(cfg.SubDecoders[prog])
		if err != nil {
			return nil, fmt.Errorf("decoders_syslog.sub_decoders.%s: %w", prog, err)
		}
		if prog == "*" {
			d.def = sd
			continue
		}
		if d.subs == nil {
			d.subs = make(map[string]decoder.Decoder)
		}
		d.subs[prog] = sd
	}
	return d, nil
}

// factory is decoders.syslog's decoder.Factory.
func factory(L *lua.LState) (decoder.Decoder, error) {
	t, err := decoder.ConfigTable(L, DecoderName)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig(t)
	if err != nil {
		return nil, err
	}
	return NewDecoder(cfg, subDecoder(L))
}

// subDecoder returns the function that builds the Go sub-decoders of the
// plugin running L.
func subDecoder(L *lua.LState) func(name string) (decoder.Decoder, error) {
	return func(name string) (decoder.Decoder, error) {
		if !strings.HasPrefix(name, "decoders.") {
			return nil, fmt.Errorf("%q is not a decoder module: only Go decoders can follow decoders.syslog outside Lua (grammar sub-decoders need the Lua decoders.syslog)", name)
		}
		if _, ok := decoder.Lookup(name); !ok {
			return nil, fmt.Errorf("%q has no Go decoder: only Go decoders can follow decoders.syslog outside Lua (registered: %s)",
				name, strings.Join(decoder.Names(), ", "))
		}
		return decoder.New(L, name)
	}
}

// ParseConfig reads a decoders_syslog table (nil: the defaults).
func ParseConfig(t *lua.LTable) (Config, error) {
	var cfg Config
	if t == nil {
		return cfg, nil
	}
	switch v := t.RawGetString("template").(type) {
	case *lua.LNilType:
	case lua.LString:
		cfg.Templates = []string{string(v)}
	case *lua.LTable:
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				return cfg, fmt.Errorf("decoders_syslog.template[%d] must be a string", i)
			}
			cfg.Templates = append(cfg.Templates, string(s))
		}
		if len(cfg.Templates) == 0 {
			return cfg, fmt.Errorf("decoders_syslog.template must not be empty")
		}
	default:
		return cfg, fmt.Errorf("decoders_syslog.template must be a string or an array of strings, not %s", v.Type())
	}
	switch v := t.RawGetString("sub_decoders").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		var err error
		v.ForEach(func(k, sv lua.LValue) {
			if err != nil {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				err = fmt.Errorf("decoders_syslog.sub_decoders keys must be program names")
				return
			}
			s, ok := sv.(lua.LString)
			if !ok {
				err = fmt.Errorf("decoders_syslog.sub_decoders.%s: printf grammar entries are not supported; give a decoder module name", ks)
				return
			}
			if cfg.SubDecoders == nil {
				cfg.SubDecoders = make(map[string]string)
			}
			cfg.SubDecoders[string(ks)] = string(s)
		})
		if err != nil {
			return cfg, err
		}
	default:
		return cfg, fmt.Errorf("decoders_syslog.sub_decoders must be a table, not %s", v.Type())
	}
	cfg.PayloadKeep = lua.LVAsBool(t.RawGetString("payload_keep")) || lua.LVAsBool(t.RawGetString("keep_data"))
	return cfg, nil
}

// Match matches rec against the templates in order and returns the
// captures of the first that matches (valid until the next call).
func (d *Decoder) Match(rec string) (*Captures, error) {
	for _, t := range d.templates {
		ok, err := t.Match(rec, 0, &d.caps)
		if err != nil {
			return nil, &Error{Prefix: DecoderName, Err: err}
		}
		if ok {
			return &d.caps, nil
		}
	}
	return nil, &Error{Prefix: DecoderName, Err: decoder.ErrNoMatch}
}

// Decode is decoder.Decoder's: it sets Severity, Pid, Timestamp, Hostname,
// Payload and the fields of rec on m as the Lua decoders.syslog sets them
// on a copy of its default headers, or hands the msg part to the
// sub-decoder of the programname. The values of the fields it adds live in
// storage of d reused by the next Decode: encode m before calling Decode
// again.
func (d *Decoder) Decode(rec []byte, m *message.Message) error {
	c, err := d.Match(string(rec))
	if err != nil {
		return err
	}
	d.strs, d.dbls = d.strs[:0], d.dbls[:0]
	if pri, ok := c.Get("pri"); ok {
		m.SetSeverity(int32(pri.Num2))
		c.Set(Capture{Name: "syslogfacility", Kind: Number, Num: pri.Num})
		c.Delete("pri")
	} else {
		m.Severity, m.Has = message.DefaultSeverity, m.Has&^message.HasSeverity
		for _, n := range [...]string{"syslogseverity", "syslogseverity-text", "syslogpriority", "syslogpriority-text"} {
			if v, ok := c.Get(n); ok && m.Has&message.HasSeverity == 0 && v.Kind == Number {
				m.SetSeverity(int32(luamsg.TruncInt64(v.Num)))
			}
		}
		for _, n := range [...]string{"syslogseverity", "syslogseverity-text", "syslogpriority", "syslogpriority-text"} {
			c.Delete(n)
		}
	}
	program := ""
	if tag, ok := c.Get("syslogtag"); ok {
		program = tag.Str
		pid, hasPid := tag.Num, tag.HasPid
		c.Set(Capture{Name: "programname", Kind: String, Str: program})
		if hasPid {
			m.SetPid(int32(luamsg.TruncInt64(pid)))
		} else {
			m.Pid, m.Has = 0, m.Has&^message.HasPid
		}
		c.Delete("syslogtag")
	}
	m.Timestamp = 0
	if ts, ok := c.Get("timestamp"); ok && ts.Kind == Number {
		m.Timestamp = luamsg.TruncInt64(ts.Num)
	}
	c.Delete("timestamp")
	m.Hostname, m.Has = "", m.Has&^message.HasHostname
	for _, n := range [...]string{"hostname", "source"} {
		if h, ok := c.Get(n); ok && h.Kind == String {
			m.SetHostname(h.Str)
			break
		}
	}
	c.Delete("hostname")
	c.Delete("source")
	payload, hasPayload := "", false
	if p, ok := c.Get("msg"); ok {
		payload, hasPayload = p.Str, true
	}
	c.Delete("msg")
	if sd, ok := c.Get("structured-data"); ok && sd.Kind == SD {
		c.Delete("structured-data")
		if sd := sd.SD; len(sd.IDs) > 0 {
			c.Set(Capture{Name: "sd_id", Kind: SD, SD: sd})
			for _, p := range sd.Params {
				c.Set(Capture{Name: p.Name, Kind: String, Str: p.Value})
			}
		}
	}
	for i := range c.Len() {
		cp, ok := c.At(i)
		if ok {
			d.addField(m, cp)
		}
	}
	sub := d.def
	if s, ok := d.subs[program]; ok {
		sub = s
	}
	if sub != nil {
		if d.keep {
			m.SetPayload(string(rec))
		}
		if err := sub.Decode([]byte(payload), m); err != nil {
			return &Error{Prefix: DecoderName + "." + program, Err: err}
		}
		return nil
	}
	if hasPayload {
		m.SetPayload(payload)
	} else {
		m.Payload, m.Has = "", m.Has&^message.HasPayload
	}
	return nil
}

// addField sets the field of a capture on m, replacing a field of the same
// name in place (as add_fields assigns msg.Fields[k]).
func (d *Decoder) addField(m *message.Message, cp *Capture) {
	f := message.Field{Name: cp.Name}
	switch cp.Kind {
	case String:
		d.strs = append(d.strs, cp.Str)
		f.Strings = d.strs[len(d.strs)-1 : len(d.strs) : len(d.strs)]
	case Number:
		f.Type = message.ValueDouble
		d.dbls = append(d.dbls, cp.Num)
		f.Doubles = d.dbls[len(d.dbls)-1 : len(d.dbls) : len(d.dbls)]
	case SD: // sd_id: the element ids
		n := len(d.strs)
		d.strs = append(d.strs, cp.SD.IDs...)
		f.Strings = d.strs[n:len(d.strs):len(d.strs)]
	default: // a table the Lua path would encode as an empty field
	}
	for i := range m.Fields {
		if m.Fields[i].Name == cp.Name {
			m.Fields[i] = f
			return
		}
	}
	m.Fields = append(m.Fields, f)
}
