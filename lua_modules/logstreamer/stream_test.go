package logstreamer

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const renameMatch = `access\.log\.?(?P<Seq>\d*)(\.gz)?`

func gzipFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	write(t, to, b.String())
	if err := os.Remove(from); err != nil {
		t.Fatal(err)
	}
}

// restart builds a new Streamer from the checkpoint of m, as after a crash.
func restart(t testing.TB, cfg *Config, r *recSink) (*Streamer, *recSink) {
	t.Helper()
	saved, err := DecodeCheckpoint(r.cp)
	if err != nil {
		t.Fatal(err)
	}
	m2, r2 := newStreamer(t, cfg)
	m2.Restore(saved)
	return m2, r2
}

func TestRenameRotation(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, lines("a", 0, 10))
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	// Rotate: the writer still writes a late line to the renamed file,
	// then a new file.
	rename(t, log, log+".1")
	appendTo(t, log+".1", lines("a", 10, 12))
	write(t, log, lines("b", 0, 5))
	drain(t, m)
	equal(t, r.recs, append(want("a", 0, 12), want("b", 0, 5)...))
	// A second rotation, with the first copy compressed.
	rename(t, log+".1", log+".2")
	rename(t, log, log+".1")
	write(t, log, lines("c", 0, 3))
	gzipFile(t, log+".2", log+".2.gz")
	drain(t, m)
	equal(t, r.recs[17:], want("c", 0, 3))
	if !strings.Contains(r.cp, `"file":"access.log","seek":9`) {
		t.Fatalf("checkpoint %s", r.cp)
	}
}

func TestNewDatedFilesPickedUpPromptly(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "app-20240101.log"), lines("d1-", 0, 3))
	cfg := testConfig(dir, `app-(?P<Date>\d{8})\.log`, "Date")
	cfg.RescanInterval = time.Hour // only the directory check can find it
	m, r := newStreamer(t, cfg)
	drain(t, m)
	write(t, filepath.Join(dir, "app-20240102.log"), lines("d2-", 0, 2))
	appendTo(t, filepath.Join(dir, "app-20240101.log"), "late\n")
	drain(t, m)
	equal(t, r.recs, append(append(want("d1-", 0, 3), "late"), want("d2-", 0, 2)...))
}

func TestCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, lines("a", 0, 10))
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	// Lines written after our last read, then copied, then truncated.
	appendTo(t, log, lines("a", 10, 13))
	data, _ := os.ReadFile(log)
	write(t, log+".1", string(data))
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, log, lines("b", 0, 4))
	drain(t, m)
	equal(t, r.recs, append(want("a", 0, 13), want("b", 0, 4)...))
}

func TestTruncateInPlaceDoesNotReplayStream(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log+".1", lines("old", 0, 5))
	write(t, log, lines("a", 0, 5))
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, log, lines("b", 0, 2))
	drain(t, m)
	equal(t, r.recs, append(append(want("old", 0, 5), want("a", 0, 5)...), want("b", 0, 2)...))
}

func TestTruncatedAndRefilledPastOffset(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, lines("a", 0, 3))
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	// Rewritten in place, longer than before, before the next poll.
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(lines("b", 0, 6))
	f.Close()
	drain(t, m)
	equal(t, r.recs, append(want("a", 0, 3), want("b", 0, 6)...))
}

func TestDeletionClosesAndRetires(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, lines("a", 0, 3))
	cfg := testConfig(dir, renameMatch, "^Seq")
	cfg.RescanInterval = 20 * time.Millisecond
	m, r := newStreamer(t, cfg)
	drain(t, m)
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	drain(t, m)
	s := m.streams["s"]
	if s == nil || s.f != nil || !s.pos.Done {
		t.Fatalf("deleted file still open: %+v", s)
	}
	// A new file of the same name is read from its start.
	write(t, log, lines("b", 0, 2))
	drain(t, m)
	equal(t, r.recs, append(want("a", 0, 3), want("b", 0, 2)...))
	// Every file gone: the stream retires after rescan_interval.
	os.Remove(log)
	deadline := time.Now().Add(5 * time.Second)
	for m.streams["s"] != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		drain(t, m)
	}
	if m.streams["s"] != nil || strings.Contains(r.cp, `"s"`) {
		t.Fatalf("stream not retired: %s", r.cp)
	}
}

