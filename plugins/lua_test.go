package plugins_test

// Tests of the standard plugins stdin.lua, heka_file.lua, process.lua,
// counter.lua and http_status.lua run in a sandbox with a host that keeps
// what they inject. Their examples (testdata/examples, testdata/stdin)
// run them in the real binary.

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sightline/sightline/config"
	_ "github.com/sightline/sightline/lua_modules"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/plugins"
	"github.com/sightline/sightline/sandbox"
)

// ltHost keeps what a plugin injects.
type ltHost struct {
	mu   sync.Mutex
	msgs []*message.Message
	cps  []sandbox.Checkpoint
}

func (h *ltHost) Inject(msg []byte, cp sandbox.Checkpoint) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cp.Kind != sandbox.CheckpointNone {
		h.cps = append(h.cps, cp)
	}
	if msg == nil {
		return nil
	}
	var m message.Message
	if err := message.Decode(append([]byte(nil), msg...), &m); err != nil {
		return err
	}
	h.msgs = append(h.msgs, &m)
	return nil
}

// ltLoad creates the standard plugin file of type typ with the config
// keys, and a state file for preserve_data.
func ltLoad(t *testing.T, typ config.PluginType, file string, keys map[string]any, state string) (*sandbox.Sandbox, *ltHost, error) {
	t.Helper()
	src, name, ok := plugins.Source(typ.String(), file)
	if !ok {
		t.Fatalf("no embedded %s/%s", typ, file)
	}
	tab := config.NewTable(filepath.Join(t.TempDir(), "p.toml"))
	tab.Set("filename", file)
	if typ != config.Input {
		tab.Set("message_matcher", "TRUE")
	}
	for k, v := range keys {
		tab.Set(k, ltValue(v))
	}
	cfg, err := config.NewPlugin(typ, tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &ltHost{}
	s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: name, Source: src, Host: h, StateFile: state})
	if err == nil {
		t.Cleanup(func() { _ = s.Close(false) })
	}
	return s, h, err
}

// ltValue turns []any and map[string]any into config tables.
func ltValue(v any) config.Value {
	switch v := v.(type) {
	case []any:
		t := config.NewTable("")
		for i, e := range v {
			t.Put(config.Entry{Key: config.IntKey(int64(i + 1)), Value: ltValue(e)})
		}
		return t
	case map[string]any:
		t := config.NewTable("")
		for k, e := range v {
			t.Set(k, ltValue(e))
		}
		return t
	}
	return v
}

// TestConfigErrors: bad keys stop the plugin at load, with the key named.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		typ  config.PluginType
		file string
		keys map[string]any
		want string
	}{
		{config.Input, "stdin.lua", map[string]any{"format": "json"}, `format: "json" is not`},
		{config.Input, "stdin.lua", map[string]any{"input_filename": "x"}, "input_filename: stdin.lua reads standard input"},
		{config.Input, "stdin.lua", map[string]any{"delimiter": ""}, "delimiter: must be"},
		{config.Input, "stdin.lua", map[string]any{"decoder_module": "decoders.nope"}, "decoder_module: "},
		{config.Input, "stdin.lua", map[string]any{"default_headers": "Type"}, "default_headers: must be a table"},
		{config.Input, "heka_file.lua", map[string]any{"input_filename": ""}, "input_filename: must be"},
		{config.Input, "process.lua", map[string]any{}, "command: must be a non-empty array"},
		{config.Input, "process.lua", map[string]any{"command": "ls -l"}, "command: must be an array of arguments"},
		{config.Input, "process.lua", map[string]any{"command": []any{"ls", true}}, "command: argument 2 is a boolean"},
		{config.Input, "process.lua", map[string]any{"command": []any{"ls"}, "shell": true}, "command: with shell = true"},
		{config.Input, "process.lua", map[string]any{"command": []any{"ls"}, "timeout": -1.0}, "timeout: must be"},
		{config.Input, "process.lua", map[string]any{"command": []any{"ls"}, "max_stderr": 1e6}, "max_stdout: max_message_size leaves no room"},
		{config.Input, "process.lua", map[string]any{"command": []any{"ls"}, "env": "A=1"}, "env: must be a table"},
		{config.Analysis, "counter.lua", map[string]any{"max_types": 0.0}, "max_types: must be"},
		{config.Analysis, "http_status.lua", map[string]any{"rows": 1.5}, "rows: must be"},
		{config.Analysis, "http_status.lua", map[string]any{"sec_per_row": 0.0}, "sec_per_row: must be"},
	} {
		_, _, err := ltLoad(t, tc.typ, tc.file, tc.keys, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want %q", tc.file, tc.keys, err, tc.want)
		}
	}
}

