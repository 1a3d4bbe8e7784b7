package migrate

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

// longAgo is the mtime test files get, so Import does not wait for them
// to settle.
var longAgo = time.Now().Add(-time.Hour)

// writeOld writes a file under dir with an old mtime.
func writeOld(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	return path
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
}

// copyTestdata copies testdata/<name> into dir with an old mtime.
func copyTestdata(t testing.TB, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return writeOld(t, dir, name, string(data))
}

// rtc writes the .rtc Hindsight would give analysis plugin name running
// on thread; thread < 0 writes one without a thread. The user's part sets
// thread = 63, which the host's value after it overrides.
func rtc(t testing.TB, dir, name string, thread int) {
	t.Helper()
	text := "-- original configuration\nfilename = \"x.lua\"\nmessage_matcher = \"TRUE\"\n"
	if thread >= 0 {
		text += "thread = 63\n"
	}
	text += "\n-- Sandbox defaults and overrides\nLogger = [[analysis." + name + "]]\n"
	if thread >= 0 {
		text += "thread = " + strconv.Itoa(thread) + "\n"
	}
	text += "-- end Hindsight configuration\n"
	writeOld(t, dir, "analysis."+name+".rtc", text)
}

// logBuffer is a logger whose output a test can read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testImporter is an importer that never waits for hindsight.cp to settle.
func testImporter(out string, analysis []string) *importer {
	return &importer{out: out, analysis: analysis, log: discardLog(), now: time.Now, sleep: func(time.Duration) {}}
}

// cursors loads every cursor file under out, by file name.
func cursors(t testing.TB, out string) map[string]cursor.State {
	t.Helper()
	dir := filepath.Join(out, "cursors")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]cursor.State)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".cp") {
			t.Errorf("stray file in cursors: %s", e.Name())
			continue
		}
		st, ok, err := cursor.Load(filepath.Join(dir, e.Name()))
		if err != nil || !ok {
			t.Fatalf("load %s: %v %v", e.Name(), ok, err)
		}
		got[e.Name()] = st
	}
	return got
}

// queues builds a State.Queues from "name", position pairs.
func queues(kv ...any) map[string]queue.Position {
	m := make(map[string]queue.Position)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(queue.Position)
	}
	return m
}

func pos(seg uint64, off int64) queue.Position { return queue.Position{Segment: seg, Offset: off} }

func numberCP(f float64) cursor.Checkpoint {
	return cursor.Checkpoint{Kind: cursor.CheckpointNumber, Number: f}
}

func stringCP(s string) cursor.Checkpoint {
	return cursor.Checkpoint{Kind: cursor.CheckpointString, String: s}
}

// sameState compares two states, NaN checkpoints equal.
func sameState(a, b cursor.State) bool {
	if len(a.Queues) != len(b.Queues) {
		return false
	}
	for q, p := range a.Queues {
		if b.Queues[q] != p {
			return false
		}
	}
	ca, cb := a.Checkpoint, b.Checkpoint
	if ca.Kind != cb.Kind || ca.String != cb.String {
		return false
	}
	return ca.Number == cb.Number || ca.Number != ca.Number && cb.Number != cb.Number
}

// assertCursors checks that out holds exactly the cursor files want.
func assertCursors(t testing.TB, out string, want map[string]cursor.State) {
	t.Helper()
	got := cursors(t, out)
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("cursor file %s missing", name)
			continue
		}
		if !sameState(g, w) {
			t.Errorf("cursor file %s = %+v, want %+v", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected cursor file %s", name)
		}
	}
}

// assertExists checks which of the files under dir exist.
func assertExists(t testing.TB, dir string, files map[string]bool) {
	t.Helper()
	for name, want := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v (%v)", name, got, want, err)
		}
	}
}

// hindsightString quotes s as the reference's checkpoint writer does:
// single quotes, backslash before \n, \r, " and \, every other byte raw
// (a ' too: the reference's bug).
func hindsightString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
