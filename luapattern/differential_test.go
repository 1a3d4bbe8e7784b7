package luapattern

import (
	"bufio"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

var update = flag.Bool("update", false, "rewrite testdata/lua51.golden by running lua5.1")

const goldenPath = "testdata/lua51.golden"

// agrees reports whether our rendered result for c is right given Lua 5.1's.
// They must be equal, except that this package reports pattern faults at
// Compile: where C Lua raises one only once a match reaches the faulty
// item, it returns "no match" when none does, and it raises "unfinished
// capture" only when it hands captures back, which gsub with a replacement
// string that names none never does.
//
// C Lua checks a replacement string's %1..%9 before it notices the open
// capture, so there "unfinished capture" may come out as "invalid capture
// index".
func agrees(c tcase, ours, real string) bool {
	if ours == real {
		return true
	}
	if !strings.HasPrefix(ours, "err ") {
		return false
	}
	unfinished := c.fn == "gsub" && ours == `err "unfinished capture"`
	if strings.HasPrefix(real, "err ") {
		return unfinished && real == `err "invalid capture index"`
	}
	return real == noMatch(c) || unfinished
}

// wherePrefix is the "chunk:line: " Lua puts before an error raised in a
// function called from Lua code (the gmatch iterator).
var wherePrefix = regexp.MustCompile(`^err "[^"]*:[0-9]+: `)

// normalise drops the position from a rendered error.
func normalise(lines []string) []string {
	for i, l := range lines {
		lines[i] = wherePrefix.ReplaceAllString(l, `err "`)
	}
	return lines
}

// runLua51 runs the corpus script through the real Lua 5.1 interpreter.
func runLua51(t testing.TB, exe string, cs []tcase) []string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "corpus.lua")
	if err := os.WriteFile(script, []byte(luaScript(cs)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, script).Output()
	if err != nil {
		t.Fatalf("%s: %v", exe, err)
	}
	lines := normalise(strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"))
	if len(lines) != len(cs) {
		t.Fatalf("%s printed %d lines for %d cases", exe, len(lines), len(cs))
	}
	return lines
}

// runGopherLua runs the corpus script in a gopher-lua state.
func runGopherLua(t testing.TB, cs []tcase) []string {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	var lines []string
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		lines = append(lines, L.CheckString(1))
		return 0
	}))
	if err := L.DoString(luaScript(cs)); err != nil {
		t.Fatalf("gopher-lua: %v", err)
	}
	if len(lines) != len(cs) {
		t.Fatalf("gopher-lua printed %d lines for %d cases", len(lines), len(cs))
	}
	return normalise(lines)
}

func readGolden(t testing.TB) map[string]string {
	t.Helper()
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	golden := make(map[string]string)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		golden[key] = val
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return golden
}

// TestLua51Golden checks every corpus case against the answers of the real
// Lua 5.1.5 interpreter, recorded in testdata/lua51.golden so that machines
// without it check them too. Regenerate with
// go test -run TestLua51Golden -update ./luapattern/ (needs lua5.1).
func TestLua51Golden(t *testing.T) {
	cs := corpus()
	if *update {
		exe, err := exec.LookPath("lua5.1")
		if err != nil {
			t.Fatal("-update needs lua5.1 on PATH")
		}
		lines := runLua51(t, exe, cs)
		var b strings.Builder
		for i, c := range cs {
			b.WriteString(c.key() + "\t" + lines[i] + "\n")
		}
		if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden := readGolden(t)
	bad := 0
	for _, c := range cs {
		real, ok := golden[c.key()]
		if !ok {
			t.Fatalf("case %s missing from %s: regenerate it with -update", c.key(), goldenPath)
		}
		if got := ours(c); !agrees(c, got, real) {
			bad++
			t.Errorf("%s: got %s, Lua 5.1 gives %s", c.key(), got, real)
		}
	}
	t.Logf("%d cases, %d disagree with Lua 5.1", len(cs), bad)
}

// TestLua51Live runs the corpus through lua5.1 itself when it is installed
// (Debian's lua5.1 package), so a stale golden file cannot hide a change.
func TestLua51Live(t *testing.T) {
	exe, err := exec.LookPath("lua5.1")
	if err != nil {
		t.Skip("lua5.1 not on PATH; TestLua51Golden covers the recorded answers")
	}
	cs := corpus()
	lines := runLua51(t, exe, cs)
	golden := readGolden(t)
	for i, c := range cs {
		if golden[c.key()] != lines[i] {
			t.Errorf("golden file is stale at %s: lua5.1 now gives %s", c.key(), lines[i])
		}
		if got := ours(c); !agrees(c, got, lines[i]) {
			t.Errorf("%s: got %s, lua5.1 gives %s", c.key(), got, lines[i])
		}
	}
}