// ltFrames returns n framed messages with payloads "m<i>", and the end
// offset of each frame.
func ltFrames(n int) ([]byte, []int) {
	var b []byte
	var ends []int
	for i := range n {
		var m message.Message
		m.Uuid = message.NewUUID()
		m.Timestamp = int64(i + 1)
		m.SetPayload("m" + string(rune('0'+i)))
		b = message.AppendFrame(b, m.Encode())
		ends = append(ends, len(b))
	}
	return b, ends
}

func ltPayloads(h *ltHost) string {
	var p []string
	for _, m := range h.msgs {
		p = append(p, m.Payload)
	}
	return strings.Join(p, ",")
}

// TestHekaFile: checkpoints are byte offsets, a resumed read goes on from
// the checkpoint, a checkpoint past the end reads the file again, trailing
// garbage is checkpointed, a missing file is -1.
func TestHekaFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.hpb")
	data, ends := ltFrames(3)
	data = append(data, "trailing garbage"...)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, h, err := ltLoad(t, config.Input, "heka_file.lua", map[string]any{"input_filename": file}, "")
	if err != nil {
		t.Fatal(err)
	}
	status, msg, err := s.ProcessInput(sandbox.Checkpoint{})
	if err != nil || status != 0 || msg != "" {
		t.Fatalf("process_message: %d %q %v", status, msg, err)
	}
	if got := ltPayloads(h); got != "m0,m1,m2" {
		t.Errorf("payloads %q", got)
	}
	var cps []float64
	for _, cp := range h.cps {
		cps = append(cps, cp.Number)
	}
	want := []float64{float64(ends[0]), float64(ends[1]), float64(ends[2]), float64(len(data))}
	if len(cps) != len(want) {
		t.Fatalf("checkpoints %v, want %v", cps, want)
	}
	for i := range want {
		if cps[i] != want[i] {
			t.Fatalf("checkpoints %v, want %v", cps, want)
		}
	}

	// Resumed after the first message.
	h.msgs, h.cps = nil, nil
	if _, _, err := s.ProcessInput(sandbox.Checkpoint{Kind: sandbox.CheckpointNumber, Number: float64(ends[0])}); err != nil {
		t.Fatal(err)
	}
	if got := ltPayloads(h); got != "m1,m2" {
		t.Errorf("resumed: payloads %q", got)
	}
	if last := h.cps[len(h.cps)-1].Number; last != float64(len(data)) {
		t.Errorf("resumed: last checkpoint %v", last)
	}

	// A checkpoint past the end: the file was replaced by a shorter one.
	h.msgs, h.cps = nil, nil
	_, msg, err = s.ProcessInput(sandbox.Checkpoint{Kind: sandbox.CheckpointNumber, Number: 1e9})
	if err != nil || !strings.Contains(msg, "past the end") {
		t.Fatalf("past the end: %q %v", msg, err)
	}
	if got := ltPayloads(h); got != "m0,m1,m2" {
		t.Errorf("past the end: payloads %q", got)
	}

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	status, msg, err = s.ProcessInput(sandbox.Checkpoint{})
	if err != nil || status != -1 || !strings.Contains(msg, "input_filename: ") {
		t.Errorf("missing file: %d %q %v", status, msg, err)
	}
}

