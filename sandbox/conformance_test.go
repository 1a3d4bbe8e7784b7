package sandbox

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/message/matcher"
)

var updateConformance = flag.Bool("update", false, "rewrite testdata/conformance/*/expected.txt from the sandbox's behaviour")

const (
	conformanceDir = "testdata/conformance"

	// confNow is the sandbox's clock: a Timestamp of exactly this value was
	// filled in by the sandbox ("(now)" in transcripts).
	confNow = int64(1700000000123456789)
	// confTimerNs is the ns argument of timer_event (whole seconds).
	confTimerNs = int64(1700000001000000000)

	confHostname = "conformance.example"
	confPid      = 4242

	defaultRetries = 3
)

// TestConformance is the conformance suite: one small plugin per API
// function and per return code of the reference (spec §4), each in its own
// directory under testdata/conformance with the input it is fed and the
// transcript it must produce, run as a subtest each.
// testdata/conformance/README.md describes the layout, the messages.txt and
// steps.txt formats and the transcript.
//
// The expected transcripts are the spec, not a record of what the code
// does: -update rewrites them (except for KNOWN_BUG cases), and every
// rewrite is to be reviewed against §4 before it is kept. A case whose
// directory holds a KNOWN_BUG file documents a deviation of the sandbox
// from the reference: its expected.txt keeps the reference behaviour, the
// case is skipped while it fails, and fails once it passes (so the file is
// removed with the fix).
func TestConformance(t *testing.T) {
	entries, err := os.ReadDir(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runConformanceCase(t, name)
		})
	}
	if n == 0 {
		t.Fatal("no conformance cases")
	}
}

func runConformanceCase(t *testing.T, name string) {
	dir := filepath.Join(conformanceDir, name)
	known := ""
	if b, err := os.ReadFile(filepath.Join(dir, "KNOWN_BUG")); err == nil {
		known = strings.TrimSpace(string(b))
		if known == "" {
			t.Fatal("KNOWN_BUG is empty: say what the sandbox gets wrong")
		}
	}
	c := loadConfCase(t, name)
	got := c.run(t)

	wantFile := filepath.Join(dir, "expected.txt")
	want, err := os.ReadFile(wantFile)
	if *updateConformance && known == "" {
		if string(want) != got {
			if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s: review it against the spec", wantFile)
		}
		return
	}
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) == got {
		if known != "" {
			t.Errorf("the case passes although KNOWN_BUG says: %s\nremove %s", known, filepath.Join(dir, "KNOWN_BUG"))
		}
		return
	}
	if known != "" {
		t.Skipf("KNOWN_BUG: %s\n%s", known, lineDiff(string(want), got))
	}
	t.Errorf("transcript differs from %s:\n%s", wantFile, lineDiff(string(want), got))
}

// lineDiff shows where got departs from want, with some context, and got
// in full.
func lineDiff(want, got string) string {
	w := strings.Split(want, "\n")
	g := strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d\n", i+1)
	for j := max(0, i-3); j < i; j++ {
		fmt.Fprintf(&b, "  %s\n", g[j])
	}
	for j := i; j < min(len(w), i+4); j++ {
		fmt.Fprintf(&b, "- %s\n", w[j])
	}
	for j := i; j < min(len(g), i+4); j++ {
		fmt.Fprintf(&b, "+ %s\n", g[j])
	}
	b.WriteString("--- got in full ---\n")
	b.WriteString(got)
	return b.String()
}

// confCase is one case directory, parsed.
type confCase struct {
	name    string
	dir     string // relative to the package
	absDir  string
	typ     config.PluginType
	cfgFile string
	msgs    []confMessage
	steps   []confStep
	opts    confOptions
}

type confOptions struct {
	logLevel       int // the host's log_level: print works at 7
	retries        int // offers of one message before the driver gives up
	sortFields     bool
	maxMessageSize int
	quiet          bool              // count injected messages instead of rendering them
	uuids          map[[16]byte]bool // version 4 Uuids the plugin sets itself
}

type confMessage struct {
	index int // 1-based position in messages.txt after Repeat expansion
	raw   []byte
	view  *message.View
}

