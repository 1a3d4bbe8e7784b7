package fileout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sightline/sightline/message"
)

func TestRollBySize(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, Options{Name: filepath.Join(dir, "x.%{seq}.log"), RollSize: 35, FlushCount: 2})
	for i := range 7 {
		mustWrite(t, w, fmt.Sprintf("record %02d\n", i), 0) // 10 bytes
	}
	mustWrite(t, w, strings.Repeat("L", 50)+"\n", 0) // over roll_size: a file of its own
	mustWrite(t, w, "last\n", 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := dirFiles(t, dir)
	want := map[string]string{
		"x.0.log": "record 00\nrecord 01\nrecord 02\n",
		"x.1.log": "record 03\nrecord 04\nrecord 05\n",
		"x.2.log": "record 06\n",
		"x.3.log": strings.Repeat("L", 50) + "\n",
		"x.4.log": "last\n",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files:\n%v\nwant\n%v", got, want)
	}
	if s := w.Stats(); s.Rolls != 4 || s.Records != 9 {
		t.Errorf("stats %+v: want 4 rolls, 9 records", s)
	}
}

func TestRollByWallClock(t *testing.T) {
	dir := t.TempDir()
	c := newClock("2024-03-01T22:59:58Z")
	w := mustNew(t, Options{Name: filepath.Join(dir, "%Y/%m/%d/app-%H.log"), RollInterval: time.Hour,
		FlushInterval: -1, Now: c.now})
	mustWrite(t, w, "a\n", 0)
	c.add(time.Second)
	mustWrite(t, w, "b\n", 0)
	c.add(2 * time.Second) // 23:00:01
	mustWrite(t, w, "c\n", 0)
	c.add(time.Hour) // midnight passed, nothing written: tick closes the file
	ok, err := w.Tick(false)
	if err != nil || !ok {
		t.Fatalf("Tick: %v %v", ok, err)
	}
	if w.Path() != "" {
		t.Errorf("file %s still open after its hour", w.Path())
	}
	mustWrite(t, w, "d\n", 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"2024/03/01/app-22.log": "a\nb\n",
		"2024/03/01/app-23.log": "c\n",
		"2024/03/02/app-00.log": "d\n",
	}
	if got := dirFiles(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files:\n%v\nwant\n%v", got, want)
	}
}

