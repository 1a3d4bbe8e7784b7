package atomicfile_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/internal/atomicfile/atomicfiletest"
)

// assertDir fails tb unless dir holds exactly the named files.
func assertDir(tb testing.TB, dir string, names ...string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		tb.Errorf("directory holds %q, want %q", got, names)
	}
}

// writeString writes s in chunks of at most 4 bytes, as a streaming caller
// would.
func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		for chunk := range slices.Chunk([]byte(s), 4) {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestWriteFaults(t *testing.T) {
	for _, step := range atomicfiletest.WriteSteps {
		for _, old := range []bool{true, false} {
			name := string(step)
			if !old {
				name += "/no old file"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "state")
				if old {
					if err := atomicfile.WriteFile(path, []byte("old"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				fsys := atomicfiletest.New(step)
				fsys.Accept = 5
				replaced, err := atomicfile.Write(fsys, path, 0o600, writeString("new content"))
				if !errors.Is(err, step.Err()) {
					t.Fatalf("Write = %v, want %v", err, step.Err())
				}
				if wantReplaced := step == atomicfiletest.SyncDir; replaced != wantReplaced {
					t.Errorf("replaced = %v, want %v", replaced, wantReplaced)
				}
				got, rerr := os.ReadFile(path)
				switch {
				case replaced:
					if string(got) != "new content" {
						t.Errorf("file holds %q after the rename", got)
					}
				case old:
					if string(got) != "old" {
						t.Errorf("file holds %q after a failed %s", got, step)
					}
				case !errors.Is(rerr, fs.ErrNotExist):
					t.Errorf("file exists after a failed %s: %q, %v", step, got, rerr)
				}
				if replaced || old {
					assertDir(t, dir, "state")
				} else {
					assertDir(t, dir)
				}
			})
		}
	}
}

func TestWriteCallbackError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := atomicfile.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	replaced, err := atomicfile.Write(atomicfile.OS, path, 0o600, func(w io.Writer) error {
		if _, err := io.WriteString(w, "half"); err != nil {
			return err
		}
		return boom
	})
	if err != boom || replaced {
		t.Fatalf("Write = %v, %v; want the callback's error as is", replaced, err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("file holds %q", got)
	}
	assertDir(t, dir, "state")
}

// A write function that drops a write error does not hide it.
func TestWriteDroppedError(t *testing.T) {
	for _, step := range []atomicfiletest.Step{atomicfiletest.Write, atomicfiletest.Short} {
		t.Run(string(step), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state")
			writes := 0
			_, err := atomicfile.Write(atomicfiletest.New(step), path, 0o600, func(w io.Writer) error {
				for range 3 {
					if _, err := io.WriteString(w, "data"); err == nil {
						writes++
					}
				}
				return nil
			})
			if err == nil {
				t.Fatal("Write succeeded after a failed write")
			}
			if writes != 0 {
				t.Errorf("%d writes succeeded after the first failed", writes)
			}
			assertDir(t, dir)
		})
	}
}

// Remove fails too: the temp file stays, the first error is reported.
func TestWriteRemoveFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	boom := errors.New("boom")
	_, err := atomicfile.Write(atomicfiletest.New(atomicfiletest.Remove), path, 0o600, func(io.Writer) error { return boom })
	if err != boom {
		t.Fatalf("Write = %v, want the callback's error", err)
	}
	removed, err := atomicfile.RemoveTemps(atomicfile.OS, dir, func(target string) bool { return target == "state" })
	if err != nil || len(removed) != 1 {
		t.Fatalf("RemoveTemps = %q, %v; want the one temp file", removed, err)
	}
	assertDir(t, dir)
}

// existFS reports the first n temp names as taken.
type existFS struct {
	atomicfile.FS
	n     int
	names []string
}

func (e *existFS) OpenFile(name string, flag int, perm os.FileMode) (atomicfile.File, error) {
	e.names = append(e.names, name)
	if len(e.names) <= e.n {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	}
	return e.FS.OpenFile(name, flag, perm)
}

