package preserve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/internal/atomicfile/atomicfiletest"
)

// TestRestoreReferenceFile restores testdata/reference.data, a file in the
// reference's format with Lua 5.1's %q strings (written by
// testdata/genref.lua), including the lines of the spec's §4.12 example.
func TestRestoreReferenceFile(t *testing.T) {
	data, err := os.ReadFile("testdata/reference.data")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "analysis.hindsight.data")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	L := newState(t)
	doString(t, L, `total = 0; kvp = {b = "init"}`)
	if st, err := Restore(L, path, RestoreOptions{}); st != Restored || err != nil {
		t.Fatalf("Restore = %v, %v", st, err)
	}
	doString(t, L, `
		assert(total == 50)
		assert(kvp.a == "foo" and kvp.b == nil)
		assert(type(empty_array) == "table" and next(empty_array) == nil)
		assert(rawequal(cyclea, cycleb.a) and rawequal(cyclea.b, cycleb))
		assert(cyclea.type == "cycle a" and cycleb.type == "cycle b")
		assert(inf == 1/0 and ninf == -1/0 and nan ~= nan)
		assert(rate == 0.12345678 and rates[1] == 99.1 and rates[2] == 98 and rates.key == "val")
		assert(#all_bytes == 256, #all_bytes)
		for i = 0, 255 do assert(all_bytes:byte(i + 1) == i, i) end
		assert(keys["k\0\n\r\"\\\255"] == true)
		assert(_G["key with spaces"] == "kws" and boolean == false)`)
}

// TestRestoreCorrupt: a state file that fails to load is moved aside and
// reported with its name and the Lua error; the plugin starts clean.
func TestRestoreCorrupt(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // in the error
	}{
		{"syntax error", "_G[\"x\"] = = 1\n", "analysis.bad.data"},
		{"cut mid-string", "if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 0 then return end\n_G[\"x\"] = \"abc", "unterminated string"},
		{"cut mid-statement", "_G[\"x\"] = {}\n_G[\"x\"][", ""},
		{"runtime error", "_G[\"x\"] = {}\n_G[\"y\"][\"z\"] = 1\n", "index"},
		{"missing module", "if _G[\"cb\"] == nil then _G[\"cb\"] = circular_buffer.new(3, 3, 1) end\n", "with key 'new'"},
		{"error call", "error(\"deliberate\")\n", "deliberate"},
		{"binary garbage", "\x00\xff\x1b\x4c\x75\x61\x51", ""},
		{"bad guard", "if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= nosuch.x then return end\n_G[\"x\"] = 1\n", "key 'x'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "analysis.bad.data")
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			L := newState(t)
			doString(t, L, "_PRESERVATION_VERSION = 0")
			st, err := Restore(L, path, RestoreOptions{})
			var rerr *RestoreError
			if st != Failed || !errors.As(err, &rerr) {
				t.Fatalf("Restore = %v, %v; want Failed, *RestoreError", st, err)
			}
			if rerr.File != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want the file and %q", err, tc.want)
			}
			if !strings.HasPrefix(rerr.MovedTo, path+".bad-") || !strings.Contains(err.Error(), rerr.MovedTo) {
				t.Errorf("MovedTo = %q", rerr.MovedTo)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state file still in place: %v", err)
			}
			if got := readFile(t, rerr.MovedTo); got != tc.data {
				t.Errorf("moved file holds %q, want %q", got, tc.data)
			}
			// The retry with clean state finds nothing to restore.
			if st, err := Restore(newState(t), path, RestoreOptions{}); st != Missing || err != nil {
				t.Errorf("second Restore = %v, %v; want Missing", st, err)
			}
		})
	}
}

func TestRestoreUnreadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "input.dir.data")
	if err := os.Mkdir(path, 0o700); err != nil { // reading a directory fails
		t.Fatal(err)
	}
	st, err := Restore(newState(t), path, RestoreOptions{})
	var rerr *RestoreError
	if st != Failed || !errors.As(err, &rerr) || rerr.MovedTo == "" {
		t.Fatalf("Restore = %v, %v; want Failed and moved aside", st, err)
	}
}