func TestRollByTimeNumbered(t *testing.T) {
	// Without a time conversion in the name, each interval takes the next
	// number; a size roll inside an interval too.
	dir := t.TempDir()
	c := newClock("2024-03-01T00:00:00Z")
	w := mustNew(t, Options{Name: filepath.Join(dir, "n-%{seq:3}"), RollInterval: 10 * time.Second, RollSize: 4, Now: c.now})
	mustWrite(t, w, "aa", 0)
	mustWrite(t, w, "bb", 0)
	mustWrite(t, w, "cc", 0) // size roll
	c.add(10 * time.Second)
	mustWrite(t, w, "dd", 0) // time roll
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"n-000": "aabb", "n-001": "cc", "n-002": "dd"}
	if got := dirFiles(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestMessageClock(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, Options{Name: filepath.Join(dir, "%F_%H"), RollInterval: time.Hour, MessageClock: true})
	h := func(s string) int64 { tm, _ := time.Parse(time.RFC3339, s); return tm.UnixNano() }
	mustWrite(t, w, "1\n", h("2024-01-01T10:59:00Z"))
	mustWrite(t, w, "2\n", h("2024-01-01T11:00:00Z"))
	mustWrite(t, w, "3\n", h("2024-01-01T10:30:00Z")) // late: stays in the current file
	mustWrite(t, w, "4\n", h("2024-01-01T13:00:00Z"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"2024-01-01_10": "1\n", "2024-01-01_11": "2\n3\n", "2024-01-01_13": "4\n"}
	if got := dirFiles(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestResumeSeries(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"s.0.log": "old0\n", "s.3.log": "old3\n", "s.x.log": "other\n", "t.9.log": "other\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := mustNew(t, Options{Name: filepath.Join(dir, "s.%{seq}.log"), RollSize: 10})
	mustWrite(t, w, "new\n", 0) // appended to the last of the series, s.3.log
	mustWrite(t, w, "more\n", 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := dirFiles(t, dir)
	if got["s.3.log"] != "old3\nnew\n" || got["s.4.log"] != "more\n" || got["s.0.log"] != "old0\n" {
		t.Errorf("files %v", got)
	}
	// A full last file is not appended to.
	w = mustNew(t, Options{Name: filepath.Join(dir, "s.%{seq}.log"), RollSize: 5})
	mustWrite(t, w, "x\n", 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "s.5.log")); got != "x\n" {
		t.Errorf("s.5.log = %q", got)
	}
}

func frames(msgs ...string) string {
	var b []byte
	for _, m := range msgs {
		var msg message.Message
		msg.Payload = m
		msg.Timestamp = 1
		b = message.AppendFrame(b, msg.AppendTo(nil))
	}
	return string(b)
}

func TestRepairTail(t *testing.T) {
	full := frames("one", "two")
	torn := full + frames("three")[:9]
	tests := []struct {
		name     string
		tail     Tail
		existing string
		want     string // after appending "NEW" records
		repaired int64
	}{
		{"lines clean", Tail{Delim: []byte("\n")}, "a\nb\n", "a\nb\nNEW\n", 0},
		{"lines torn", Tail{Delim: []byte("\n")}, "a\nb\npart", "a\nb\nNEW\n", 4},
		{"lines all torn", Tail{Delim: []byte("\n")}, "part", "NEW\n", 4},
		{"two-byte delimiter", Tail{Delim: []byte("\r\n")}, "a\r\nb\r", "a\r\nNEW\r\n", 2},
		{"two-byte delimiter across reads", Tail{Delim: []byte("\r\n")}, "a\r\n" + strings.Repeat("y", 65536), "a\r\nNEW\r\n", 65536},
		{"lines tail too long to be ours", Tail{Delim: []byte("\n")}, "a\n" + strings.Repeat("x", 200), "a\n" + strings.Repeat("x", 200) + "NEW\n", 0},
		{"no tail rule", Tail{}, "a\nb\npart", "a\nb\npartNEW\n", 0},
		{"frames clean", Tail{Frames: true}, full, full + "NEW\n", 0},
		{"frames torn", Tail{Frames: true}, torn, full + "NEW\n", int64(len(torn) - len(full))},
		{"frames garbage only", Tail{Frames: true}, "garbage", "NEW\n", 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(path, []byte(tc.existing), 0o644); err != nil {
				t.Fatal(err)
			}
			rec := "NEW\n"
			if string(tc.tail.Delim) == "\r\n" {
				rec = "NEW\r\n"
				tc.want = strings.ReplaceAll(tc.want, "NEW\n", rec)
			}
			maxRecord := 100
			if len(tc.existing) > 1000 {
				maxRecord = len(tc.existing)
			}
			w := mustNew(t, Options{Name: path, Tail: tc.tail, MaxRecord: maxRecord})
			mustWrite(t, w, rec, 0)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tc.want {
				t.Errorf("file %q, want %q", got, tc.want)
			}
			if got := w.Stats().Repaired; got != tc.repaired {
				t.Errorf("repaired %d bytes, want %d", got, tc.repaired)
			}
		})
	}
}

// TestFsyncBeforeFlushed checks the order of operations: a Write or Tick
// reports its records durable only after they were written and the file
// (and, for a new file, its directory) fsynced.
func TestFsyncBeforeFlushed(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{}
	c := newClock("2024-01-01T00:00:00Z")
	w := mustNew(t, Options{Name: filepath.Join(dir, "sub", "f"), FS: ffs, FlushCount: 3, FlushInterval: time.Second, Now: c.now})
	if mustWrite(t, w, "1\n", 0) || mustWrite(t, w, "2\n", 0) {
		t.Fatal("flushed before flush_count")
	}
	if ev := ffs.events(); slices.ContainsFunc(ev, func(s string) bool { return strings.HasPrefix(s, "write") }) {
		t.Fatalf("written before the batch was due: %v", ev)
	}
	if !mustWrite(t, w, "3\n", 0) {
		t.Fatal("not flushed at flush_count")
	}
	want := []string{"open f", "write f 0 6", "sync f", "syncdir sub", "syncdir " + filepath.Base(dir)}
	if ev := ffs.events(); !slices.Equal(ev[:3], want[:3]) || !slices.Contains(ev, want[3]) || !slices.Contains(ev, want[4]) {
		t.Fatalf("events %v, want %v (directories in any order)", ev, want)
	}
	n := len(ffs.events())
	mustWrite(t, w, "4\n", 0)
	if ok, _ := w.Tick(false); ok {
		t.Fatal("Tick reported durable with a young batch pending")
	}
	c.add(time.Second)
	if ok, err := w.Tick(false); !ok || err != nil {
		t.Fatalf("Tick after flush_interval: %v %v", ok, err)
	}
	if ev := ffs.events()[n:]; !slices.Equal(ev, []string{"write f 6 2", "sync f"}) {
		t.Fatalf("tick events %v", ev)
	}
}

// TestWriteFailureRetried: a write cut short (disk full) refuses the
// record, leaves the file as it was fsynced, keeps the batch, and the
// same record offered again ends up in the file once, with the batch.
func TestWriteFailureRetried(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{}
	path := filepath.Join(dir, "f")
	w := mustNew(t, Options{Name: path, FS: ffs, FlushCount: 2})
	mustWrite(t, w, "a\n", 0)
	mustWrite(t, w, "b\n", 0) // flushed
	mustWrite(t, w, "c\n", 0)
	ffs.writeFail, ffs.writeKeep = 2, 1
	for range 2 {
		flushed, err := w.Write([]byte("d\n"), 0)
		if flushed || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Write with a full disk: %v %v", flushed, err)
		}
		if got := readFile(t, path); got != "a\nb\n" {
			t.Fatalf("file after failed write %q, want what was fsynced", got)
		}
		if ok, _ := w.Tick(false); ok {
			t.Fatal("Tick says durable while a refused record waits")
		}
	}
	if !mustWrite(t, w, "d\n", 0) {
		t.Fatal("not flushed")
	}
	if got := readFile(t, path); got != "a\nb\nc\nd\n" {
		t.Fatalf("file %q", got)
	}
	if s := w.Stats(); s.Failures != 2 || s.Records != 4 {
		t.Errorf("stats %+v", s)
	}
	if ok, err := w.Tick(false); !ok || err != nil {
		t.Errorf("Tick after recovery: %v %v", ok, err)
	}
}

// TestSyncFailureRewrites: after a failed fsync the page cache is not
// trusted: the file is reopened, cut back and the batch written again.
func TestSyncFailureRewrites(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{}
	path := filepath.Join(dir, "f")
	w := mustNew(t, Options{Name: path, FS: ffs, FlushCount: 1})
	mustWrite(t, w, "a\n", 0)
	ffs.syncFail = 1
	if _, err := w.Write([]byte("b\n"), 0); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Write: %v", err)
	}
	n := len(ffs.events())
	mustWrite(t, w, "b\n", 0)
	if ev := ffs.events()[n:]; !slices.Equal(ev, []string{"open f", "write f 2 2", "sync f"}) {
		t.Errorf("events after the failure %v", ev)
	}
	if got := readFile(t, path); got != "a\nb\n" {
		t.Errorf("file %q", got)
	}
}

