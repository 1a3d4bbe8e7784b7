package preserve

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/internal/atomicfile/atomicfiletest"
)

func readFile(tb testing.TB, path string) string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

func TestSaveSkips(t *testing.T) {
	const plugin = `
		kept = 1
		fn = function() end
		co = coroutine.create(function() end)
		withmeta = setmetatable({x = 1}, {})
		module = setmetatable({}, {})
		handlers = {a = function() end, b = print}
		nested_code = {inner = {f = print}}
		data = {f = print, n = 1}
		globals = _G
		ref = {g = _G, t = {}}
		tablekeys = {[{}] = 1, [print] = 2, ok = 3}
		only_table_keys = {[{}] = 1}
		_PRESERVATION_VERSION = 3
		string.extra = "host table, not saved"
		math.pi = 3`
	L := newState(t)
	L.SetGlobal("host_value", lua.LString("set by the host"))
	L.SetGlobal("new_userdata", L.NewFunction(func(L *lua.LState) int {
		L.Push(L.NewUserData()) // no Serializer: skipped
		return 1
	}))
	skip := HostGlobals(L)
	doString(t, L, plugin+"\nud = new_userdata()")
	path := filepath.Join(t.TempDir(), "analysis.skip.data")
	if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
		t.Fatal(err)
	}
	want := `if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 3 then return end
_G["data"] = {}
_G["data"]["n"] = 1
_G["kept"] = 1
_G["ref"] = {}
_G["ref"]["t"] = {}
_G["tablekeys"] = {}
_G["tablekeys"]["ok"] = 3
`
	if got := readFile(t, path); got != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}

	// The skipped function table survives a restore after the plugin's
	// file ran, where the reference would replace it with {}.
	L2 := newState(t)
	doString(t, L2, plugin)
	if st, err := Restore(L2, path, RestoreOptions{}); st != Restored || err != nil {
		t.Fatalf("Restore = %v, %v", st, err)
	}
	doString(t, L2, `assert(type(handlers.a) == "function" and type(fn) == "function")
		assert(getmetatable(withmeta) and withmeta.x == 1)
		assert(type(string.format) == "function" and math.pi == 3 and string.extra)`)
}

func TestSaveDefaultSkipsStandardGlobals(t *testing.T) {
	L := newState(t)
	doString(t, L, `math.answer = 42; package.path = "x"; _VERSION = "changed"; mine = true`)
	path := filepath.Join(t.TempDir(), "s.data")
	if err := Save(L, path, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 0 then return end\n_G[\"mine\"] = true\n"
	if got := readFile(t, path); got != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	for _, name := range []string{"_G", "_VERSION", "string", "math", "package", "print", "coroutine"} {
		if !StandardGlobal(name) {
			t.Errorf("StandardGlobal(%q) = false", name)
		}
	}
	if StandardGlobal("mine") {
		t.Error(`StandardGlobal("mine") = true`)
	}
}

func TestVersionGuard(t *testing.T) {
	tests := []struct {
		name    string
		saved   string // Lua value of _PRESERVATION_VERSION when saving; "" unset
		current string // when restoring
		want    Status
	}{
		{"unset both", "", "", Restored},
		{"same number", "2", "2", Restored},
		{"changed number", "1", "2", Discarded},
		{"unset now", "1", "", Restored},
		{"set now", "", "1", Discarded},
		{"fraction", "1.5", "1.5", Restored},
		{"same string", `"v2"`, `"v2"`, Restored},
		{"changed string", `"v2"`, `"v3"`, Discarded},
		{"string vs number", `"1"`, "1", Discarded},
		{"table version counts as 0", "{}", "0", Restored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setup := "state = 'saved'\n"
			if tc.saved != "" {
				setup += "_PRESERVATION_VERSION = " + tc.saved + "\n"
			}
			path := saveSetup(t, setup)
			if strings.Contains(readFile(t, path), `_G["_PRESERVATION_VERSION"]`) {
				t.Error("the version is saved as data")
			}
			L := newState(t)
			doString(t, L, "state = 'initial'\n")
			if tc.current != "" {
				doString(t, L, "_PRESERVATION_VERSION = "+tc.current)
			}
			st, err := Restore(L, path, RestoreOptions{})
			if st != tc.want || err != nil {
				t.Fatalf("Restore = %v, %v; want %v", st, err, tc.want)
			}
			want := "saved"
			if tc.want == Discarded {
				want = "initial"
			}
			if got := L.GetGlobal("state").String(); got != want {
				t.Errorf("state = %q, want %q", got, want)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("state file gone after %v: %v", st, err)
			}
		})
	}
}

// serialized is a userdata value with its own restore code, like the
// reference's circular_buffer.
type serialized struct {
	n   int
	err error
}

func (s *serialized) SerializeLua(path string, w io.Writer) error {
	if s.err != nil {
		return s.err
	}
	_, err := fmt.Fprintf(w, "if %s == nil then %s = new_counter() end\n%s:set(%d)", path, path, path, s.n)
	return err
}

// openCounters registers new_counter() and a counter type with get/set,
// whose values are *serialized.
func openCounters(L *lua.LState) {
	mt := L.NewTypeMetatable("counter")
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"set": func(L *lua.LState) int {
			L.CheckUserData(1).Value.(*serialized).n = L.CheckInt(2)
			return 0
		},
		"get": func(L *lua.LState) int {
			L.Push(lua.LNumber(L.CheckUserData(1).Value.(*serialized).n))
			return 1
		},
	}))
	L.SetGlobal("new_counter", L.NewFunction(func(L *lua.LState) int {
		ud := L.NewUserData()
		ud.Value = &serialized{}
		L.SetMetatable(ud, mt)
		L.Push(ud)
		return 1
	}))
}