func TestPartialLastLineNotJoined(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log+".1", "one\ntwo-partial")
	write(t, log, "three\nfour")
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	equal(t, r.recs, []string{"one", "two-partial", "three"})
	appendTo(t, log, "-done\n")
	drain(t, m)
	equal(t, r.recs, []string{"one", "two-partial", "three", "four-done"})
}

func TestRestartRelocation(t *testing.T) {
	cases := []struct {
		name   string
		rotate func(t *testing.T, log string)
		want   []string
	}{
		{"rename while down", func(t *testing.T, log string) {
			rename(t, log, log+".1")
			appendTo(t, log+".1", "late\n")
			write(t, log, lines("b", 0, 2))
		}, append(append(want("a", 5, 10), "late"), want("b", 0, 2)...)},
		{"rename and gzip while down", func(t *testing.T, log string) {
			rename(t, log, log+".1")
			gzipFile(t, log+".1", log+".1.gz")
			write(t, log, lines("b", 0, 2))
		}, append(want("a", 5, 10), want("b", 0, 2)...)},
		{"copytruncate while down", func(t *testing.T, log string) {
			data, _ := os.ReadFile(log)
			write(t, log+".1", string(data))
			os.Truncate(log, 0)
			appendTo(t, log, lines("b", 0, 2))
		}, append(want("a", 5, 10), want("b", 0, 2)...)},
		{"nothing changed", func(t *testing.T, log string) {}, want("a", 5, 10)},
		{"inode reused by other content", func(t *testing.T, log string) {
			os.Remove(log)
			write(t, log, lines("z", 0, 5)) // same length, other bytes
		}, want("z", 0, 5)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "access.log")
			write(t, log+".2", lines("old", 0, 3))
			write(t, log, lines("a", 0, 5))
			cfg := testConfig(dir, renameMatch, "^Seq")
			m, r := newStreamer(t, cfg)
			drain(t, m)
			appendTo(t, log, lines("a", 5, 10))
			m.Close()
			c.rotate(t, log)
			m2, r2 := restart(t, cfg, r)
			drain(t, m2)
			equal(t, r2.recs, c.want)
		})
	}
}

func TestLostPositionFallback(t *testing.T) {
	for _, policy := range []string{LostOldest, LostTail} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "access.log")
			write(t, log+".1", lines("old", 0, 2))
			write(t, log, lines("a", 0, 3))
			cfg := testConfig(dir, renameMatch, "^Seq")
			cfg.LostPosition = policy
			m, r := newStreamer(t, cfg)
			m.Restore(map[string]*Position{"s": {File: "gone.log", Seek: 4, Hash: HashOf([]byte("zzzz"))}})
			drain(t, m)
			if policy == LostOldest {
				equal(t, r.recs, append(want("old", 0, 2), want("a", 0, 3)...))
			} else {
				equal(t, r.recs, nil)
			}
		})
	}
}

func TestInitialTail(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log+".1", lines("old", 0, 2))
	write(t, log, shortLog())
	cfg := testConfig(dir, renameMatch, "^Seq")
	cfg.InitialTail = true
	m, r := newStreamer(t, cfg)
	drain(t, m)
	if len(r.recs) != 0 || !strings.Contains(r.cp, `"seek":51,"hash":"4a9ab34da77c10e87cb6566bbf061d9715985551"`) {
		t.Fatalf("%q %s", r.recs, r.cp)
	}
	appendTo(t, log, "new\n")
	drain(t, m)
	equal(t, r.recs, []string{"new"})
}

func TestHekaJournalImport(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	log := filepath.Join(logs, "access.log")
	write(t, log, shortLog()+"3 This is a test\n")
	write(t, filepath.Join(dir, "journal", "s"),
		`{"seek":51,"file_name":"`+log+`","last_hash":"4a9ab34da77c10e87cb6566bbf061d9715985551"}`)
	cfg := testConfig(logs, renameMatch, "^Seq")
	cfg.JournalDirectory = filepath.Join(dir, "journal")
	m, r := newStreamer(t, cfg)
	drain(t, m)
	equal(t, r.recs, []string{"3 This is a test"})
}

