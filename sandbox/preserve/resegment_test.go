package preserve

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// resegmentCases are chunks that must mean the same after cutSegments cut
// them at every place it can. cut says whether a cut is expected.
var resegmentCases = []struct {
	name string
	src  string
	cut  bool
}{
	{"plain statements", "_G[\"a\"] = 1\n_G[\"b\"] = {}\n_G[\"b\"][1] = _G[\"a\"]\n", true},
	{"guard first", "if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 0 then return end\n_G[\"a\"] = 1\n_G[\"b\"] = 2\n", true},
	{"serializer lines", "_G[\"n\"] = 0\nif _G[\"cb\"] == nil then _G[\"cb\"] = {} end\n_G[\"cb\"].x = 1\nfunction _G.f() return 1 end\n_G[\"cb\"]:f()\n", true},
	{"escaped newline in string", "_G[\"s\"] = \"a\\\n_G[\\\"x\\\"] = 1\\\nend\"\n_G[\"t\"] = 2\n", true},
	{"escaped CRLF in string", "_G[\"s\"] = \"a\\\r\nb\"\r\n_G[\"t\"] = 2\r\n", true},
	{"long string and comments", "_G[\"s\"] = [==[\nend\n_G[\"x\"] = ]]\n]==]\n--[[ end\nlocal x ]] _G[\"t\"] = 1\n-- local y\n_G[\"u\"] = 2 -- end", true},
	{"loops", "t = {}\nfor i = 1, 3 do\nt[i] = i\nend\nrepeat\nt.n = (t.n or 0) + 1\nuntil t.n > 2\nwhile t.n < 5 do t.n = t.n + 1 end\ndo\nt.d = 1\nend\n", true},
	{"semicolons", "a = 1; b = 2;\nc = 3;\n", true},
	{"continued expression", "a = 1 +\n2\nb = a ..\n\"x\"\nc = {\nk = 1\n}\n", true},
	{"numbers", "a = 1e+5\nb = 0x1F\nc = .5\nd = 3.\ne = 1E-2\n", true},
	{"top-level local", "local x = 1\n_G[\"a\"] = x\n_G[\"b\"] = x\n", false},
	{"varargs", "_G[\"n\"] = select('#', ...)\n_G[\"b\"] = 1\n", false},
	{"return after statements", "_G[\"a\"] = 1\n_G[\"b\"] = 2\nreturn\n", false},
	{"unbalanced", "_G[\"a\"] = 1\nend\n", false},
	{"unterminated string", "_G[\"a\"] = 1\n_G[\"b\"] = \"abc\n", false},
}

func TestCutSegmentsSameMeaning(t *testing.T) {
	for _, tc := range resegmentCases {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			cut := cutSegments(src, 1)
			if cutDone := string(cut) != tc.src; cutDone != tc.cut {
				t.Fatalf("cut = %v, want %v:\n%s", cutDone, tc.cut, cut)
			}
			if strings.Count(string(cut), "\n")-strings.Count(tc.src, "\n") > 2 {
				t.Errorf("cutting moved lines:\n%s", cut)
			}
			want, wantErr := runGlobals(t, src)
			got, gotErr := runGlobals(t, cut)
			if want != got || wantErr != gotErr {
				t.Errorf("after cutting:\n%s\ngot  %s (err %q)\nwant %s (err %q)", cut, got, gotErr, want, wantErr)
			}
		})
	}
}

// runGlobals runs src in a fresh state and returns a dump of the globals
// it set and its error, if any.
func runGlobals(t testing.TB, src []byte) (dump, errText string) {
	t.Helper()
	L := newState(t)
	skip := HostGlobals(L)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	L.SetContext(ctx)
	fn, err := L.Load(bytes.NewReader(src), "chunk")
	if err == nil {
		L.Push(fn)
		err = L.PCall(0, 0, nil)
	}
	if err != nil {
		errText = luaError(err).Error()
	}
	L.RemoveContext()
	var b strings.Builder
	seen := map[*lua.LTable]bool{}
	var walk func(v lua.LValue)
	walk = func(v lua.LValue) {
		switch v.Type() {
		case lua.LTString, lua.LTNumber, lua.LTBool, lua.LTNil:
			fmt.Fprintf(&b, "%s:%v", v.Type(), v)
			return
		case lua.LTTable:
		default: // by type only: their addresses differ from run to run
			b.WriteString(v.Type().String())
			return
		}
		tb := v.(*lua.LTable)
		if seen[tb] {
			b.WriteString("<seen>")
			return
		}
		seen[tb] = true
		enc := &encoder{}
		b.WriteString("{")
		for _, en := range enc.sortedEntriesAll(tb) {
			walk(en.key)
			b.WriteString("=")
			walk(en.val)
			b.WriteString(",")
		}
		b.WriteString("}")
	}
	g := L.NewTable()
	L.G.Global.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); !ok || !skip(string(s)) {
			g.RawSet(k, v)
		}
	})
	walk(g)
	return b.String(), errText
}

