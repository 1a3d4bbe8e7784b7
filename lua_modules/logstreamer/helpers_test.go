package logstreamer

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recSink records what a Streamer delivers.
type recSink struct {
	recs  []string
	files []string
	offs  []int64
	cp    string
	ncp   int
}

func (r *recSink) Record(name, file string, off int64, rec []byte) error {
	r.recs = append(r.recs, string(rec))
	r.files = append(r.files, filepath.Base(file))
	r.offs = append(r.offs, off)
	return nil
}

func (r *recSink) Checkpoint(cp string) error { r.cp = cp; r.ncp++; return nil }

// testConfig is a config over dir with quick intervals.
func testConfig(dir, match string, prio ...string) *Config {
	return &Config{LogDirectory: dir, FileMatch: match, Priority: prio, Differentiator: []string{"s"},
		OldestDuration: 0, RescanInterval: time.Hour, CheckDataInterval: time.Millisecond,
		Delimiter: "\n", MaxRecordSize: 1024, LostPosition: LostOldest}
}

func newStreamer(t testing.TB, cfg *Config) (*Streamer, *recSink) {
	t.Helper()
	r := &recSink{}
	m, err := New(cfg, nil, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, r
}

// drain polls until nothing more is read.
func drain(t testing.TB, m *Streamer) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		ok, err := m.Poll()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			// once more: a rescan may be due after a change
			time.Sleep(2 * time.Millisecond)
			if ok, err = m.Poll(); err != nil {
				t.Fatal(err)
			} else if !ok {
				return
			}
		}
	}
	t.Fatal("Poll never settled")
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func rename(t testing.TB, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// lines returns "<prefix><i>\n" for i in [from, to).
func lines(prefix string, from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s%d\n", prefix, i)
	}
	return b.String()
}

// want returns the records of lines(prefix, from, to).
func want(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

func equal(t testing.TB, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("records:\n got %q\nwant %q", got, want)
	}
}

func osChtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