func TestSaveSerializer(t *testing.T) {
	L := newState(t)
	openCounters(L)
	skip := HostGlobals(L)
	doString(t, L, `c = new_counter(); c:set(7); box = {c = c, other = new_counter()}; box.other:set(9)`)
	path := filepath.Join(t.TempDir(), "analysis.ser.data")
	if err := Save(L, path, SaveOptions{Skip: skip}); err != nil {
		t.Fatal(err)
	}
	want := `if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 0 then return end
_G["box"] = {}
if _G["box"]["c"] == nil then _G["box"]["c"] = new_counter() end
_G["box"]["c"]:set(7)
if _G["box"]["other"] == nil then _G["box"]["other"] = new_counter() end
_G["box"]["other"]:set(9)
_G["c"] = _G["box"]["c"]
`
	if got := readFile(t, path); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	L2 := newState(t)
	openCounters(L2)
	doString(t, L2, `c = new_counter()`)
	if st, err := Restore(L2, path, RestoreOptions{}); st != Restored || err != nil {
		t.Fatalf("Restore = %v, %v", st, err)
	}
	doString(t, L2, `assert(c:get() == 7 and box.other:get() == 9 and rawequal(c, box.c))`)
}

func TestSaveFailureRemovesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "analysis.fail.data")
	if err := os.WriteFile(path, []byte("_G[\"old\"] = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	L := newState(t)
	boom := errors.New("boom")
	ud := L.NewUserData()
	ud.Value = &serialized{err: boom}
	L.SetGlobal("cb", ud)
	err := Save(L, path, SaveOptions{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `_G["cb"]`) {
		t.Fatalf("Save = %v; want the serializer's error naming file and path", err)
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("directory after failed save: %v; want empty (no temp, old state removed)", names)
	}
}

// TestSaveAtomicFaults makes each step of the atomic replace fail: the old
// state file is removed, as after any failed save, unless the new one is
// already in place.
func TestSaveAtomicFaults(t *testing.T) {
	const oldState = "if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 0 then return end\n_G[\"x\"] = \"old\"\n"
	for _, step := range atomicfiletest.WriteSteps {
		t.Run(string(step), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "output.fault.data")
			if err := os.WriteFile(path, []byte(oldState), 0o600); err != nil {
				t.Fatal(err)
			}
			L := newState(t)
			doString(t, L, `x = string.rep("new", 100000)`)
			fsys := atomicfiletest.New(step)
			fsys.Accept = 70000 // fail mid-stream
			err := save(fsys, L, path, SaveOptions{})
			if !errors.Is(err, step.Err()) || !strings.HasPrefix(err.Error(), "preserve: save "+path+": ") {
				t.Fatalf("save = %v; want %v naming the file", err, step.Err())
			}
			names := listDir(t, dir)
			if step == atomicfiletest.SyncDir {
				// The rename happened: the new file is complete and kept.
				if len(names) != 1 || !strings.Contains(readFile(t, path), `"newnew`) {
					t.Errorf("after a failed directory sync: %v; want the new file only", names)
				}
				return
			}
			if len(names) != 0 {
				t.Errorf("directory after failed %s: %v; want empty", step, names)
			}
			if !strings.HasSuffix(err.Error(), "(old state file removed)") {
				t.Errorf("save = %v; want it to say the old file was removed", err)
			}
		})
	}
}

func TestSaveRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "input.tail.data")
	for _, name := range []string{"input.tail.data.tmp-abc", "input.tail.data.tmp-", "input.other.data.tmp-abc", "input.tail.data.bad-20240101T000000.000000000Z"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	L := newState(t)
	if err := Save(L, path, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(listDir(t, dir), " ")
	want := "input.other.data.tmp-abc input.tail.data input.tail.data.bad-20240101T000000.000000000Z"
	if got != want {
		t.Errorf("directory: %s\nwant:      %s", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&^filePerm != 0 {
		t.Errorf("file mode %v, want at most %v", perm, os.FileMode(filePerm))
	}
}

func TestPath(t *testing.T) {
	if got, want := Path("/var/hs/output", "analysis", "counter"), "/var/hs/output/analysis.counter.data"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}
