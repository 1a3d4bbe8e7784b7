package runner

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/internal/atomicfile"
)

// The .rtc file (spec §2.8), <output_path>/<type>.<name>.rtc, is written
// every time a plugin starts: the config as the user wrote it, then the
// host's values, in Lua syntax, so that running it as a Lua chunk gives
// the table read_config sees. It is also how the thread an analysis plugin
// last ran on is remembered. A TOML config's "original configuration" is
// its table rendered in Lua syntax; a top-level key that is not a Lua
// name (a config runs without _G) is shown in a comment.

// Keys of the two override sections, in the reference's order.
var (
	rtcHostKeys    = []string{"Hostname", "Pid", "log_level", "path", "cpath"}
	rtcIOKeys      = []string{"output_path", "output_size", "max_message_size", "sandbox_load_path", "sandbox_run_path", "sandbox_install_path"}
	rtcSandboxKeys = []string{"Logger", "output_limit", "memory_limit", "instruction_limit", "ticker_interval", "preserve_data", "restricted_headers", "shutdown_on_terminate"}
	rtcAnalysisKey = []string{"thread", "process_message_inject_limit", "timer_event_inject_limit"}
	rtcOutputKeys  = []string{"async_buffer_size", "remove_checkpoints_on_terminate", "read_queue"}
)

// rtcPath returns the .rtc file of plugin key.
func (d *daemon) rtcPath(key cursor.Key) string {
	return filepath.Join(d.m.OutputPath, key.String()+".rtc")
}

// writeRTC writes the .rtc of a plugin about to start. A failure is
// logged: the plugin runs all the same.
func (d *daemon) writeRTC(p *plugin) {
	if err := atomicfile.WriteFile(d.rtcPath(p.key), rtcText(p.spec.orig, p.cfg), 0o640); err != nil {
		p.log.Warn("cannot write the .rtc file", "err", err)
	}
}

// rtcText is the text of a .rtc: the original configuration, then the
// host's values of cfg.Table.
func rtcText(orig []byte, cfg *config.Plugin) []byte {
	var b bytes.Buffer
	b.WriteString("-- original configuration\n")
	b.Write(orig)
	if len(orig) > 0 && orig[len(orig)-1] != '\n' {
		b.WriteByte('\n')
	}
	section := func(title string, keys ...[]string) {
		b.WriteString("\n-- " + title + "\n")
		for _, ks := range keys {
			for _, k := range ks {
				v, ok := cfg.Table.Get(k)
				if !ok {
					continue
				}
				s, isStr := v.(string)
				if isStr && k != "read_queue" {
					fmt.Fprintf(&b, "%s = %s\n", k, luaLongString(s))
				} else {
					fmt.Fprintf(&b, "%s = %s\n", k, luaValue(v))
				}
			}
		}
	}
	host := [][]string{rtcHostKeys}
	sb := [][]string{rtcSandboxKeys}
	switch cfg.Type {
	case config.Input:
		host = append(host, rtcIOKeys)
	case config.Analysis:
		sb = append(sb, rtcAnalysisKey)
	case config.Output:
		host = append(host, rtcIOKeys)
		sb = append(sb, rtcOutputKeys)
	}
	section("Hindsight defaults and overrides", host...)
	section("Sandbox defaults and overrides", sb...)
	b.WriteString("-- end Hindsight configuration\n")
	return b.Bytes()
}

// rtcOriginal returns the "original configuration" of the plugin config
// in file: a Lua-syntax config as written, a TOML one rendered in Lua
// syntax.
func rtcOriginal(file string) ([]byte, error) {
	src, err := readLimited(file, config.MaxFileSize)
	if err != nil {
		return nil, err
	}
	if filepath.Ext(file) != ".toml" {
		return src, nil
	}
	t, err := config.ParseTOML(file, src)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for k, v := range t.All() {
		name := k.Name()
		if isLuaName(name) {
			fmt.Fprintf(&b, "%s = %s\n", name, luaValue(v))
		} else {
			// A config runs with no library, _G included: such a key
			// cannot be set, only shown.
			fmt.Fprintf(&b, "-- [%s] = %s (not a Lua name: read_config only)\n", luaQuote(name), luaValue(v))
		}
	}
	return b.Bytes(), nil
}

// rtcThread returns the thread the previous .rtc of key names.
func (d *daemon) rtcThread(key cursor.Key) (int, bool) {
	src, err := readLimited(d.rtcPath(key), config.MaxFileSize)
	if err != nil {
		return 0, false
	}
	t, err := config.ParseLua(d.rtcPath(key), src, config.DefaultBudget)
	if err != nil {
		return 0, false
	}
	n, ok, err := t.GetUint("thread")
	if err != nil || !ok || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

// luaValue renders a config value as a Lua expression.
func luaValue(v config.Value) string {
	switch v := v.(type) {
	case string:
		return luaQuote(v)
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		switch {
		case math.IsNaN(v):
			return "(0/0)"
		case math.IsInf(v, 1):
			return "(1/0)"
		case math.IsInf(v, -1):
			return "(-1/0)"
		case v == math.Trunc(v) && math.Abs(v) < 1<<53:
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', 17, 64)
	case *config.Table:
		var parts []string
		for k, e := range v.All() {
			key := ""
			if i, isInt := k.Index(); isInt {
				key = "[" + strconv.FormatInt(i, 10) + "]"
			} else if isLuaName(k.Name()) {
				key = k.Name()
			} else {
				key = "[" + luaQuote(k.Name()) + "]"
			}
			parts = append(parts, key+" = "+luaValue(e))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "nil"
}

// luaQuote renders s as a double-quoted Lua 5.1 string.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			// A decimal escape, three digits so a digit after it stays
			// a digit.
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// luaLongString renders s as the reference writes the host's strings,
// [[...]], with as many '=' as it takes; quoted when it holds a line
// break (a long string drops a leading one).
func luaLongString(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return luaQuote(s)
	}
	eq := ""
	for strings.Contains(s+"]", "]"+eq+"]") {
		eq += "="
	}
	return "[" + eq + "[" + s + "]" + eq + "]"
}

// isLuaName reports whether s is a Lua name that is not a keyword.
func isLuaName(s string) bool {
	if s == "" || luaKeywords[s] {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

var luaKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true,
	"nil": true, "not": true, "or": true, "repeat": true, "return": true, "then": true,
	"true": true, "until": true, "while": true,
}
