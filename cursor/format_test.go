package cursor

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/queue"
)

// equalState compares states, taking NaN as equal to NaN and telling -0
// from +0.
func equalState(a, b State) bool {
	if len(a.Queues) != len(b.Queues) {
		return false
	}
	for name, p := range a.Queues {
		if q, ok := b.Queues[name]; !ok || p != q {
			return false
		}
	}
	ca, cb := a.Checkpoint, b.Checkpoint
	if ca.Kind != cb.Kind {
		return false
	}
	switch ca.Kind {
	case CheckpointNumber:
		if math.IsNaN(ca.Number) {
			return math.IsNaN(cb.Number)
		}
		return math.Float64bits(ca.Number) == math.Float64bits(cb.Number)
	case CheckpointString:
		return ca.String == cb.String
	}
	return true
}

func number(f float64) Checkpoint { return Checkpoint{Kind: CheckpointNumber, Number: f} }
func str(s string) Checkpoint     { return Checkpoint{Kind: CheckpointString, String: s} }

func allBytes() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

func randomBytes(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	in := map[string]queue.Position{"input": {Segment: 3, Offset: 725}}
	cases := []struct {
		name string
		st   State
	}{
		{"empty", State{}},
		{"positions only", State{Queues: map[string]queue.Position{"input": {Segment: 3, Offset: 725}, "analysis": {}}}},
		{"largest position", State{Queues: map[string]queue.Position{"input": {Segment: math.MaxUint64, Offset: math.MaxInt64}}}},
		{"number 0", State{Queues: in, Checkpoint: number(0)}},
		{"number 50", State{Queues: in, Checkpoint: number(50)}},
		{"number 0.1", State{Checkpoint: number(0.1)}},
		{"number 1e300", State{Checkpoint: number(1e300)}},
		{"number -0", State{Checkpoint: number(math.Copysign(0, -1))}},
		{"number NaN", State{Checkpoint: number(math.NaN())}},
		{"number +Inf", State{Checkpoint: number(math.Inf(1))}},
		{"number -Inf", State{Checkpoint: number(math.Inf(-1))}},
		{"number 2^53+1", State{Checkpoint: number(float64(1<<53 + 1))}},
		{"number max", State{Checkpoint: number(math.MaxFloat64)}},
		{"number smallest subnormal", State{Checkpoint: number(math.SmallestNonzeroFloat64)}},
		{"number 1e21", State{Checkpoint: number(1e21)}},
		{"number -123456789.125", State{Checkpoint: number(-123456789.125)}},
		{"number ns timestamp", State{Checkpoint: number(1.7e18 + 123456768)}},
		{"string empty", State{Queues: in, Checkpoint: str("")}},
		{"string all 256 bytes", State{Checkpoint: str(allBytes())}},
		{"string quotes and newlines", State{Checkpoint: str("a\"b'c\\d\ne\r\n`f` # end\nend\n")}},
		{"string utf-8", State{Checkpoint: str("日本語 \u2028 \ufeff")}},
		{"string invalid utf-8", State{Checkpoint: str("\xff\xfe\xc3")}},
		{"string of the largest size, random", State{Checkpoint: str(randomBytes(MaxCheckpointSize))}},
		{"string of the largest size, 0xff", State{Checkpoint: str(strings.Repeat("\xff", MaxCheckpointSize))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "input.x.cp")
			if err := Save(path, tc.st); err != nil {
				t.Fatalf("Save: %v", err)
			}
			got, ok, err := Load(path)
			if err != nil || !ok {
				t.Fatalf("Load = %v, %v", ok, err)
			}
			if !equalState(got, tc.st) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, tc.st)
			}
			if got.Queues == nil {
				t.Error("Load returned nil Queues")
			}
			again, err := appendState(nil, got)
			if err != nil {
				t.Fatal(err)
			}
			if data, _ := os.ReadFile(path); !bytes.Equal(again, data) {
				t.Errorf("re-encoding differs:\n%s\n%s", again, data)
			}
		})
	}
}