// TestProcess: the message of a run, default headers, trim, and the
// status process_message returns.
func TestProcess(t *testing.T) {
	s, h, err := ltLoad(t, config.Input, "process.lua", map[string]any{
		"command":         []any{"sh", "-c", "printf 'out\\n\\n'; printf e >&2; exit 2"},
		"default_headers": map[string]any{"Type": "probe", "Severity": 3.0, "Hostname": "h1"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the message table is reused: the second run is the same
		status, msg, err := s.ProcessInput(sandbox.Checkpoint{})
		if err != nil || status != -1 || msg != "command exited with status 2" {
			t.Fatalf("process_message: %d %q %v", status, msg, err)
		}
	}
	if len(h.msgs) != 2 {
		t.Fatalf("%d messages", len(h.msgs))
	}
	for _, m := range h.msgs {
		if m.Type != "probe" || m.Severity != 3 || m.Hostname != "h1" || m.Payload != "out\n" {
			t.Errorf("message %+v", m)
		}
		got := map[string]string{}
		for _, f := range m.Fields {
			switch f.Type {
			case message.ValueInteger:
				got[f.Name] = strings.Repeat("i", int(f.Integers[0]))
			case message.ValueString:
				got[f.Name] = f.Strings[0]
			case message.ValueBool:
				if f.Bools[0] {
					got[f.Name] = "true"
				} else {
					got[f.Name] = "false"
				}
			case message.ValueDouble:
				if f.Representation == "s" && f.Doubles[0] > 0 {
					got[f.Name] = "seconds"
				}
			}
		}
		want := map[string]string{"exit_status": "ii", "stderr": "e", "timed_out": "false", "truncated": "false", "duration": "seconds"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("field %s = %q, want %q (fields %v)", k, got[k], v, got)
			}
		}
		if _, ok := got["signal"]; ok {
			t.Error("signal field without a signal")
		}
	}

	s, h, err = ltLoad(t, config.Input, "process.lua", map[string]any{"command": []any{"sightline-no-such-program"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	status, msg, err := s.ProcessInput(sandbox.Checkpoint{})
	if err != nil || status != -1 || !strings.Contains(msg, "command: ") || len(h.msgs) != 0 {
		t.Errorf("missing program: %d %q %v, %d messages", status, msg, err, len(h.msgs))
	}
}

// ltView returns a view of a message of type typ at ts (ns) with the
// given status field (nil: none).
func ltView(t *testing.T, typ string, ts int64, status any) *message.View {
	t.Helper()
	var m message.Message
	m.Uuid = message.NewUUID()
	m.Timestamp = ts
	if typ != "" {
		m.SetType(typ)
	}
	switch s := status.(type) {
	case float64:
		m.Fields = append(m.Fields, message.Field{Name: "status", Type: message.ValueDouble, Doubles: []float64{s}})
	case string:
		m.Fields = append(m.Fields, message.Field{Name: "status", Type: message.ValueString, Strings: []string{s}})
	}
	var v message.View
	if err := v.Reset(m.Encode()); err != nil {
		t.Fatal(err)
	}
	return &v
}

func ltProcess(t *testing.T, s *sandbox.Sandbox, v *message.View) {
	t.Helper()
	if status, msg, err := s.ProcessMessage(v); err != nil || status != 0 {
		t.Fatalf("process_message: %d %q %v", status, msg, err)
	}
}

func ltTimer(t *testing.T, s *sandbox.Sandbox, h *ltHost, ns int64, shutdown bool) string {
	t.Helper()
	n := len(h.msgs)
	if err := s.TimerEvent(ns, shutdown); err != nil {
		t.Fatal(err)
	}
	if len(h.msgs) == n {
		return ""
	}
	m := h.msgs[len(h.msgs)-1]
	if m.Type != "inject_payload" {
		t.Fatalf("injected %+v", m)
	}
	return m.Payload
}

// TestCounter: counts, totals, rates, the max_types limit, and totals
// kept across a restart with preserve_data.
func TestCounter(t *testing.T) {
	state := filepath.Join(t.TempDir(), "counter.data")
	keys := map[string]any{"max_types": 2.0, "preserve_data": true}
	s, h, err := ltLoad(t, config.Analysis, "counter.lua", keys, state)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"a", "b", "a", "", "c"} {
		ltProcess(t, s, ltView(t, typ, 1, nil))
	}
	// a and b are named; "<nil>" (no Type) and c are past max_types.
	want := "Type\tcount\ttotal\trate\n<other>\t2\t2\t-\na\t2\t2\t-\nb\t1\t1\t-\n*\t5\t5\t-\n"
	if got := ltTimer(t, s, h, 10e9, false); got != want {
		t.Errorf("first report:\n%s\nwant:\n%s", got, want)
	}
	ltProcess(t, s, ltView(t, "b", 2, nil))
	want = "Type\tcount\ttotal\trate\n<other>\t0\t2\t0.000\na\t0\t2\t0.000\nb\t1\t2\t0.250\n*\t1\t6\t0.250\n"
	if got := ltTimer(t, s, h, 14e9, false); got != want {
		t.Errorf("second report:\n%s\nwant:\n%s", got, want)
	}
	want = "Type\tcount\ttotal\trate\n<other>\t0\t2\t-\na\t0\t2\t-\nb\t0\t2\t-\n*\t0\t6\t-\n"
	if got := ltTimer(t, s, h, 14e9, true); got != want {
		t.Errorf("report at the same time:\n%s\nwant:\n%s", got, want)
	}
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}

	s, h, err = ltLoad(t, config.Analysis, "counter.lua", keys, state)
	if err != nil {
		t.Fatal(err)
	}
	ltProcess(t, s, ltView(t, "d", 3, nil))
	want = "Type\tcount\ttotal\trate\n<other>\t1\t3\t-\na\t0\t2\t-\nb\t0\t2\t-\n*\t1\t7\t-\n"
	if got := ltTimer(t, s, h, 20e9, false); got != want {
		t.Errorf("after a restart:\n%s\nwant:\n%s", got, want)
	}
}

// TestHTTPStatus: classes, the window sliding over the ring of rows
// (slots reused), late messages, and no report without a change.
func TestHTTPStatus(t *testing.T) {
	s, h, err := ltLoad(t, config.Analysis, "http_status.lua", map[string]any{"rows": 2.0, "sec_per_row": 10.0}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ltTimer(t, s, h, 0, false); got != "" {
		t.Errorf("report with no data: %q", got)
	}
	const sec = int64(1e9)
	for _, m := range []struct {
		ts     int64
		status any
	}{{0, 200.0}, {5 * sec, "503"}, {9 * sec, 99.0}, {10 * sec, 404.0}, {19 * sec, nil}, {11 * sec, 101.0}} {
		ltProcess(t, s, ltView(t, "x", m.ts, m.status))
	}
	want := "time\t1xx\t2xx\t3xx\t4xx\t5xx\tother\n" +
		"1970-01-01T00:00:00Z\t0\t1\t0\t0\t1\t1\n" +
		"1970-01-01T00:00:10Z\t1\t0\t0\t1\t0\t1\n"
	if got := ltTimer(t, s, h, 1, false); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
	if got := ltTimer(t, s, h, 2, false); got != "" {
		t.Errorf("report without a change: %q", got)
	}
	// Row 4 (40 s) reuses the slot of row 0 and row 2; rows 3 and 4 are
	// the window, row 3 empty; a message of row 2 is then too old.
	ltProcess(t, s, ltView(t, "x", 40*sec, 302.0))
	ltProcess(t, s, ltView(t, "x", 25*sec, 200.0))
	want = "time\t1xx\t2xx\t3xx\t4xx\t5xx\tother\n" +
		"1970-01-01T00:00:30Z\t0\t0\t0\t0\t0\t0\n" +
		"1970-01-01T00:00:40Z\t0\t0\t1\t0\t0\t0\n"
	if got := ltTimer(t, s, h, 3, true); got != want {
		t.Errorf("report after the window moved:\n%s\nwant:\n%s", got, want)
	}
}