func TestWriteTempNameTaken(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	fsys := &existFS{FS: atomicfile.OS, n: 3}
	if _, err := atomicfile.Write(fsys, path, 0o600, writeString("x")); err != nil {
		t.Fatal(err)
	}
	if len(fsys.names) != 4 {
		t.Errorf("%d tries, want 4", len(fsys.names))
	}
	for _, name := range fsys.names {
		if !strings.HasPrefix(name, path+atomicfile.TempInfix) {
			t.Errorf("temp name %q, want %q<random>", name, path+atomicfile.TempInfix)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(fsys.names)))) != len(fsys.names) {
		t.Errorf("temp names repeat: %q", fsys.names)
	}
	assertDir(t, dir, "state")

	fsys = &existFS{FS: atomicfile.OS, n: 1 << 30}
	if _, err := atomicfile.Write(fsys, path, 0o600, writeString("y")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Write with every name taken = %v", err)
	}
	if len(fsys.names) != 100 {
		t.Errorf("%d tries, want 100", len(fsys.names))
	}
}

func TestWriteFilePerm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := atomicfile.WriteFile(path, nil, 0o600); err != nil {
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

func TestWriteFileReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := atomicfile.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if err := atomicfile.WriteFile(path, []byte("new"), 0o600); err == nil {
		t.Fatal("write into a read-only directory succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("file holds %q", got)
	}
	assertDir(t, dir, "state")
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	fsys := atomicfiletest.New(atomicfiletest.None)
	if err := atomicfile.Remove(fsys, path); err != nil {
		t.Fatalf("Remove(missing) = %v", err)
	}
	if n := fsys.Count(atomicfiletest.SyncDir); n != 0 {
		t.Errorf("Remove(missing) synced the directory %d times", n)
	}
	if err := atomicfile.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Remove(fsys, path); err != nil {
		t.Fatal(err)
	}
	if n := fsys.Count(atomicfiletest.SyncDir); n != 1 {
		t.Errorf("Remove synced the directory %d times, want 1", n)
	}
	assertDir(t, dir)

	for _, step := range []atomicfiletest.Step{atomicfiletest.Remove, atomicfiletest.SyncDir} {
		if err := atomicfile.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.Remove(atomicfiletest.New(step), path); !errors.Is(err, atomicfiletest.ErrInjected) {
			t.Errorf("Remove with a failing %s = %v", step, err)
		}
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	files := map[string]bool{ // name: RemoveTemps removes it
		"a.cp":             false,
		"a.cp.tmp-3kq9z":   true,
		"a.cp.tmp-":        true,
		"b.cp.tmp-x1":      true,
		"a.data.tmp-3kq9z": false, // not matched
		"a.cp.tmp-X1":      false, // not a suffix Write makes
		"a.cp.tmp-x.y":     false,
		".tmp-abc":         false,
		"notes.txt":        false,
	}
	var kept []string
	for name, removed := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if !removed {
			kept = append(kept, name)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "c.cp.tmp-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, "c.cp.tmp-dir")
	removed, err := atomicfile.RemoveTemps(atomicfile.OS, dir, func(target string) bool { return strings.HasSuffix(target, ".cp") })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.cp.tmp-"), filepath.Join(dir, "a.cp.tmp-3kq9z"), filepath.Join(dir, "b.cp.tmp-x1")}
	if !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	assertDir(t, dir, kept...)

	if _, err := atomicfile.RemoveTemps(atomicfile.OS, filepath.Join(dir, "missing"), func(string) bool { return true }); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemoveTemps(missing dir) = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.cp.tmp-1"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err = atomicfile.RemoveTemps(atomicfiletest.New(atomicfiletest.Remove), dir, func(string) bool { return true })
	if !errors.Is(err, atomicfiletest.ErrInjected) || len(removed) != 0 {
		t.Errorf("RemoveTemps with a failing Remove = %q, %v", removed, err)
	}
}

func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	if err := atomicfile.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.SyncDir(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SyncDir(missing) = %v", err)
	}
}
