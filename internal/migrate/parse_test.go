package migrate

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sightline/sightline/cursor"
)

func TestParseValues(t *testing.T) {
	tests := []struct {
		name string
		line string
		want value
	}{
		{"integer", `_G['input.x'] = 50`, value{num: 50}},
		{"negative", `_G['input.x'] = -3`, value{num: -3}},
		{"negative with space", `_G['input.x'] = - 3`, value{num: -3}},
		{"fraction", `_G['input.x'] = 0.10000000000000001`, value{num: 0.1}},
		{"exponent", `_G['input.x'] = 1e+20`, value{num: 1e20}},
		{"small exponent", `_G['input.x'] = 1.5E-07`, value{num: 1.5e-7}},
		{"leading dot", `_G['input.x'] = .5`, value{num: 0.5}},
		{"trailing dot", `_G['input.x'] = 5.`, value{num: 5}},
		{"hex", `_G['input.x'] = 0x10`, value{num: 16}},
		{"huge", `_G['input.x'] = 1e400`, value{num: math.Inf(1)}},
		{"inf", `_G['input.x'] = inf`, value{num: math.Inf(1)}},
		{"-inf", `_G['input.x'] = -inf`, value{num: math.Inf(-1)}},
		{"string", `_G['input.x'] = '1234567:8910'`, value{isString: true, str: "1234567:8910"}},
		{"empty string", `_G['input.x'] = ''`, value{isString: true}},
		{"reference escapes", `_G['input.x'] = 'a\nb\rc\"d\\e'`, value{isString: true, str: "a\nb\rc\"d\\e"}},
		{"lua escapes", `_G['input.x'] = '\a\b\f\t\v\'\065\0\9x\q'`, value{isString: true, str: "\a\b\f\t\v'A\x00\tx" + "q"}},
		{"three digit escape", `_G['input.x'] = '\2550'`, value{isString: true, str: "\xff0"}},
		{"raw bytes", "_G['input.x'] = '\t\x01\xff\"'", value{isString: true, str: "\t\x01\xff\""}},
		{"double quotes", `_G['input.x'] = "it's"`, value{isString: true, str: "it's"}},
		{"spaces and semicolon", " \t_G [ 'input.x' ] = 7 ; -- note", value{num: 7}},
		{"CRLF", "_G['input.x'] = 7\r", value{num: 7}},
		{"comment right after", `_G['input.x'] = 7--note`, value{num: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, err := parse("hindsight.cp", []byte(tt.line+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 1 || as[0].key != "input.x" || as[0].line != 1 {
				t.Fatalf("got %+v", as)
			}
			got := as[0].val
			if got.isString != tt.want.isString || got.str != tt.want.str || got.num != tt.want.num {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseNaN(t *testing.T) {
	for _, v := range []string{"nan", "-nan"} {
		as, err := parse("hindsight.cp", []byte("_G['input.x'] = "+v))
		if err != nil {
			t.Fatal(err)
		}
		if f := as[0].val.num; !math.IsNaN(f) {
			t.Errorf("%s: got %v", v, f)
		}
	}
}

func TestParseSkipsBlankAndComments(t *testing.T) {
	src := "\n-- a comment\n   \n_G['input'] = '1:2'\n\t-- indented\n_G['input.x'] = 1"
	as, err := parse("hindsight.cp", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].line != 4 || as[1].line != 6 {
		t.Errorf("got %+v", as)
	}
}

// TestMalformed puts each bad line on line 2 of a file and checks the
// error names the file and the line.
func TestMalformed(t *testing.T) {
	tests := []struct {
		name string
		line string
		want error
	}{
		{"no value", `_G['input.x'] = `, ErrMalformed},
		{"table", `_G['input.x'] = {}`, ErrMalformed},
		{"name", `_G['input.x'] = x`, ErrMalformed},
		{"boolean", `_G['input.x'] = true`, ErrMalformed},
		{"nil", `_G['input.x'] = nil`, ErrMalformed},
		{"unfinished string", `_G['input.x'] = 'abc`, ErrMalformed},
		{"unfinished key", `_G['input.x] = 1`, ErrMalformed},
		{"trailing backslash", `_G['input.x'] = 'abc\`, ErrMalformed},
		{"raw CR in string", "_G['input.x'] = 'a\rb'", ErrMalformed},
		{"escape too large", `_G['input.x'] = '\400'`, ErrMalformed},
		{"dot syntax", `_G.input = '1:2'`, ErrMalformed},
		{"bare global", `input = '1:2'`, ErrMalformed},
		{"local", `local x = 1`, ErrMalformed},
		{"comparison", `_G['input.x'] == 1`, ErrMalformed},
		{"two values", `_G['input.x'] = 1 2`, ErrMalformed},
		{"concatenation", `_G['input.x'] = "a" .. "b"`, ErrMalformed},
		{"long comment", `_G['input.x'] = 1 --[[ x ]]`, ErrMalformed},
		{"long comment line", `--[==[`, ErrMalformed},
		{"double minus", `_G['input.x'] = --1`, ErrMalformed},
		{"unquoted key", `_G[input] = 1`, ErrMalformed},
		{"number key", `_G[1] = 1`, ErrMalformed},
		{"position as number", `_G['input->output.o'] = 5`, ErrMalformed},
		{"position without offset", `_G['input->output.o'] = '5'`, ErrMalformed},
		{"negative position", `_G['input->output.o'] = '-1:5'`, ErrMalformed},
		{"signed offset", `_G['input->output.o'] = '1:+5'`, ErrMalformed},
		{"three parts", `_G['input->output.o'] = '1:2:3'`, ErrMalformed},
		{"exponent id", `_G['input->output.o'] = '1e+14:0'`, ErrMalformed},
		{"bad writer position", `_G['analysis'] = 'x'`, ErrMalformed},
		{"thread position as number", `_G['input->analysis0'] = 0`, ErrMalformed},
		{"empty input name", `_G['input.'] = 1`, ErrMalformed},
		{"dot input name", `_G['input...'] = 1`, ErrMalformed},
		{"slash in name", `_G['input.a/b'] = 1`, ErrMalformed},
		{"empty output name", `_G['input->output.'] = '1:2'`, ErrMalformed},
		{"unknown key", `_G['output.o'] = 1`, ErrUnknownKey},
		{"analysis plugin key", `_G['analysis.a'] = 1`, ErrUnknownKey},
		{"analysis queue to thread", `_G['analysis->analysis0'] = '1:2'`, ErrUnknownKey},
		{"thread without number", `_G['input->analysis'] = '1:2'`, ErrUnknownKey},
		{"thread not a number", `_G['input->analysisX'] = '1:2'`, ErrUnknownKey},
		{"signed thread", `_G['input->analysis+1'] = '1:2'`, ErrUnknownKey},
		{"other reader", `_G['input->input.x'] = '1:2'`, ErrUnknownKey},
		{"other queue", `_G['foo->output.o'] = '1:2'`, ErrUnknownKey},
		{"empty key", `_G[''] = 1`, ErrUnknownKey},
		{"duplicate", `_G['input.gen'] = 51`, ErrDuplicateKey},
		{"checkpoint too large", `_G['input.x'] = '` + strings.Repeat("x", cursor.MaxCheckpointSize+1) + `'`, cursor.ErrCheckpointTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			path := writeOld(t, out, "hindsight.cp", "_G['input.gen'] = 50\n"+tt.line+"\n_G['input'] = '1:2'\n")
			_, err := testImporter(out, nil).run()
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var le *LineError
			if !errors.As(err, &le) || le.File != path || le.Line != 2 {
				t.Errorf("got %#v, want a *LineError at %s:2", err, path)
			}
			if !strings.Contains(err.Error(), path+":2: ") {
				t.Errorf("message %q does not name %s:2", err, path)
			}
			assertExists(t, out, map[string]bool{"hindsight.cp": true, "cursors": false, markerName: false, importedName: false})
		})
	}
}

// TestUnescapedQuote writes checkpoints holding a ' as the reference does
// (unescaped): every one must be refused, naming the line, including
// those Lua itself would read as something else.
func TestUnescapedQuote(t *testing.T) {
	for _, cp := range []string{
		"it's",
		"'",
		"''",
		"x'",
		"'x",
		"a' .. 'b", // Lua would read "ab"
		"a'; _G['input.y'] = 'b",
		"a\\'",
		"a' -- b",
	} {
		t.Run(cp, func(t *testing.T) {
			out := t.TempDir()
			line := "_G['input.x'] = " + hindsightString(cp)
			path := writeOld(t, out, "hindsight.cp", "_G['input'] = '1:2'\n\n"+line+"\n")
			_, err := testImporter(out, nil).run()
			if !errors.Is(err, ErrUnescapedQuote) {
				t.Fatalf("%s: got %v, want ErrUnescapedQuote", line, err)
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != 3 || le.File != path {
				t.Errorf("got %#v, want line 3 of %s", err, path)
			}
			assertExists(t, out, map[string]bool{"hindsight.cp": true, "cursors": false, markerName: false})
		})
	}
	// A ' in a plugin name breaks the key the same way.
	_, err := parse("hindsight.cp", []byte(`_G['input.it's'] = 1`))
	if !errors.Is(err, ErrUnescapedQuote) {
		t.Errorf("quote in key: got %v", err)
	}
}

// TestStringCheckpointRoundTrip writes string checkpoints as the
// reference does and checks the cursor files hold the same bytes.
func TestStringCheckpointRoundTrip(t *testing.T) {
	var all []byte
	for c := 1; c < 256; c++ {
		if c != '\'' {
			all = append(all, byte(c))
		}
	}
	cases := map[string]string{
		"plain":      "1234567:8910",
		"newline":    "line1\nline2\n",
		"CR":         "a\r\nb",
		"backslash":  `C:\logs\x\`,
		"dquote":     `say "hi"`,
		"escapes":    `\n is not a newline`,
		"empty":      "",
		"all bytes":  string(all),
		"max length": strings.Repeat("\\", cursor.MaxCheckpointSize),
		"utf8":       "journal cursor s=é;i=1",
	}
	out := t.TempDir()
	var src strings.Builder
	want := make(map[string]cursor.State)
	i := 0
	for name, cp := range cases {
		i++
		plugin := "p" + strconv.Itoa(i)
		src.WriteString("_G['input." + plugin + "'] = " + hindsightString(cp) + "\n")
		want["input."+plugin+".cp"] = cursor.State{Checkpoint: stringCP(cp)}
		_ = name
	}
	writeOld(t, out, "hindsight.cp", src.String())
	if _, err := testImporter(out, nil).run(); err != nil {
		t.Fatal(err)
	}
	assertCursors(t, out, want)
}

func TestNumberCheckpoints(t *testing.T) {
	nums := []float64{0, 1, -1, 50, 0.1, 1e20, 1e21, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1 << 53, math.Inf(1), math.Inf(-1), math.NaN()}
	out := t.TempDir()
	var src strings.Builder
	want := make(map[string]cursor.State)
	for i, f := range nums {
		plugin := "n" + strconv.Itoa(i)
		// %.17g as the reference writes it; Go's 'g' with 17 digits spells
		// inf and nan as +Inf and NaN, glibc as inf and nan.
		text := strconv.FormatFloat(f, 'g', 17, 64)
		text = strings.NewReplacer("+Inf", "inf", "-Inf", "-inf", "NaN", "-nan").Replace(text)
		src.WriteString("_G['input." + plugin + "'] = " + text + "\n")
		want["input."+plugin+".cp"] = cursor.State{Checkpoint: numberCP(f)}
	}
	writeOld(t, out, "hindsight.cp", src.String())
	if _, err := testImporter(out, nil).run(); err != nil {
		t.Fatal(err)
	}
	assertCursors(t, out, want)
}

func TestLineErrorMessage(t *testing.T) {
	err := &LineError{File: "/o/hindsight.cp", Line: 7, Err: ErrUnknownKey}
	if got, want := err.Error(), "migrate: /o/hindsight.cp:7: unknown key"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzParse checks that parse never panics, and that what it accepts
// survives being written back in a canonical form.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "hindsight.cp"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`_G['input.x'] = 'a\n\"\\b\065' ; -- c`))
	f.Add([]byte("_G[\"k\"] = -0x1F\r\n_G['j'] = .5e-3"))
	f.Add([]byte(`_G['input.x'] = 'it's'`))
	f.Fuzz(func(t *testing.T, src []byte) {
		as, err := parse("f", src)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		var b strings.Builder
		for _, a := range as {
			b.WriteString("_G[" + luaQuote(a.key) + "] = ")
			if a.val.isString {
				b.WriteString(luaQuote(a.val.str))
			} else {
				b.WriteString(luaNumber(a.val.num))
			}
			b.WriteByte('\n')
		}
		again, err := parse("f", []byte(b.String()))
		if err != nil || len(again) != len(as) {
			t.Fatalf("canonical form %q: %v", b.String(), err)
		}
		for i := range as {
			x, y := as[i], again[i]
			if x.key != y.key || x.val.isString != y.val.isString || x.val.str != y.val.str ||
				x.val.num != y.val.num && !(math.IsNaN(x.val.num) && math.IsNaN(y.val.num)) {
				t.Fatalf("%+v became %+v", x, y)
			}
		}
	})
}

// luaQuote writes s as a single-quoted Lua string, quotes and backslashes
// escaped, bytes outside printable ASCII as \ddd.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// luaNumber writes f as hindsight.cp would hold it.
func luaNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