func TestOpenFailureRetried(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{openFail: 1}
	w := mustNew(t, Options{Name: filepath.Join(dir, "f"), FS: ffs, FlushCount: 1})
	if _, err := w.Write([]byte("a\n"), 0); !errors.Is(err, errInjected) {
		t.Fatalf("Write: %v", err)
	}
	mustWrite(t, w, "a\n", 0)
	if got := readFile(t, filepath.Join(dir, "f")); got != "a\n" {
		t.Errorf("file %q", got)
	}
}

func TestDirSyncFailureRetried(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{dirFail: 1}
	path := filepath.Join(dir, "f")
	w := mustNew(t, Options{Name: path, FS: ffs, FlushCount: 1})
	if _, err := w.Write([]byte("a\n"), 0); !errors.Is(err, errInjected) {
		t.Fatalf("Write: %v", err)
	}
	mustWrite(t, w, "a\n", 0)
	if got := readFile(t, path); got != "a\n" {
		t.Errorf("file %q", got)
	}
}

// TestDeviceFull writes to /dev/full through a symlink: ENOSPC, retried
// until the link points to a real file.
func TestDeviceFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "out.log")
	if err := os.Symlink("/dev/full", link); err != nil {
		t.Fatal(err)
	}
	w := mustNew(t, Options{Name: link, FlushCount: 1})
	if _, err := w.Write([]byte("a\n"), 0); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write to /dev/full: %v", err)
	}
	real := filepath.Join(dir, "real.log")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, "a\n", 0)
	if got := readFile(t, real); got != "a\n" {
		t.Errorf("file %q", got)
	}
}