func TestNumberText(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{50, "50"},
		{-7, "-7"},
		{0.1, "0.1"},
		{1.5, "1.5"},
		{1e300, "1e+300"},
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{float64(1<<53 + 1), "9007199254740992"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
	}
	for _, tc := range cases {
		got := string(appendNumber(nil, tc.f))
		if got != tc.want {
			t.Errorf("appendNumber(%v) = %q, want %q", tc.f, got, tc.want)
		}
		back, err := parseNumber(got)
		if err != nil || !equalState(State{Checkpoint: number(back)}, State{Checkpoint: number(tc.f)}) {
			t.Errorf("parseNumber(%q) = %v, %v; want %v", got, back, err, tc.f)
		}
	}
}

func TestGoldenFile(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "example.cp"))
	if err != nil {
		t.Fatal(err)
	}
	st := State{
		Queues:     map[string]queue.Position{"input": {Segment: 3, Offset: 725}, "analysis": {Segment: 0, Offset: 411}},
		Checkpoint: str("tail.log\x00\xff\"q\"\n"),
	}
	got, err := appendState(nil, st)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, golden) {
		t.Errorf("encoding changed:\n got %q\nwant %q", got, golden)
	}
	back, ok, err := Load(filepath.Join("testdata", "example.cp"))
	if err != nil || !ok || !equalState(back, st) {
		t.Errorf("Load(golden) = %#v, %v, %v", back, ok, err)
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	cases := []struct {
		name string
		st   State
		want error
	}{
		{"checkpoint one byte too large", State{Checkpoint: str(strings.Repeat("x", MaxCheckpointSize+1))}, ErrCheckpointTooLarge},
		{"unknown checkpoint kind", State{Checkpoint: Checkpoint{Kind: 9}}, ErrInvalidCheckpoint},
		{"queue name with space", State{Queues: map[string]queue.Position{"in put": {}}}, ErrInvalidQueue},
		{"empty queue name", State{Queues: map[string]queue.Position{"": {}}}, ErrInvalidQueue},
		{"negative offset", State{Queues: map[string]queue.Position{"input": {Offset: -1}}}, ErrInvalidPosition},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "input.x.cp")
			if err := Save(path, tc.st); !errors.Is(err, tc.want) {
				t.Fatalf("Save = %v, want %v", err, tc.want)
			}
			assertDir(t, dir)
		})
	}
}

const valid = "# sightline cursor\nversion 1\nqueue input 3:725\ncheckpoint number 50\nend\n"

