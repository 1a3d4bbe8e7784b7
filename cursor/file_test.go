package cursor

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline/sightline/internal/atomicfile/atomicfiletest"
)

// errInjected is the error a fakeWriter is set to fail with.
var errInjected = errors.New("injected fault")

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

// TestSaveFaults makes each step of the atomic replace under Save fail.
func TestSaveFaults(t *testing.T) {
	for _, step := range atomicfiletest.WriteSteps {
		t.Run(string(step), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "input.x.cp")
			before, after := State{Checkpoint: str("old")}, State{Checkpoint: str("new")}
			if err := Save(path, before); err != nil {
				t.Fatal(err)
			}
			data, err := appendState(nil, after)
			if err != nil {
				t.Fatal(err)
			}
			err = writeFile(atomicfiletest.New(step), path, data)
			if !errors.Is(err, step.Err()) || !strings.HasPrefix(err.Error(), "cursor: write "+path+": ") {
				t.Fatalf("error %v, want %v naming the file", err, step.Err())
			}
			want := before
			if step == atomicfiletest.SyncDir { // the one step after the rename
				want = after
			}
			if st, ok, err := Load(path); err != nil || !ok || !equalState(st, want) {
				t.Errorf("after a failed %s: Load = %#v, %v, %v; want %#v", step, st, ok, err, want)
			}
			assertDir(t, dir, "input.x.cp")
		})
	}
}

func TestSavePerm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "input.x.cp")
	if err := Save(path, State{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&^filePerm != 0 {
		t.Errorf("mode %v, want at most %v", perm, os.FileMode(filePerm))
	}
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
	if err := remove(atomicfiletest.New(atomicfiletest.SyncDir), path); err != nil {
		t.Fatalf("Remove(missing) synced the directory: %v", err)
	}
	if err := Save(path, State{}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []atomicfiletest.Step{atomicfiletest.Remove, atomicfiletest.SyncDir} {
		if err := remove(atomicfiletest.New(step), path); !errors.Is(err, atomicfiletest.ErrInjected) || !strings.Contains(err.Error(), path) {
			t.Errorf("remove with a failing %s = %v", step, err)
		}
	}
}

func TestPath(t *testing.T) {
	got := Path("/var/lib/sightline", TypeOutput, "kafka")
	if want := filepath.FromSlash("/var/lib/sightline/cursors/output.kafka.cp"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}