type confStep struct {
	line int
	cmd  string
	args []string
}

func loadConfCase(t *testing.T, name string) *confCase {
	t.Helper()
	c := &confCase{name: name, dir: filepath.Join(conformanceDir, name)}
	abs, err := filepath.Abs(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	c.absDir = abs
	prefix, _, ok := strings.Cut(name, "_")
	if !ok {
		t.Fatalf("case %q: name must be <type>_<case>", name)
	}
	if c.typ, err = config.ParsePluginType(prefix); err != nil {
		t.Fatalf("case %q: %v", name, err)
	}
	for _, f := range []string{"plugin.cfg", "plugin.toml"} {
		if _, err := os.Stat(filepath.Join(c.dir, f)); err == nil {
			c.cfgFile = filepath.Join(c.dir, f)
			break
		}
	}
	if c.cfgFile == "" {
		t.Fatalf("case %q has no plugin.cfg or plugin.toml", name)
	}
	c.opts = confOptions{logLevel: 7, retries: defaultRetries}
	if b, err := os.ReadFile(filepath.Join(c.dir, "messages.txt")); err == nil {
		if c.msgs, err = parseConfMessages(string(b)); err != nil {
			t.Fatalf("%s: %v", filepath.Join(c.dir, "messages.txt"), err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(c.dir, "steps.txt")); err == nil {
		if err := c.parseSteps(string(b)); err != nil {
			t.Fatalf("%s: %v", filepath.Join(c.dir, "steps.txt"), err)
		}
	}
	if len(c.steps) == 0 {
		switch c.typ {
		case config.Input:
			c.steps = []confStep{{cmd: "process", args: []string{"1"}}}
		case config.Analysis:
			c.steps = []confStep{{cmd: "messages"}, {cmd: "timer"}, {cmd: "timer", args: []string{"shutdown"}}}
		case config.Output:
			c.steps = []confStep{{cmd: "messages"}, {cmd: "timer", args: []string{"shutdown"}}}
		}
	}
	return c
}

// parseSteps reads steps.txt: options, which apply to the whole run, and
// the driver's actions, which replace the default sequence.
func (c *confCase) parseSteps(src string) error {
	for i, ln := range strings.Split(src, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" || strings.HasPrefix(ln, "#") {
			continue
		}
		f, err := splitTokens(ln)
		if err != nil {
			return fmt.Errorf("line %d: %v", i+1, err)
		}
		if f[0] == "option" {
			if len(f) < 2 {
				return fmt.Errorf("line %d: option needs a name", i+1)
			}
			if err := c.setOption(f[1], f[2:]); err != nil {
				return fmt.Errorf("line %d: %v", i+1, err)
			}
			continue
		}
		switch f[0] {
		case "process", "message", "messages", "timer", "stop", "checkpoint", "committable", "stats", "uuids", "restart":
		default:
			return fmt.Errorf("line %d: unknown step %q", i+1, f[0])
		}
		c.steps = append(c.steps, confStep{line: i + 1, cmd: f[0], args: f[1:]})
	}
	return nil
}

func (c *confCase) setOption(name string, args []string) error {
	num := func() (int, error) {
		if len(args) != 1 {
			return 0, fmt.Errorf("option %s takes one number", name)
		}
		return strconv.Atoi(args[0])
	}
	var err error
	switch name {
	case "log_level":
		c.opts.logLevel, err = num()
	case "retries":
		c.opts.retries, err = num()
	case "max_message_size":
		c.opts.maxMessageSize, err = num()
	case "sort_fields":
		c.opts.sortFields = true
	case "quiet_injects":
		c.opts.quiet = true
	case "uuid":
		s, _ := unquoted(strings.Join(args, " "))
		u, err := message.ParseUUID(s)
		if err != nil {
			return err
		}
		if c.opts.uuids == nil {
			c.opts.uuids = make(map[[16]byte]bool)
		}
		c.opts.uuids[u] = true
	default:
		return fmt.Errorf("unknown option %q", name)
	}
	return err
}

// splitTokens splits a line at spaces; a token starting with a double quote
// is a Go string literal and may contain spaces.
func splitTokens(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out, nil
		}
		if s[0] == '"' || strings.HasPrefix(s, `repr="`) {
			start := strings.IndexByte(s, '"')
			end := start + 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, fmt.Errorf("unterminated string in %q", s)
			}
			q, err := strconv.Unquote(s[start : end+1])
			if err != nil {
				return nil, fmt.Errorf("bad string %s: %v", s[start:end+1], err)
			}
			if start > 0 {
				q = s[:start] + q // repr=<value>
			} else {
				q = "\x00" + q // mark quoted tokens
			}
			out = append(out, q)
			s = s[end+1:]
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}

// unquoted strips the mark splitTokens puts on quoted tokens.
func unquoted(tok string) (string, bool) {
	if strings.HasPrefix(tok, "\x00") {
		return tok[1:], true
	}
	return tok, false
}

// parseConfMessages reads messages.txt: blocks of "Key: value" lines
// separated by blank lines (see README.md).
func parseConfMessages(src string) ([]confMessage, error) {
	var out []confMessage
	var cur *message.Message
	repeat := 1
	block := 0
	flush := func() error {
		if cur == nil {
			return nil
		}
		for range repeat {
			raw := cur.Encode()
			var v message.View
			if err := v.Reset(raw); err != nil {
				return fmt.Errorf("message block %d: %v", block, err)
			}
			out = append(out, confMessage{index: len(out) + 1, raw: raw, view: &v})
		}
		cur, repeat = nil, 1
		return nil
	}
	for i, ln := range strings.Split(src, "\n") {
		ln = strings.TrimRight(ln, " \t\r")
		if strings.HasPrefix(ln, "#") {
			continue
		}
		if ln == "" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if cur == nil {
			block++
			cur = &message.Message{Timestamp: int64(block) * 1_000_000_000}
			cur.Uuid = [16]byte{0, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0, 0, 0, 0, byte(block)}
		}
		key, val, ok := strings.Cut(ln, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want Key: value", i+1)
		}
		val = strings.TrimPrefix(val, " ")
		if strings.HasPrefix(val, `"`) {
			s, err := strconv.Unquote(val)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", i+1, err)
			}
			val = s
		}
		var err error
		switch key {
		case "Uuid":
			cur.Uuid, err = message.ParseUUID(val)
		case "Timestamp":
			cur.Timestamp, err = strconv.ParseInt(val, 10, 64)
		case "Type":
			cur.SetType(val)
		case "Logger":
			cur.SetLogger(val)
		case "Payload":
			cur.SetPayload(val)
		case "EnvVersion":
			cur.SetEnvVersion(val)
		case "Hostname":
			cur.SetHostname(val)
		case "Severity":
			var n int64
			n, err = strconv.ParseInt(val, 10, 32)
			cur.SetSeverity(int32(n))
		case "Pid":
			var n int64
			n, err = strconv.ParseInt(val, 10, 32)
			cur.SetPid(int32(n))
		case "Repeat":
			repeat, err = strconv.Atoi(val)
		case "Field":
			var f message.Field
			f, err = parseConfField(ln[len("Field:"):])
			cur.Fields = append(cur.Fields, f)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

var confTypes = map[string]message.ValueType{
	"string": message.ValueString, "bytes": message.ValueBytes, "integer": message.ValueInteger,
	"double": message.ValueDouble, "bool": message.ValueBool,
}

// parseConfField reads "name type [repr="r"] values...".
func parseConfField(s string) (message.Field, error) {
	var f message.Field
	toks, err := splitTokens(s)
	if err != nil {
		return f, err
	}
	if len(toks) < 2 {
		return f, errors.New("Field: want name, type and values")
	}
	f.Name, _ = unquoted(toks[0])
	typ, ok := confTypes[toks[1]]
	if !ok {
		return f, fmt.Errorf("unknown field type %q", toks[1])
	}
	f.Type = typ
	for _, tok := range toks[2:] {
		if r, ok := strings.CutPrefix(tok, "repr="); ok {
			f.Representation = r
			continue
		}
		str, quoted := unquoted(tok)
		switch typ {
		case message.ValueString, message.ValueBytes:
			if !quoted {
				return f, fmt.Errorf("string value %s must be quoted", tok)
			}
			if typ == message.ValueString {
				f.Strings = append(f.Strings, str)
			} else {
				f.Bytes = append(f.Bytes, []byte(str))
			}
		case message.ValueInteger:
			n, err := strconv.ParseInt(str, 10, 64)
			if err != nil {
				return f, err
			}
			f.Integers = append(f.Integers, n)
		case message.ValueDouble:
			d, err := strconv.ParseFloat(str, 64)
			if err != nil {
				return f, err
			}
			f.Doubles = append(f.Doubles, d)
		case message.ValueBool:
			b, err := strconv.ParseBool(str)
			if err != nil {
				return f, err
			}
			f.Bools = append(f.Bools, b)
		}
	}
	return f, nil
}

// transcript collects what the driver records, in order.
type transcript struct {
	mu    sync.Mutex
	b     strings.Builder
	clean *strings.Replacer
}

func (tr *transcript) printf(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.b.WriteString(tr.clean.Replace(fmt.Sprintf(format, args...)))
	tr.b.WriteByte('\n')
}

func (tr *transcript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.b.String()
}

// confLog records the plugin's log: print lines (debug) and anything else.
type confLog struct {
	tr    *transcript
	level slog.Level
}

func (h *confLog) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *confLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelDebug {
		h.tr.printf("print: %s", strconv.Quote(r.Message))
		return nil
	}
	var attrs []string
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a.String())
		return true
	})
	h.tr.printf("log %s: %s %s", r.Level, r.Message, strings.Join(attrs, " "))
	return nil
}

