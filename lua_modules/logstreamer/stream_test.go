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
			// Same identity, other bytes of the same length: rewritten
			// in place, as a new file given the deleted one's inode
			// number (which a file system may or may not do).
			f, err := os.OpenFile(log, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(lines("z", 0, 5))
			f.Close()
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

// copyTruncate rotates log by copytruncate: older copies shifted (.1 ->
// .2), the live file copied to .1, then truncated.
func copyTruncate(t *testing.T, log string) {
	t.Helper()
	if _, err := os.Stat(log + ".1"); err == nil {
		rename(t, log+".1", log+".2")
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	write(t, log+".1", string(data))
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
}

// TestCopyTruncateRightAfterSwitch: the reader has moved to the live file
// at offset 0 and read nothing of it yet when it is written and
// copytruncated. Its size and content say nothing (no offset to compare);
// what it held is in the copy that now follows the file read before.
func TestCopyTruncateRightAfterSwitch(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log+".1", lines("a", 0, 3))
	write(t, log, "")
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	appendTo(t, log, lines("b", 0, 4))
	copyTruncate(t, log)
	appendTo(t, log, lines("c", 0, 2))
	drain(t, m)
	equal(t, r.recs, append(append(want("a", 0, 3), want("b", 0, 4)...), want("c", 0, 2)...))
}

// TestStaleScanDoesNotSkipAFile replays the loss the crash test found: a
// scan taken in the middle of a rotation (older copies shifted, the new
// .2.gz not yet renamed into place) lists .3.gz then .1; the reader
// finishes .3.gz and opens .1 at 0 (whose inode number may even be the
// one the scan saw, reused). The file after .3.gz is .2.gz: nothing may
// be skipped.
func TestStaleScanDoesNotSkipAFile(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	for i, p := range []string{"a", "b"} {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(lines(p, 0, 10)))
		zw.Close()
		write(t, log+"."+formatInt(int64(3-i))+".gz", b.String())
	}
	write(t, log+".1", lines("c", 0, 10))
	write(t, log, lines("d", 0, 5))
	// The directory has not changed lately: no rescan is due.
	if err := osChtimes(dir, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir, renameMatch, "^Seq")
	m, r := newStreamer(t, cfg)
	seek := int64(len(lines("a", 0, 5)))
	m.Restore(map[string]*Position{"s": {File: "access.log.3.gz", Seek: seek, Hash: HashOf([]byte(lines("a", 0, 5)))}})
	s := m.streams["s"]
	var stale []*Logfile
	for _, f := range s.files {
		if filepath.Base(f.Path) != "access.log.2.gz" {
			stale = append(stale, f)
		}
	}
	if len(stale) != 3 {
		t.Fatalf("files %v", s.files)
	}
	s.files = stale
	drain(t, m)
	equal(t, r.recs, append(append(append(want("a", 5, 10), want("b", 0, 10)...), want("c", 0, 10)...), want("d", 0, 5)...))
}

// TestRestartAtNextFileKeepsDone: after a restart that resumes at the
// start of the file after the one read last, the checkpoint still says
// "after that file" until a record of the new one is handed on, so a
// copytruncate during a second stop loses nothing.
func TestRestartAtNextFileKeepsDone(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log+".1", lines("a", 0, 3))
	write(t, log, "")
	cfg := testConfig(dir, renameMatch, "^Seq")
	m, r := newStreamer(t, cfg)
	drain(t, m)
	m.Close()
	m2, r2 := restart(t, cfg, r)
	drain(t, m2)
	if !strings.Contains(r2.cp, `"file":"access.log.1","seek":9`) || !strings.Contains(r2.cp, `"done":true`) {
		t.Fatalf("checkpoint after the restart %s", r2.cp)
	}
	m2.Close()
	appendTo(t, log, lines("b", 0, 4))
	copyTruncate(t, log)
	appendTo(t, log, lines("c", 0, 2))
	m3, r3 := restart(t, cfg, r2)
	drain(t, m3)
	equal(t, r3.recs, append(want("b", 0, 4), want("c", 0, 2)...))
}

// TestCopyTruncateBetweenCheckAndRead: the live file is copytruncated and
// written past the read offset after resume looked at it and before fill
// reads (a reader slowed down, -race on a loaded machine): what fill reads
// at the old offset is the new content's. It must be seen before anything
// is handed on, and the copy read to its end first.
func TestCopyTruncateBetweenCheckAndRead(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, lines("a", 0, 10))
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	drain(t, m)
	appendTo(t, log, lines("a", 10, 15))
	copyTruncate(t, log)
	appendTo(t, log, lines("b", 0, 20)) // past the read offset
	m.mu.Lock()
	m.fill(m.streams["s"]) // as if resume ran just before the rotation
	m.mu.Unlock()
	drain(t, m)
	equal(t, r.recs, append(want("a", 0, 15), want("b", 0, 20)...))
}

// TestCopyTruncateAtStreamStart: a new stream opens its oldest file at 0
// from a scan taken before the first copytruncate; the copy, older, holds
// what the file had. The checkpoint says nothing of the stream until a
// record is handed on (a restart starts it again at its oldest file).
func TestCopyTruncateAtStreamStart(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, lines("a", 0, 5))
	m, r := newStreamer(t, testConfig(dir, renameMatch, "^Seq"))
	m.Restore(nil)
	m.mu.Lock()
	opened := m.open(m.streams["s"])
	cp := m.Checkpoint()
	m.mu.Unlock()
	if !opened || strings.Contains(cp, `"s"`) {
		t.Errorf("opened %v, checkpoint %s", opened, cp)
	}
	copyTruncate(t, log)
	appendTo(t, log, lines("b", 0, 3))
	drain(t, m)
	equal(t, r.recs, append(want("a", 0, 5), want("b", 0, 3)...))
}