func TestPermissions(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, Options{Name: filepath.Join(dir, "d1", "d2", "f"), Perm: 0o600, DirPerm: 0o710, FlushCount: 1})
	mustWrite(t, w, "a\n", 0)
	for p, want := range map[string]os.FileMode{"d1/d2/f": 0o600, "d1": 0o710 | os.ModeDir, "d1/d2": 0o710 | os.ModeDir} {
		st, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode(); got != want&^umask() {
			t.Errorf("%s: mode %v, want %v", p, got, want&^umask())
		}
	}
}

func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Name: "x", RollSize: 10}, "roll_size: output_file \"x\" has no %{seq}"},
		{Options{Name: "x", RollInterval: time.Hour}, "roll_interval: output_file \"x\" has neither"},
		{Options{Name: "%{seq}/x"}, "must be in the file name"},
		{Options{Name: "a%{nope}"}, "unknown %{nope}"},
		{Options{Name: "a%q"}, "unknown conversion %q"},
		{Options{Name: "a%"}, "'%' at the end"},
		{Options{Name: "%{seq}%{seq}"}, "more than once"},
		{Options{Name: "%{seq:0}"}, "width must be"},
		{Options{Name: ""}, "empty"},
	}
	for _, tc := range tests {
		_, err := New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestPatternExpand(t *testing.T) {
	p, err := parsePattern("/d/%{Logger}/%Y-%m-%dT%H:%M:%S_%y_%j_%s_%F_%T_%%_%{seq:4}.log", map[string]string{"Logger": "output.x"})
	if err != nil {
		t.Fatal(err)
	}
	tm := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	want := "/d/output.x/2024-02-03T04:05:06_24_034_1706933106_2024-02-03_04:05:06_%_0042.log"
	if got := p.expand(tm, 42); got != want {
		t.Errorf("expand = %q, want %q", got, want)
	}
	pre, post := p.split(tm)
	if n, ok := seqOf(filepath.Base(p.expand(tm, 12345)), filepath.Base(pre), post); !ok || n != 12345 {
		t.Errorf("seqOf: %d %v", n, ok)
	}
	if _, ok := seqOf("x.1a.log", "x.", ".log"); ok {
		t.Error("seqOf accepted non-digits")
	}
}

func TestClosed(t *testing.T) {
	w := mustNew(t, Options{Name: filepath.Join(t.TempDir(), "f")})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("x"), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

// TestRollOpenFailure: when the next file cannot be created, the record
// is refused, and offered again it goes to the next file, not over
// roll_size into the previous one.
func TestRollOpenFailure(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{}
	w := mustNew(t, Options{Name: filepath.Join(dir, "r.%{seq}"), FS: ffs, RollSize: 6, FlushCount: 1})
	mustWrite(t, w, "aaaa\n", 0)
	ffs.openFail = 2
	for range 2 {
		if _, err := w.Write([]byte("bbbb\n"), 0); !errors.Is(err, errInjected) {
			t.Fatalf("Write: %v", err)
		}
	}
	mustWrite(t, w, "bbbb\n", 0)
	want := map[string]string{"r.0": "aaaa\n", "r.1": "bbbb\n"}
	if got := dirFiles(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files %v, want %v", got, want)
	}
}