func (h *confLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *confLog) WithGroup(string) slog.Handler      { return h }

// confHost records injected messages and checkpoints.
type confHost struct {
	tr         *transcript
	n          int
	lastCP     Checkpoint // handed back to the next process_message
	uuids      [][16]byte // generated Uuids seen
	sortFields bool
	quiet      bool
	known      map[[16]byte]bool
}

// generated reports whether u is a Uuid the sandbox made: a version 4 one
// the case did not declare as its own.
func (h *confHost) generated(u [16]byte) bool {
	return u[6]>>4 == 4 && !h.known[u]
}

func (h *confHost) Inject(raw []byte, cp Checkpoint) error {
	if cp.Kind != CheckpointNone {
		h.lastCP = cp
	}
	if raw == nil {
		h.tr.printf("inject: checkpoint %s", fmtCheckpoint(cp))
		return nil
	}
	h.n++
	var m message.Message
	if err := message.Decode(raw, &m); err != nil {
		h.tr.printf("inject #%d: INVALID MESSAGE (%v) %x", h.n, err, raw)
		return nil
	}
	generated := h.generated(m.Uuid)
	if generated {
		h.uuids = append(h.uuids, m.Uuid)
	}
	if h.quiet {
		return nil
	}
	head := fmt.Sprintf("inject #%d", h.n)
	if cp.Kind != CheckpointNone {
		head += ", checkpoint " + fmtCheckpoint(cp)
	}
	h.tr.printf("%s:", head)
	h.tr.printf("%s", renderMessage(&m, raw, generated, h.sortFields))
	return nil
}

