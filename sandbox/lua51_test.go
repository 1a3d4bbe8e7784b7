package sandbox

import (
	"os/exec"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// lua51Exprs are expressions whose values this package computes itself
// (number formatting, string.format, os.date, concatenation): each must
// print the same in the sandbox as in the real Lua 5.1.
var lua51Exprs = []string{
	`tostring(1e15)`, `tostring(1e14)`, `tostring(123456789012345)`, `tostring(99999999999999)`,
	`tostring(0.1)`, `tostring(1/3)`, `tostring(-0.0)`, `tostring(1e300)`, `tostring(2^63)`,
	`tostring(-2^63)`, `tostring(1e-5)`, `tostring(100)`, `tostring(-1.5)`, `tostring(math.huge)`, `tostring(-math.huge)`,
	`"x" .. 1e15`, `"x" .. 0.1 .. -2`, `1 .. 2`,
	`string.format("%d|%i", -3.7, 2^31)`, `string.format("%5.2f|%-8.3e|", 3.14159, 12345.6789)`,
	`string.format("%g|%g|%g|%g", 1e-5, 123456789, 0.0001, 100000)`, `string.format("%.0f|%.0f|%.0f", 0.5, 1.5, 2.5)`,
	`string.format("%x|%X|%o", -1, 3735928559, 64)`, `string.format("[%5s][%-5s][%.3s][%5.1s]", "ab", "ab", "abcdef", "xyz")`,
	`string.format("%%|%c%c", 72, 105)`, `string.format("%#x|%#o|%#.3g|%#.0e", 255, 8, 1, 5)`, `string.format("%+.3e|% d|%+d", 1.5, 7, -7)`,
	`string.format("%G|%E|%g", 1e-10, 123.456, 1e15)`, `string.format("%05.1f|%-6d|%06x", -2.5, 42, 255)`,
	`string.format("%q", "a\0b\r\n\\\"")`, `string.format("%s|%s", 1e15, 0.1)`, `string.format("%.14g", 2^53)`,
	`string.format("%10.4f|%-10.2e|%.10g", math.pi, math.pi, math.pi)`, `string.format("%f|%e|%g", math.huge, -math.huge, math.huge)`,
	`os.date("!%Y-%m-%d %H:%M:%S %j %a %A %b %B %p %y %w %U %W", 86400 * 400 + 3723)`,
	`os.date("!%c|%x|%X|%D|%e|%I|%M", 1e9)`, `os.time({year = 2020, month = 2, day = 30, hour = 25})`,
	`table.concat({1, 2.5, 1e15, "x"}, ",")`, `("%d"):rep(3, nil)`, `("abc"):gsub("", "-")`, `("hello world"):gsub("o", "%0%0", 1)`,
	`string.rep("ab", 3)`, `math.floor(-3.5) .. math.ceil(-3.5)`, `math.max(1, 5, 3) .. math.min(2, -1)`, `math.fmod(7, -3)`,
	`select("#", ("a b c"):find("(b)"))`, `("x = 1"):match("^(%w+)%s*=%s*(%d+)$")`, `tostring(nil) .. tostring(true)`,
}

func TestAgainstLua51(t *testing.T) {
	lua51, err := exec.LookPath("lua5.1")
	if err != nil {
		t.Skip("lua5.1 not installed")
	}
	var prog strings.Builder
	prog.WriteString("out = {}\n")
	for _, e := range lua51Exprs {
		prog.WriteString("out[#out+1] = tostring((" + e + "))\n")
	}
	// Debian's lua5.1 computes 1/0 as -inf (and 1/x as -inf for x = 0):
	// the expressions avoid division by zero and use math.huge.
	want, err := exec.Command(lua51, "-e", prog.String()+`io.write(table.concat(out, "\1"))`).Output()
	if err != nil {
		t.Fatalf("lua5.1: %v", err)
	}
	s, _ := input(`require "string" require "table" require "math" require "os"
` + prog.String() + `
function process_message() return 0 end`).mustLoad(t)
	tab := s.L.GetGlobal("out")
	var got []string
	for i := 1; ; i++ {
		lv := s.L.GetTable(tab, lua.LNumber(i))
		if lv.String() == "nil" && i > len(lua51Exprs) {
			break
		}
		got = append(got, lv.String())
		if i == len(lua51Exprs) {
			break
		}
	}
	wantLines := strings.Split(string(want), "\x01")
	for i, e := range lua51Exprs {
		if i >= len(got) || i >= len(wantLines) || got[i] != wantLines[i] {
			g, w := "<none>", "<none>"
			if i < len(got) {
				g = got[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			t.Errorf("%s\n got %q\nwant %q", e, g, w)
		}
	}
}