func TestLoadCorrupt(t *testing.T) {
	body := func(lines ...string) string {
		return "# sightline cursor\nversion 1\n" + strings.Join(lines, "\n") + "\n"
	}
	cases := []struct {
		name string
		data string
		line int
		is   error // optional
	}{
		{"empty file", "", 1, nil},
		{"zeroed", strings.Repeat("\x00", 64), 1, nil},
		{"not a cursor file", "_G['input'] = '3:725'\n", 1, nil},
		{"header without newline", "# sightline cursor", 1, nil},
		{"truncated in a line", valid[:len(valid)-14], 4, nil},
		{"truncated at a line end", valid[:strings.Index(valid, "checkpoint")], 4, nil},
		{"truncated before end", body("queue input 3:725"), 4, nil},
		{"missing version", "# sightline cursor\nqueue input 3:725\nend\n", 2, nil},
		{"unknown version", "# sightline cursor\nversion 2\nend\n", 2, ErrVersion},
		{"version not a number", "# sightline cursor\nversion one\nend\n", 2, ErrVersion},
		{"bad position", body("queue input 3-725", "end"), 3, nil},
		{"negative offset", body("queue input 3:-1", "end"), 3, nil},
		{"position not a number", body("queue input a:b", "end"), 3, nil},
		{"position missing", body("queue input", "end"), 3, nil},
		{"bad queue name", body("queue in/put 1:1", "end"), 3, ErrInvalidQueue},
		{"queue twice", body("queue input 1:1", "queue input 2:2", "end"), 4, nil},
		{"unterminated quote", body(`checkpoint string "abc`, "end"), 3, nil},
		{"single quotes", body(`checkpoint string 'a'`, "end"), 3, nil},
		{"backquotes", body("checkpoint string `abc`", "end"), 3, nil},
		{"bad escape", body(`checkpoint string "\q"`, "end"), 3, nil},
		{"text after quote", body(`checkpoint string "a" b`, "end"), 3, nil},
		{"unquoted string", body(`checkpoint string abc`, "end"), 3, nil},
		{"string too large", body(`checkpoint string "`+strings.Repeat("x", MaxCheckpointSize+1)+`"`, "end"), 3, ErrCheckpointTooLarge},
		{"hex number", body("checkpoint number 0x10", "end"), 3, nil},
		{"inf spelled lower", body("checkpoint number inf", "end"), 3, nil},
		{"number out of range", body("checkpoint number 1e400", "end"), 3, nil},
		{"empty number", body("checkpoint number ", "end"), 3, nil},
		{"unknown checkpoint kind", body("checkpoint bool true", "end"), 3, nil},
		{"two checkpoints", body("checkpoint number 1", "checkpoint number 2", "end"), 4, nil},
		{"unknown line kind", body("queue input 1:1", "cursor input 1:1", "end"), 4, nil},
		{"line with leading space", body(" queue input 1:1", "end"), 3, nil},
		{"end with arguments", body("end now"), 3, nil},
		{"data after end", body("end", "queue input 1:1"), 4, nil},
		{"blank line after end", body("end", ""), 4, nil},
		{"file too large", "# sightline cursor\nversion 1\n#" + strings.Repeat("x", maxFileSize) + "\nend\n", 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "output.x.cp")
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			st, ok, err := Load(path)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %#v, %v, %v; want *CorruptError", st, ok, err)
			}
			if ok {
				t.Error("Load reported found")
			}
			if ce.File != path || ce.Line != tc.line {
				t.Errorf("error at %s:%d, want %s:%d (%v)", ce.File, ce.Line, path, tc.line, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "cursor: "+path+":") || strings.Count(msg, "cursor:") != 1 {
				t.Errorf("message %q does not start with cursor: <file>:<line>", msg)
			}
		})
	}
}

func TestLoadAcceptsComments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "input.x.cp")
	data := "# sightline cursor\nversion 1\n\n# moved by hand\nqueue input 4:0\n\nend\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	st, ok, err := Load(path)
	want := State{Queues: map[string]queue.Position{"input": {Segment: 4}}}
	if err != nil || !ok || !equalState(st, want) {
		t.Fatalf("Load = %#v, %v, %v", st, ok, err)
	}
}

func TestLoadMissing(t *testing.T) {
	st, ok, err := Load(filepath.Join(t.TempDir(), "input.x.cp"))
	if err != nil || ok || st.Queues != nil || st.Checkpoint != (Checkpoint{}) {
		t.Fatalf("Load = %#v, %v, %v; want State{}, false, nil", st, ok, err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "input.x.cp")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	_, ok, err := Load(path)
	var ce *CorruptError
	if err == nil || ok || errors.As(err, &ce) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load(directory) = %v, %v; want an I/O error naming the path", ok, err)
	}
}

func TestLoadIgnoresTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "input.x.cp")
	if err := os.WriteFile(path+atomicfile.TempInfix+"abc", []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Load(path); ok || err != nil {
		t.Fatalf("Load with only a temp file = %v, %v; want not found", ok, err)
	}
	if err := os.WriteFile(path, []byte(valid), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Load(path); !ok || err != nil {
		t.Fatalf("Load = %v, %v", ok, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("# sightline cursor\nversion 1\nqueue a 1:2\nqueue b 3:4\ncheckpoint string \"\\x00\"\nend\n"))
	f.Add([]byte("# sightline cursor\nversion 1\ncheckpoint number -0\nend\n"))
	f.Add([]byte("# sightline cursor\nversion 1\n# c\n\nend\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parse("fuzz.cp", data)
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Line < 1 {
				t.Fatalf("error %v is not a *CorruptError with a line", err)
			}
			return
		}
		enc, err := appendState(nil, st)
		if err != nil {
			t.Fatalf("parsed state does not encode: %v", err)
		}
		back, err := parse("fuzz.cp", enc)
		if err != nil || !equalState(back, st) {
			t.Fatalf("re-parse: %#v, %v; want %#v", back, err, st)
		}
	})
}