// sortedEntriesAll returns every entry of t with a plain key, sorted.
func (e *encoder) sortedEntriesAll(t *lua.LTable) []entry {
	var ents []entry
	t.ForEach(func(k, v lua.LValue) {
		if kind, ok := keyKindOf(k); ok {
			ents = append(ents, entry{kind, k, v})
		}
	})
	slices.SortFunc(ents, compareEntries)
	return ents
}

// TestRestoreLargeReferenceFile restores a reference-shaped file (one
// function, no segments) of 50,000 distinct keys: without resegment,
// gopher-lua takes half a minute to compile it (100,000: five minutes).
func TestRestoreLargeReferenceFile(t *testing.T) {
	n := 50000
	if testing.Short() {
		n = 10000
	}
	var b strings.Builder
	b.WriteString("if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 0 then return end\n_G[\"hosts\"] = {}\n")
	for i := range n {
		fmt.Fprintf(&b, "_G[\"hosts\"][\"host-%d.example.com\"] = %d\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "analysis.big.data")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	L := newState(t)
	start := time.Now()
	if st, err := Restore(L, path, RestoreOptions{}); st != Restored || err != nil {
		t.Fatalf("Restore = %v, %v", st, err)
	}
	t.Logf("restored %d entries in %v", n, time.Since(start))
	hosts := L.GetGlobal("hosts").(*lua.LTable)
	if got := hosts.RawGetString(fmt.Sprintf("host-%d.example.com", n-1)); got != lua.LNumber(n-1) {
		t.Errorf("last host = %v", got)
	}
}

// TestCutSegmentsSavedFiles cuts the files Save writes and the reference
// fixture at every possible place: they must restore the same.
func TestCutSegmentsSavedFiles(t *testing.T) {
	sources := map[string][]byte{}
	for _, tc := range roundTrips {
		sources[tc.name] = []byte(readFile(t, saveSetup(t, tc.setup)))
	}
	ref, err := os.ReadFile("testdata/reference.data")
	if err != nil {
		t.Fatal(err)
	}
	sources["reference"] = ref
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			cut := cutSegments(src, 1)
			if len(src) > 100 && string(cut) == string(src) {
				t.Errorf("not cut")
			}
			want, wantErr := runGlobals(t, src)
			got, gotErr := runGlobals(t, cut)
			if want != got || wantErr != gotErr || wantErr != "" {
				t.Errorf("after cutting: err %q, want %q; same globals: %v", gotErr, wantErr, want == got)
			}
		})
	}
}

// FuzzCutSegments checks that cutting a chunk at every possible place
// never changes what it does.
func FuzzCutSegments(f *testing.F) {
	for _, tc := range resegmentCases {
		f.Add([]byte(tc.src))
	}
	ref, err := os.ReadFile("testdata/reference.data")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref)
	f.Fuzz(func(t *testing.T, src []byte) {
		cut := cutSegments(src, 1)
		if bytes.Equal(cut, src) {
			return
		}
		if _, err := parse.Parse(bytes.NewReader(src), "chunk"); err != nil {
			return // Restore reports the original's syntax error
		}
		want, wantErr := runGlobals(t, src)
		if strings.Contains(wantErr, "context") {
			return // ran out of time: nothing to compare
		}
		got, gotErr := runGlobals(t, cut)
		if want != got || wantErr != gotErr {
			t.Errorf("after cutting:\n%s\ngot  %s (err %q)\nwant %s (err %q)", cut, got, gotErr, want, wantErr)
		}
	})
}
