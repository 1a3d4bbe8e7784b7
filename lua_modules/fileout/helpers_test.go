package fileout

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// faultFS is the real file system with a log of the operations that
// matter for durability and switches to make them fail.
type faultFS struct {
	mu  sync.Mutex
	log []string // "write <file> <off> <n>", "sync <file>", "syncdir <dir>", "truncate <file> <n>", "open <file>"

	// writeFail, when > 0, makes the next writes fail after writing
	// writeKeep bytes (a partial write), writeFail times.
	writeFail int
	writeKeep int
	syncFail  int
	dirFail   int
	openFail  int
}

var errInjected = errors.New("injected failure")

func (f *faultFS) note(s string) {
	f.mu.Lock()
	f.log = append(f.log, s)
	f.mu.Unlock()
}

func (f *faultFS) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if f.openFail > 0 {
		f.openFail--
		return nil, &fs.PathError{Op: "open", Path: name, Err: errInjected}
	}
	file, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	f.note("open " + filepath.Base(name))
	return &faultFile{File: file, fs: f, name: filepath.Base(name)}, nil
}

func (f *faultFS) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }
func (f *faultFS) Stat(name string) (fs.FileInfo, error)     { return os.Stat(name) }
func (f *faultFS) ReadDirNames(dir string) ([]string, error) { return OS.ReadDirNames(dir) }
func (f *faultFS) SyncDir(dir string) error {
	if f.dirFail > 0 {
		f.dirFail--
		return errInjected
	}
	f.note("syncdir " + filepath.Base(dir))
	return OS.SyncDir(dir)
}

type faultFile struct {
	*os.File
	fs   *faultFS
	name string
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if f.fs.writeFail > 0 {
		f.fs.writeFail--
		n, _ := f.File.WriteAt(p[:min(len(p), f.fs.writeKeep)], off)
		f.fs.note("partial " + f.name)
		return n, &fs.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
	}
	n, err := f.File.WriteAt(p, off)
	f.fs.note("write " + f.name + " " + strconv.Itoa(int(off)) + " " + strconv.Itoa(n))
	return n, err
}

func (f *faultFile) Sync() error {
	if f.fs.syncFail > 0 {
		f.fs.syncFail--
		return &fs.PathError{Op: "sync", Path: f.name, Err: syscall.EIO}
	}
	f.fs.note("sync " + f.name)
	return f.File.Sync()
}

func (f *faultFile) Truncate(n int64) error {
	f.fs.note("truncate " + f.name + " " + strconv.Itoa(int(n)))
	return f.File.Truncate(n)
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock(s string) *clock       { t, _ := time.Parse(time.RFC3339, s); return &clock{t} }
func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirFiles returns the files under dir (relative, slash-separated) and
// their contents.
func dirFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = readFile(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustNew(t testing.TB, o Options) *Writer {
	t.Helper()
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func mustWrite(t testing.TB, w *Writer, rec string, ts int64) bool {
	t.Helper()
	flushed, err := w.Write([]byte(rec), ts)
	if err != nil {
		t.Fatalf("Write(%q): %v", rec, err)
	}
	return flushed
}
