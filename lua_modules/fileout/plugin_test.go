package fileout_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline/sightline/config"
	_ "github.com/sightline/sightline/lua_modules/fileout"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/plugins"
	"github.com/sightline/sightline/sandbox"
)

// loadPlugin creates the sandbox of the standard output plugin filename
// with the config keys given (plus message_matcher and Logger).
func loadPlugin(t testing.TB, filename string, keys map[string]any) (*sandbox.Sandbox, error) {
	t.Helper()
	src, name, ok := plugins.Source("output", filename)
	if !ok {
		t.Fatalf("no embedded output/%s", filename)
	}
	tab := config.NewTable("test.cfg")
	tab.Set("filename", filename)
	tab.Set("message_matcher", "TRUE")
	tab.Set("Logger", "output.test")
	tab.Set("Hostname", "host")
	tab.Set("Pid", 7)
	for k, v := range keys {
		tab.Set(k, v)
	}
	cfg, err := config.NewPlugin(config.Output, tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: name, Source: src})
	if err == nil {
		t.Cleanup(func() { _ = s.Close(false) })
	}
	return s, err
}

func mustLoad(t testing.TB, filename string, keys map[string]any) *sandbox.Sandbox {
	t.Helper()
	s, err := loadPlugin(t, filename, keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// spec describes a test message.
type spec struct {
	typ, logger, payload string
	fields               []message.Field
}

// msg returns a view of message i: Timestamp 1700000000+i s, Payload
// "msg <i>" unless sp gives one.
func msg(t testing.TB, i int, sp spec) *message.View {
	t.Helper()
	var m message.Message
	m.Timestamp = int64(1700000000+i) * 1e9
	if sp.payload == "" {
		sp.payload = fmt.Sprintf("msg %d", i)
	}
	m.SetPayload(sp.payload)
	if sp.typ != "" {
		m.SetType(sp.typ)
	}
	if sp.logger != "" {
		m.SetLogger(sp.logger)
	}
	m.Fields = sp.fields
	var v message.View
	if err := v.Reset(m.AppendTo(nil)); err != nil {
		t.Fatal(err)
	}
	return &v
}

// committed returns the position the plugin's checkpoint may be saved at
// (0: none yet).
func committed(s *sandbox.Sandbox) int {
	if pos, ok := s.Committable(); ok {
		return pos.(int)
	}
	return 0
}

// checkCovered fails unless every message up to the committable position
// is in the file's lines.
func checkCovered(t testing.TB, s *sandbox.Sandbox, path string) int {
	t.Helper()
	cp := committed(s)
	data, _ := os.ReadFile(path)
	lines := strings.Split(string(data), "\n")
	for i := 1; i <= cp; i++ {
		if !slices.Contains(lines, fmt.Sprintf("msg %d", i)) {
			t.Fatalf("checkpoint at message %d but message %d is not in %s", cp, i, path)
		}
	}
	return cp
}

// TestPluginCheckpointFollowsFsync drives file.lua through the sandbox's
// checkpoint state machine: the committable position moves only when a
// batch was written and fsynced, and never past a message not in the
// file.
func TestPluginCheckpointFollowsFsync(t *testing.T) {
	dir := t.TempDir()
	s := mustLoad(t, "file.lua", map[string]any{
		"output_dir": dir, "output_file": "out.log", "format": "payload",
		"flush_count": 7, "flush_interval": 0,
	})
	path := filepath.Join(dir, "out.log")
	var moves []int
	last := 0
	for i := 1; i <= 30; i++ {
		res, err := s.ProcessOutput(msg(t, i, spec{}), i)
		if err != nil {
			t.Fatal(err)
		}
		want := sandbox.StatusBatch
		if i%7 == 0 {
			want = sandbox.StatusOK
		}
		if res.Status != want {
			t.Fatalf("message %d: status %d, want %d", i, res.Status, want)
		}
		if cp := checkCovered(t, s, path); cp != last {
			moves, last = append(moves, cp), cp
		}
		if i == 24 {
			// timer_event with the batch young: nothing moves
			if err := s.TimerEvent(0, false); err != nil {
				t.Fatal(err)
			}
			if cp := checkCovered(t, s, path); cp != last {
				t.Fatalf("timer_event moved the checkpoint to %d with the batch pending", cp)
			}
		}
	}
	if !slices.Equal(moves, []int{7, 14, 21, 28}) {
		t.Errorf("checkpoint moved to %v, want at each batch of 7", moves)
	}
	if err := s.TimerEvent(0, true); err != nil {
		t.Fatal(err)
	}
	if cp := checkCovered(t, s, path); cp != 30 {
		t.Errorf("after shutdown the checkpoint is at %d, want 30", cp)
	}
}

// TestPluginRetriesWriteError: with the disk full, the message that
// completes a batch is refused with -3 and the checkpoint stays before
// the batch, timer_event included; once the disk has room the retried
// message completes the batch and every message is in the file once.
func TestPluginRetriesWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "out.log")
	if err := os.Symlink("/dev/full", link); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, "file.lua", map[string]any{
		"output_dir": dir, "output_file": "out.log", "format": "payload", "flush_count": 3,
	})
	for i := 1; i <= 2; i++ {
		if res, err := s.ProcessOutput(msg(t, i, spec{}), i); err != nil || res.Status != sandbox.StatusBatch {
			t.Fatalf("message %d: %+v %v", i, res, err)
		}
	}
	for range 3 {
		res, err := s.ProcessOutput(msg(t, 3, spec{}), 3)
		if err != nil || !res.Retry || !strings.Contains(res.Message, "no space left") {
			t.Fatalf("message 3 on a full disk: %+v %v", res, err)
		}
		if err := s.TimerEvent(0, false); err != nil {
			t.Fatal(err)
		}
		if cp := committed(s); cp != 0 {
			t.Fatalf("checkpoint at %d with nothing written", cp)
		}
	}
	real := filepath.Join(dir, "real.log")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if res, err := s.ProcessOutput(msg(t, 3, spec{}), 3); err != nil || res.Status != sandbox.StatusOK {
		t.Fatalf("message 3 retried: %+v %v", res, err)
	}
	if cp := committed(s); cp != 3 {
		t.Errorf("checkpoint %d, want 3", cp)
	}
	if got, _ := os.ReadFile(real); string(got) != "msg 1\nmsg 2\nmsg 3\n" {
		t.Errorf("file %q", got)
	}
}