// TestRestoreMoveAsideFaults: when moving a bad file aside fails, the
// error says so; a failed rename leaves the file in place.
func TestRestoreMoveAsideFaults(t *testing.T) {
	for _, step := range []atomicfiletest.Step{atomicfiletest.Rename, atomicfiletest.SyncDir} {
		t.Run(string(step), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "analysis.bad.data")
			if err := os.WriteFile(path, []byte("error(\"deliberate\")\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := restore(atomicfiletest.New(step), newState(t), path, RestoreOptions{})
			var rerr *RestoreError
			if st != Failed || !errors.As(err, &rerr) || !strings.Contains(err.Error(), "deliberate") ||
				!strings.Contains(err.Error(), "moving the file aside failed: "+atomicfiletest.ErrInjected.Error()) {
				t.Fatalf("restore = %v, %v; want Failed, the Lua error and the failed move", st, err)
			}
			moved := step == atomicfiletest.SyncDir // the rename itself worked
			if (rerr.MovedTo != "") != moved {
				t.Errorf("MovedTo = %q after a failed %s", rerr.MovedTo, step)
			}
			if _, err := os.Stat(path); (err == nil) == moved {
				t.Errorf("state file after a failed %s: %v", step, err)
			}
		})
	}
}

func TestRestoreMissing(t *testing.T) {
	L := newState(t)
	st, err := Restore(L, filepath.Join(t.TempDir(), "nothing.data"), RestoreOptions{})
	if st != Missing || err != nil {
		t.Fatalf("Restore = %v, %v; want Missing, nil", st, err)
	}
}

func TestRestoreInfiniteLoop(t *testing.T) {
	tests := []struct{ name, data string }{
		{"loop", "_G[\"x\"] = 1\nwhile true do end\n"},
		{"recursion in a loop", "local function f() for i = 1, 1e9 do local t = {i} end return f() end f()\n"},
		{"loop in guard", "if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= (function() while true do end end)() then return end\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "analysis.loop.data")
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			L := newState(t)
			doString(t, L, "_PRESERVATION_VERSION = 1")
			start := time.Now()
			st, err := Restore(L, path, RestoreOptions{Timeout: 100 * time.Millisecond})
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("Restore took %v", took)
			}
			var rerr *RestoreError
			if st != Failed || !errors.Is(err, ErrTimeout) || !errors.As(err, &rerr) || rerr.MovedTo == "" {
				t.Fatalf("Restore = %v, %v; want Failed, ErrTimeout, moved aside", st, err)
			}
			if L.Context() != nil {
				t.Error("Restore left its context on L")
			}
		})
	}
}

func TestRestoreCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "analysis.slow.data")
	if err := os.WriteFile(path, []byte("while true do end\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	st, err := Restore(newState(t), path, RestoreOptions{Context: ctx})
	var rerr *RestoreError
	if st != Failed || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Restore = %v, %v; want Failed with the caller's context error", st, err)
	}
	if errors.As(err, &rerr) {
		t.Errorf("got a *RestoreError (start clean) for a shutdown: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("state file: %v", err)
	}

	// Already cancelled: nothing runs.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if st, err := Restore(newState(t), path, RestoreOptions{Context: ctx}); st != Failed || !errors.Is(err, context.Canceled) {
		t.Errorf("Restore = %v, %v; want Failed, context.Canceled", st, err)
	}
}

func TestRestoreKeepsStateContext(t *testing.T) {
	path := saveSetup(t, "x = 1")
	L := newState(t)
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "plugin")
	L.SetContext(ctx)
	if st, err := Restore(L, path, RestoreOptions{}); st != Restored || err != nil {
		t.Fatalf("Restore = %v, %v", st, err)
	}
	if L.Context() != ctx {
		t.Error("Restore did not put L's context back")
	}
}

func TestRestoreRemovesStaleTemps(t *testing.T) {
	path := saveSetup(t, "x = 1")
	temp := path + atomicfile.TempInfix + "crashed"
	if err := os.WriteFile(temp, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	restoreFresh(t, path)
	if _, err := os.Stat(temp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file: %v", err)
	}
}

func TestStatusString(t *testing.T) {
	for st, want := range map[Status]string{Failed: "failed", Missing: "missing", Restored: "restored", Discarded: "discarded", 9: "Status(9)"} {
		if got := st.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(st), got, want)
		}
	}
}