func fmtCheckpoint(cp Checkpoint) string {
	switch cp.Kind {
	case CheckpointNumber:
		return "number " + strconv.FormatFloat(cp.Number, 'g', -1, 64)
	case CheckpointString:
		if len(cp.String) > 80 {
			return fmt.Sprintf("string of %d bytes", len(cp.String))
		}
		return "string " + strconv.Quote(cp.String)
	}
	return "nil"
}

// renderMessage renders a message in the transcript form: the headers
// present, fields in order, and the raw bytes when the message is fully
// determined by the plugin (its Uuid not generated, its Timestamp not
// "now").
func renderMessage(m *message.Message, raw []byte, generated, sortFields bool) string {
	var b strings.Builder
	if generated {
		b.WriteString("  Uuid: (generated)\n")
	} else {
		fmt.Fprintf(&b, "  Uuid: %s\n", message.FormatUUID(m.Uuid))
	}
	if m.Timestamp == confNow {
		b.WriteString("  Timestamp: (now)\n")
	} else {
		fmt.Fprintf(&b, "  Timestamp: %d\n", m.Timestamp)
	}
	if m.Has&message.HasType != 0 {
		fmt.Fprintf(&b, "  Type: %q\n", m.Type)
	}
	if m.Has&message.HasLogger != 0 {
		fmt.Fprintf(&b, "  Logger: %q\n", m.Logger)
	}
	if m.Has&message.HasSeverity != 0 {
		fmt.Fprintf(&b, "  Severity: %d\n", m.Severity)
	}
	if m.Has&message.HasPayload != 0 {
		fmt.Fprintf(&b, "  Payload: %q\n", m.Payload)
	}
	if m.Has&message.HasEnvVersion != 0 {
		fmt.Fprintf(&b, "  EnvVersion: %q\n", m.EnvVersion)
	}
	if m.Has&message.HasPid != 0 {
		fmt.Fprintf(&b, "  Pid: %d\n", m.Pid)
	}
	if m.Has&message.HasHostname != 0 {
		fmt.Fprintf(&b, "  Hostname: %q\n", m.Hostname)
	}
	fields := m.Fields
	if sortFields {
		fields = slices.Clone(fields)
		slices.SortStableFunc(fields, func(a, b message.Field) int { return strings.Compare(a.Name, b.Name) })
	}
	for _, f := range fields {
		fmt.Fprintf(&b, "  Field %q %s", f.Name, confTypeName(f.Type))
		if f.Representation != "" {
			fmt.Fprintf(&b, " repr=%q", f.Representation)
		}
		var vals []string
		for _, s := range f.Strings {
			vals = append(vals, strconv.Quote(s))
		}
		for _, s := range f.Bytes {
			vals = append(vals, strconv.Quote(string(s)))
		}
		for _, n := range f.Integers {
			vals = append(vals, strconv.FormatInt(n, 10))
		}
		for _, d := range f.Doubles {
			vals = append(vals, strconv.FormatFloat(d, 'g', -1, 64))
		}
		for _, v := range f.Bools {
			vals = append(vals, strconv.FormatBool(v))
		}
		if len(vals) == 0 {
			b.WriteString(": (no values)\n")
		} else {
			fmt.Fprintf(&b, ": %s\n", strings.Join(vals, ", "))
		}
	}
	if !generated && m.Timestamp != confNow && !sortFields {
		fmt.Fprintf(&b, "  raw: %s\n", hex.EncodeToString(raw))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func confTypeName(t message.ValueType) string {
	for name, v := range confTypes {
		if v == t {
			return name
		}
	}
	return fmt.Sprintf("type(%d)", t)
}

func fmtStatus(status int, msg string) string {
	if msg == "" {
		return strconv.Itoa(status)
	}
	return fmt.Sprintf("%d %q", status, msg)
}

// run loads the case's plugin and drives it, returning the transcript.
func (c *confCase) run(t *testing.T) string {
	outputPath := t.TempDir()
	tr := &transcript{clean: strings.NewReplacer(
		c.dir+string(filepath.Separator), ".../",
		c.absDir, "$CASE",
		outputPath, "$OUTPUT_PATH",
	)}
	host := &confHost{tr: tr, sortFields: c.opts.sortFields, quiet: c.opts.quiet, known: c.opts.uuids}

	cfg, err := config.LoadPlugin(c.cfgFile, c.typ, nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	// The reserved keys the host adds (spec §3.2, §2.8).
	tab := cfg.Table
	tab.Set("Logger", c.typ.String()+"."+cfg.Name)
	tab.Set("Hostname", confHostname)
	tab.Set("Pid", float64(confPid))
	tab.Set("path", filepath.Join(c.absDir, "?.lua"))
	tab.Set("cpath", filepath.Join(c.absDir, "?.so"))
	tab.Set("log_level", float64(c.opts.logLevel))
	if c.typ != config.Analysis {
		mms := 64 * 1024
		if c.opts.maxMessageSize > 0 {
			mms = c.opts.maxMessageSize
		}
		tab.Set("output_path", outputPath)
		tab.Set("output_size", float64(64*1024*1024))
		tab.Set("max_message_size", float64(mms))
		tab.Set("sandbox_load_path", "load")
		tab.Set("sandbox_run_path", "run")
		tab.Set("sandbox_install_path", "/usr/share/luasandbox/sandboxes/heka")
	}
	level := slog.LevelDebug
	if c.opts.logLevel < 7 {
		level = slog.LevelInfo
	}
	var mm *matcher.Matcher
	if c.typ != config.Input {
		if mm, err = matcher.Compile(cfg.MessageMatcher); err != nil {
			t.Fatalf("message_matcher: %v", err)
		}
	}

	d := &confDriver{c: c, tr: tr, host: host, mm: mm, opts: Options{
		Plugin:    cfg,
		LuaFile:   filepath.Join(c.dir, cfg.Filename),
		Host:      host,
		Logger:    slog.New(&confLog{tr: tr, level: level}),
		Now:       func() time.Time { return time.Unix(0, confNow) },
		StateFile: filepath.Join(outputPath, c.typ.String()+"."+cfg.Name+".data"),
	}}
	defer func() {
		if d.s != nil {
			d.s.Close(false)
		}
	}()
	if !d.load(t) {
		return tr.String()
	}
	for i := 0; i < len(c.steps); i++ {
		if d.step(t, c.steps[i]) {
			continue
		}
		if d.s == nil {
			break // a restart failed to load the plugin
		}
		// Terminated: the run goes on at the next restart, if any.
		j := slices.IndexFunc(c.steps[i+1:], func(st confStep) bool { return st.cmd == "restart" })
		if j < 0 {
			break
		}
		i += j
	}
	return tr.String()
}

// confDriver runs the steps against one sandbox.
type confDriver struct {
	c    *confCase
	opts Options
	s    *Sandbox
	tr   *transcript
	host *confHost
	mm   *matcher.Matcher
	next int // next message to feed (0-based)
}

// load creates the sandbox and reports whether that worked.
func (d *confDriver) load(t *testing.T) bool {
	s, err := New(d.opts)
	if err != nil {
		var te *TerminatedError
		if errors.As(err, &te) {
			d.tr.printf("load failed: %s", te.Reason)
			return false
		}
		t.Fatalf("New: %v", err)
	}
	d.s = s
	d.tr.printf("loaded")
	return true
}

// restart closes the sandbox as a clean stop does (preserving its data if
// it is configured to and was not terminated), records the state file,
// and creates the plugin again.
func (d *confDriver) restart(t *testing.T) bool {
	err := d.s.Close(true)
	d.s = nil
	if err != nil {
		d.tr.printf("closed: %v", err)
	} else {
		d.tr.printf("closed")
	}
	b, err := os.ReadFile(d.opts.StateFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		d.tr.printf("state file: none")
	case err != nil:
		t.Fatal(err)
	default:
		// The guard line first, then the globals, whose order the
		// reference leaves to its hash tables: sorted.
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		slices.Sort(lines[1:])
		d.tr.printf("state file:")
		for _, ln := range lines {
			d.tr.printf("  %s", ln)
		}
	}
	d.next = 0
	return d.load(t)
}

// ended records err (a termination or a refused call) and reports whether
// the run goes on.
func (d *confDriver) ended(err error) bool {
	if err == nil {
		return true
	}
	var te *TerminatedError
	if errors.As(err, &te) {
		d.tr.printf("terminated: %s", te.Reason)
	} else {
		d.tr.printf("error: %v", err)
	}
	return false
}

func (d *confDriver) step(t *testing.T, st confStep) bool {
	arg := func(i int) string {
		if i < len(st.args) {
			return st.args[i]
		}
		return ""
	}
	count := func() int {
		if len(st.args) == 0 {
			return 1
		}
		n, err := strconv.Atoi(st.args[0])
		if err != nil {
			t.Fatalf("steps.txt:%d: %v", st.line, err)
		}
		return n
	}
	switch st.cmd {
	case "process":
		for range count() {
			cp := d.host.lastCP
			status, msg, err := d.s.ProcessInput(cp)
			if err == nil {
				d.tr.printf("process_message(%s) -> %s", fmtCheckpoint(cp), fmtStatus(status, msg))
			}
			if !d.ended(err) {
				return false
			}
		}
	case "messages":
		for d.next < len(d.c.msgs) {
			if !d.feed(t, d.next) {
				return false
			}
		}
	case "message":
		n := count()
		if n < 1 || n > len(d.c.msgs) {
			t.Fatalf("steps.txt:%d: no message %d", st.line, n)
		}
		d.next = n - 1
		return d.feed(t, d.next)
	case "timer":
		shutdown := arg(0) == "shutdown"
		err := d.s.TimerEvent(confTimerNs, shutdown)
		if err == nil {
			d.tr.printf("timer_event(%d, %t) -> ok", confTimerNs, shutdown)
		}
		if !d.ended(err) {
			return false
		}
		if d.c.typ == config.Output {
			d.committable()
		}
	case "stop":
		d.s.Stop()
		d.tr.printf("stop requested")
	case "checkpoint":
		switch arg(0) {
		case "nil":
			d.host.lastCP = Checkpoint{}
		case "number":
			f, err := strconv.ParseFloat(arg(1), 64)
			if err != nil {
				t.Fatalf("steps.txt:%d: %v", st.line, err)
			}
			d.host.lastCP = Checkpoint{Kind: CheckpointNumber, Number: f}
		case "string":
			s, _ := unquoted(arg(1))
			d.host.lastCP = Checkpoint{Kind: CheckpointString, String: s}
		default:
			t.Fatalf("steps.txt:%d: checkpoint nil|number N|string \"s\"", st.line)
		}
		d.tr.printf("checkpoint set to %s", fmtCheckpoint(d.host.lastCP))
	case "restart":
		return d.restart(t)
	case "committable":
		d.committable()
	case "stats":
		st := d.s.Stats()
		d.tr.printf("stats: process_message_count=%d process_message_failures=%d inject_message_count=%d",
			st.ProcessMessageCount, st.ProcessMessageFailures, st.InjectMessageCount)
	case "uuids":
		version, variant := 0, 0
		for _, u := range d.host.uuids {
			if u[6]>>4 == 4 {
				version++
			}
			if u[8]>>4 == 0xa {
				variant++
			}
		}
		d.tr.printf("generated uuids: %d, byte 6 = 4x: %d, byte 8 = ax: %d", len(d.host.uuids), version, variant)
	}
	return true
}

// feed offers message i (0-based) to an analysis or output plugin.
func (d *confDriver) feed(t *testing.T, i int) bool {
	m := d.c.msgs[i]
	d.next = i + 1
	pos := m.index
	if !d.mm.Match(m.view) {
		d.tr.printf("message %d: not matched", pos)
		if d.c.typ == config.Output {
			d.s.SkipOutput(pos)
			d.committable()
		}
		return true
	}
	if d.c.typ == config.Analysis {
		status, msg, err := d.s.ProcessMessage(m.view)
		if err == nil {
			d.tr.printf("message %d: process_message() -> %s", pos, fmtStatus(status, msg))
		}
		return d.ended(err)
	}
	for offer := 1; ; offer++ {
		res, err := d.s.ProcessOutput(m.view, pos)
		if err != nil {
			return d.ended(err)
		}
		note := ""
		switch {
		case res.RingFull:
			note = " (not accepted: async ring full, offer again)"
		case res.Retry:
			note = " (offer again)"
		}
		d.tr.printf("message %d: process_message() -> %s%s", pos, fmtStatus(res.Status, res.Message), note)
		if !res.Retry {
			break
		}
		if offer >= d.c.opts.retries {
			d.tr.printf("message %d: driver gave up after %d offers", pos, offer)
			break
		}
	}
	d.committable()
	return true
}

func (d *confDriver) committable() {
	pos, ok := d.s.Committable()
	s := "none"
	if ok {
		s = fmt.Sprint(pos)
	}
	d.tr.printf("committable: %s", s)
}