// TestStreamFoundByInlineRescan: Heka never started a reader for a stream
// first seen by the rescan a rotation triggers (logstreamer.md §7).
func TestStreamFoundByInlineRescan(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a", "access.log"), lines("a", 0, 2))
	cfg := testConfig(dir, `(?P<Host>[^/]+)/access\.log\.?(?P<Seq>\d*)`, "^Seq")
	cfg.Differentiator = []string{"Host"}
	m, r := newStreamer(t, cfg)
	drain(t, m)
	// Rotation of a, and a new stream b, then an inline rescan only.
	rename(t, filepath.Join(dir, "a", "access.log"), filepath.Join(dir, "a", "access.log.1"))
	write(t, filepath.Join(dir, "a", "access.log"), lines("a", 2, 3))
	write(t, filepath.Join(dir, "b", "access.log"), lines("b", 0, 2))
	m.atEnd(m.streams["a"]) // the inline rescan
	drain(t, m)
	got := strings.Join(r.recs, ",")
	if !strings.Contains(got, "b0,b1") || !strings.Contains(got, "a0,a1,a2") {
		t.Fatalf("records %s", got)
	}
}

func TestTornGzipKeepsPosition(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(lines("g", 0, 50)))
	zw.Close()
	full := b.Bytes()
	write(t, log+".1.gz", string(full[:len(full)/2]))
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	n := len(r.recs)
	if n >= 50 {
		t.Fatalf("read %d records of a torn gzip", n)
	}
	// The compressor finishes: the rest, not the start again (#1897).
	write(t, log+".1.gz", string(full))
	drain(t, m)
	equal(t, r.recs, want("g", 0, 50))
}

func TestMultiLineAndOversize(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	write(t, log, "E1 start\n  at x\n  at y\nE2 start\n"+strings.Repeat("z", 3000)+"\nE3 start\n  more\nE4")
	cfg := testConfig(dir, `app\.log`)
	cfg.RecordStart = regexpMust(`^E\d`)
	m, r := newStreamer(t, cfg)
	drain(t, m)
	// E2's record is over 1024 bytes: skipped; E3 waits for its end.
	equal(t, r.recs, []string{"E1 start\n  at x\n  at y"})
	appendTo(t, log, " start\n")
	drain(t, m)
	equal(t, r.recs, []string{"E1 start\n  at x\n  at y", "E3 start\n  more"})

	dir2 := t.TempDir()
	write(t, filepath.Join(dir2, "app.log"), "a\n"+strings.Repeat("y", 5000)+"\nb\nBEGIN\n x\nEND\n")
	cfg2 := testConfig(dir2, `app\.log`)
	m2, r2 := newStreamer(t, cfg2)
	drain(t, m2)
	equal(t, r2.recs, []string{"a", "b", "BEGIN", " x", "END"})
	dir3 := t.TempDir()
	write(t, filepath.Join(dir3, "app.log"), "a\nEND\n"+strings.Repeat("y", 5000)+"\nEND\nb\n x\nEND\nc")
	cfg3 := testConfig(dir3, `app\.log`)
	cfg3.RecordEnd = regexpMust(`^END`)
	m3, r3 := newStreamer(t, cfg3)
	drain(t, m3)
	equal(t, r3.recs, []string{"a\nEND", "b\n x\nEND"})
}

func TestDelimiterAndOffsets(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x.log"), "r1||r2||r3")
	cfg := testConfig(dir, `x\.log`)
	cfg.Delimiter = "||"
	cfg.KeepDelimiter = true
	m, r := newStreamer(t, cfg)
	drain(t, m)
	equal(t, r.recs, []string{"r1||", "r2||"})
	if r.offs[1] != 4 {
		t.Fatalf("offsets %v", r.offs)
	}
}

// TestCopyTruncateWhileDownAfterSwitch: the checkpoint taken right after
// moving to a new (empty) file names the file before it, Done, so the
// content copytruncate moved out of the new file while down is not lost.
func TestCopyTruncateWhileDownAfterSwitch(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log+".1", lines("a", 0, 3))
	write(t, log, "")
	cfg := testConfig(dir, renameMatch, "^Seq")
	m, r := newStreamer(t, cfg)
	drain(t, m)
	if !strings.Contains(r.cp, `"file":"access.log.1","seek":9`) || !strings.Contains(r.cp, `"done":true`) {
		t.Fatalf("checkpoint %s", r.cp)
	}
	m.Close()
	// While down: written, then rotated by copytruncate (.1 -> .2).
	appendTo(t, log, lines("b", 0, 4))
	rename(t, log+".1", log+".2")
	data, _ := os.ReadFile(log)
	write(t, log+".1", string(data))
	os.Truncate(log, 0)
	appendTo(t, log, lines("c", 0, 2))
	m2, r2 := restart(t, cfg, r)
	drain(t, m2)
	equal(t, r2.recs, append(want("b", 0, 4), want("c", 0, 2)...))
}