// TestPluginShutdownWhileRetrying: a message refused at shutdown is not
// covered by the checkpoint the final timer_event leaves.
func TestPluginShutdownWhileRetrying(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blocker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, "file.lua", map[string]any{
		"output_dir": dir, "output_file": "blocker/out.log", "format": "payload", "flush_count": 1,
	})
	res, err := s.ProcessOutput(msg(t, 1, spec{}), 1)
	if err != nil || !res.Retry {
		t.Fatalf("write under a file posing as a directory: %+v %v", res, err)
	}
	if err := s.TimerEvent(0, true); err != nil {
		t.Fatal(err)
	}
	if cp := committed(s); cp != 0 {
		t.Errorf("checkpoint at %d after shutdown with message 1 refused", cp)
	}
}

func TestPluginEncoderModule(t *testing.T) {
	dir := t.TempDir()
	mod := `local M = {}
function M.encode()
    if read_message("Type") == "skip" then return nil end
    return read_message("Type") .. "|" .. read_message("Payload")
end
return M
`
	if err := os.WriteFile(filepath.Join(dir, "myenc.lua"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, "file.lua", map[string]any{
		"output_dir": dir, "output_file": "out.%{seq}", "encoder_module": "myenc", "delimiter": ";",
		"path": filepath.Join(dir, "?.lua"), "flush_count": 1,
	})
	for i, typ := range []string{"a", "skip", "b"} {
		res, err := s.ProcessOutput(msg(t, i, spec{typ: typ}), i+1)
		if err != nil {
			t.Fatal(err)
		}
		want := sandbox.StatusOK
		if typ == "skip" {
			want = sandbox.StatusSkip
		}
		if res.Status != want {
			t.Errorf("%s: status %d, want %d", typ, res.Status, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out.0")); string(got) != "a|msg 0;b|msg 2;" {
		t.Errorf("file %q", got)
	}
}

func TestPluginConfigErrors(t *testing.T) {
	tests := []struct {
		keys map[string]any
		want string
	}{
		{map[string]any{"format": "xml"}, "format: unknown format \"xml\""},
		{map[string]any{"format": "heka", "delimiter": ";"}, "delimiter: format heka ends its records itself"},
		{map[string]any{"roll_size": "lots"}, "roll_size:"},
		{map[string]any{"roll_size": 10, "output_file": "x.log"}, "x.log\" has no %{seq}"},
		{map[string]any{"roll_interval": "soon"}, "roll_interval: \"soon\" is not a duration"},
		{map[string]any{"roll_clock": "sundial"}, "roll_clock:"},
		{map[string]any{"perm": 644}, "perm: want an octal string"},
		{map[string]any{"folder_perm": "999"}, "folder_perm: \"999\" is not a mode"},
		{map[string]any{"flush_count": 0}, "flush_count: must be at least 1"},
		{map[string]any{"output_file": "%{bogus}"}, "unknown %{bogus}"},
		{map[string]any{"format": "json", "encoder_module": "x"}, "set only one"},
	}
	for _, tc := range tests {
		tc.keys["output_dir"] = t.TempDir()
		_, err := loadPlugin(t, "file.lua", tc.keys)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.keys, err, tc.want)
		}
	}
}

func TestInjectPayloadPlugin(t *testing.T) {
	dir := t.TempDir()
	outDir := filepath.Join(dir, "payload", "sub")
	s := mustLoad(t, "heka_inject_payload.lua", map[string]any{"output_dir": outDir, "output_path": dir})
	payload := func(logger, name, typ, body string) *message.View {
		return msg(t, 0, spec{logger: logger, payload: body, typ: "inject_payload", fields: []message.Field{
			{Name: "payload_type", Type: message.ValueString, Strings: []string{typ}},
			{Name: "payload_name", Type: message.ValueString, Strings: []string{name}},
		}})
	}
	for _, v := range []*message.View{
		payload("analysis.a b", "x/y", "t.x", "first"),
		payload("analysis.a b", "x/y", "t.x", "second"),
		payload("analysis.gone", "r", "txt", "old"),
		payload("analysis.keep", "r.v2", "txt", "kept"),
	} {
		if res, err := s.ProcessOutput(v, 1); err != nil || res.Status != sandbox.StatusOK {
			t.Fatalf("%+v %v", res, err)
		}
	}
	if err := os.WriteFile(filepath.Join(outDir, "notes.txt"), []byte("not ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"analysis.a_b.x_y.t_x":   "second",
		"analysis.gone.r.txt":    "old",
		"analysis.keep.r.v2.txt": "kept",
		"notes.txt":              "not ours",
	}
	if got := dirContents(t, outDir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	// Plugins gone from utilization.tsv lose their files.
	tsv := "Plugin\tMessages Processed\t% Utilization\t% Message Matcher\t% Process Message\t% Timer Event\n" +
		"analysis.keep\t1\t0\t0\t0\t0\nanalysis.a b\t1\t0\t0\t0\t0\ninput.x\t1\t-1\t-1\t-1\t-1\n"
	if err := os.WriteFile(filepath.Join(dir, "utilization.tsv"), []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.TimerEvent(0, false); err != nil {
		t.Fatal(err)
	}
	delete(want, "analysis.gone.r.txt")
	if got := dirContents(t, outDir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after timer_event: files %v, want %v", got, want)
	}
	// A bad payload_type is a failure, not a file.
	bad := spec{logger: "analysis.x", payload: "p", fields: []message.Field{
		{Name: "payload_type", Type: message.ValueInteger, Integers: []int64{1}}}}
	if res, err := s.ProcessOutput(msg(t, 0, bad), 2); err != nil || res.Status != sandbox.StatusFail {
		t.Errorf("integer payload_type: %+v %v", res, err)
	}
}

func TestHekaDebugToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "debug.log")
	s := mustLoad(t, "heka_debug.lua", map[string]any{"output_file": path})
	if res, err := s.ProcessOutput(msg(t, 1, spec{typ: "t"}), 1); err != nil || res.Status != sandbox.StatusOK {
		t.Fatalf("%+v %v", res, err)
	}
	want := ":Uuid: 00000000-0000-0000-0000-000000000000\n:Timestamp: 2023-11-14T22:13:21.000000000Z\n" +
		":Type: t\n:Logger: <nil>\n:Severity: 7\n:Payload: msg 1\n:EnvVersion: <nil>\n:Pid: <nil>\n" +
		":Hostname: <nil>\n:Fields:\n\n"
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("debug output:\n%s\nwant\n%s", got, want)
	}
}

func dirContents(t testing.TB, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}
