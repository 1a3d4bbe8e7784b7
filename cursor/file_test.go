package cursor

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

var errInjected = errors.New("injected fault")

// faultFS is the real file system with one step made to fail: "open",
// "write" (half written, then an error), "short" (half written, no
// error), "sync", "close", "rename" or "syncdir". It counts renames.
type faultFS struct {
	osFS
	mu      sync.Mutex
	failAt  string
	renames int
}

func (f *faultFS) fail(step string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failAt == step
}

func (f *faultFS) set(step string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt = step
}

func (f *faultFS) renameCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.renames
}

func (f *faultFS) openFile(name string, flag int, perm os.FileMode) (file, error) {
	if f.fail("open") {
		return nil, errInjected
	}
	real, err := f.osFS.openFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{file: real, fs: f}, nil
}

func (f *faultFS) rename(oldpath, newpath string) error {
	if f.fail("rename") {
		return errInjected
	}
	f.mu.Lock()
	f.renames++
	f.mu.Unlock()
	return f.osFS.rename(oldpath, newpath)
}

func (f *faultFS) syncDir(dir string) error {
	if f.fail("syncdir") {
		return errInjected
	}
	return f.osFS.syncDir(dir)
}

type faultFile struct {
	file
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	switch {
	case f.fs.fail("write"):
		n, _ := f.file.Write(p[:len(p)/2])
		return n, errInjected
	case f.fs.fail("short"):
		return f.file.Write(p[:len(p)/2])
	}
	return f.file.Write(p)
}

func (f *faultFile) Sync() error {
	if f.fs.fail("sync") {
		return errInjected
	}
	return f.file.Sync()
}

func (f *faultFile) Close() error {
	err := f.file.Close()
	if f.fs.fail("close") {
		return errInjected
	}
	return err
}

// assertDir fails t unless dir holds exactly the named files.
func assertDir(t testing.TB, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}

func TestWriteFileAtomicFaults(t *testing.T) {
	cases := []struct {
		step    string
		want    error
		changed bool // the new content is in place despite the error
	}{
		{"open", errInjected, false},
		{"write", errInjected, false},
		{"short", io.ErrShortWrite, false},
		{"sync", errInjected, false},
		{"close", errInjected, false},
		{"rename", errInjected, false},
		{"syncdir", errInjected, true},
	}
	for _, tc := range cases {
		t.Run(tc.step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state")
			if err := WriteFileAtomic(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			fsys := &faultFS{failAt: tc.step}
			err := writeFileAtomic(fsys, path, []byte("new content"), 0o600)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if got, _ := os.ReadFile(path); (string(got) == "new content") != tc.changed {
				t.Errorf("file holds %q after a failed %s", got, tc.step)
			}
			assertDir(t, dir, "state")
		})
	}
}

func TestWriteFileAtomicNoOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := writeFileAtomic(&faultFS{failAt: "sync"}, path, []byte("x"), 0o600); !errors.Is(err, errInjected) {
		t.Fatalf("error %v", err)
	}
	assertDir(t, dir)
	if err := WriteFileAtomic(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "x" {
		t.Errorf("file holds %q", got)
	}
}

func TestWriteFileAtomicPerm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := WriteFileAtomic(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != 0 {
		t.Errorf("mode %v size %d, want -rw------- and 0", fi.Mode(), fi.Size())
	}
}

func TestWriteFileAtomicReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := WriteFileAtomic(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if err := WriteFileAtomic(path, []byte("new"), 0o600); err == nil {
		t.Fatal("write into a read-only directory succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("file holds %q", got)
	}
	assertDir(t, dir, "state")
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "input.x.cp")
	if err := Remove(path); err != nil {
		t.Fatalf("Remove(missing) = %v", err)
	}
	if err := Save(path, State{}); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	assertDir(t, dir)
	if err := remove(&faultFS{failAt: "syncdir"}, path); err != nil {
		t.Fatalf("Remove(missing) synced the directory: %v", err)
	}
}

func TestPath(t *testing.T) {
	got := Path("/var/lib/sightline", TypeOutput, "kafka")
	if want := filepath.FromSlash("/var/lib/sightline/cursors/output.kafka.cp"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}
