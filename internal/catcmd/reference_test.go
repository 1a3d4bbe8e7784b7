package catcmd

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sightline/sightline/message"
)

// readFixture returns a file of the reference's fixture, skipping the test
// when the fixture is not there.
func readFixture(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("reference fixture %s not present", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sameText fails unless got is want, naming the first line that differs.
func sameText(tb testing.TB, got, want string) {
	tb.Helper()
	if got == want {
		return
	}
	g, w := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			tb.Fatalf("line %d differs:\n got %q\nwant %q", i+1, g[i], w[i])
		}
	}
	tb.Fatalf("got %d lines, want %d", len(g), len(w))
}

// TestReferenceText checks the text form against lsb_heka_cat's own output
// for the same file. The comparison is byte for byte: lsb_heka_cat prints
// a message's fields in the order of its bytes, as cat does (the "hash
// order" of the fixture is the order Hindsight encoded them in), so no
// reordering is needed.
func TestReferenceText(t *testing.T) {
	want := string(readFixture(t, refText))
	readFixture(t, refLog)
	for _, args := range [][]string{{refLog}, {"-format", "text", refLog}, {refLog, "-format=text"}} {
		r := mustCat(t, nil, args...)
		sameText(t, r.stdout, want)
		if r.stderr != summary(1000, 1000) {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
}

// TestReferenceCountAndMatch counts and filters the reference's file; the
// filtered text is exactly the reference's blocks of those messages.
func TestReferenceCountAndMatch(t *testing.T) {
	want := string(readFixture(t, refText))
	readFixture(t, refLog)

	r := mustCat(t, nil, "-count", refLog)
	if r.stdout != summary(1000, 1000) || r.stderr != "" {
		t.Errorf("-count: stdout %q stderr %q", r.stdout, r.stderr)
	}

	// i % 7 == 3 for i in 1..1000: 3, 10, ..., 997.
	r = mustCat(t, nil, "-count", "-match", `Type == "compat.3"`, refLog)
	if r.stdout != summary(1000, 143) {
		t.Errorf("-count -match: stdout %q", r.stdout)
	}

	var blocks []string
	for _, b := range strings.SplitAfter(want, "\n\n") {
		if strings.Contains(b, "\n:Type: compat.3\n") && strings.Contains(b, "| name: flag type: 4") {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		t.Fatal("no block selected from the reference's text")
	}
	r = mustCat(t, nil, "-match", `Type == "compat.3" && Fields[flag] != NIL`, refLog)
	sameText(t, r.stdout, strings.Join(blocks, ""))
	if r.stderr != summary(1000, len(blocks)) {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestReferenceHekaRoundTrip re-frames the reference's file and reads the
// frames back from stdin.
func TestReferenceHekaRoundTrip(t *testing.T) {
	want := string(readFixture(t, refText))
	readFixture(t, refLog)
	heka := mustCat(t, nil, "-format", "heka", refLog)

	n := 0
	sc := message.NewScanner(strings.NewReader(heka.stdout), message.ScanOptions{
		OnDamage: func(d message.Damage) { t.Errorf("heka output damaged: %+v", d) },
	})
	sc.Finish()
	for sc.Next() {
		if !sc.Checked() {
			t.Fatalf("frame %d carries no checksum", n)
		}
		n++
	}
	if n != 1000 {
		t.Fatalf("heka output holds %d frames", n)
	}

	r := mustCat(t, strings.NewReader(heka.stdout), "-")
	sameText(t, r.stdout, want)
	if r.stderr != summary(1000, 1000) {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestReferenceJSON checks every JSON line of the reference's file
// against the message decoded from the file.
func TestReferenceJSON(t *testing.T) {
	raw := readFixture(t, refLog)
	r := mustCat(t, nil, "-format", "json", refLog)
	got := parseJSON(t, r.stdout)

	var want []*message.Message
	sc := message.NewScanner(bytes.NewReader(raw), message.ScanOptions{Validate: message.Validate})
	sc.Finish()
	for sc.Next() {
		m := new(message.Message)
		if err := message.Decode(sc.Message(), m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	if len(got) != len(want) || len(got) != 1000 {
		t.Fatalf("%d JSON lines, %d messages", len(got), len(want))
	}
	for i := range got {
		checkJSON(t, got[i], want[i])
	}
	if got[0].Uuid != "272e353c-434a-5158-5f66-6d747b828990" {
		t.Errorf("first Uuid %s", got[0].Uuid)
	}
}

// checkJSON compares one JSON line with the message it should show.
func checkJSON(tb testing.TB, j jsonMessage, m *message.Message) {
	tb.Helper()
	if j.Uuid != message.FormatUUID(m.Uuid) || j.Timestamp != m.Timestamp || j.Severity != m.Severity {
		tb.Fatalf("Uuid %s Timestamp %d Severity %d, want %s %d %d", j.Uuid, j.Timestamp, j.Severity,
			message.FormatUUID(m.Uuid), m.Timestamp, m.Severity)
	}
	headers := []struct {
		name string
		got  *string
		want string
		has  message.HeaderSet
	}{
		{"Type", j.Type, m.Type, message.HasType},
		{"Logger", j.Logger, m.Logger, message.HasLogger},
		{"Payload", j.Payload, m.Payload, message.HasPayload},
		{"EnvVersion", j.EnvVersion, m.EnvVersion, message.HasEnvVersion},
		{"Hostname", j.Hostname, m.Hostname, message.HasHostname},
	}
	for _, h := range headers {
		switch {
		case m.Has&h.has == 0 && h.got != nil:
			tb.Fatalf("%s: absent header printed as %q", h.name, *h.got)
		case m.Has&h.has != 0 && (h.got == nil || *h.got != h.want):
			tb.Fatalf("%s: got %v, want %q", h.name, h.got, h.want)
		}
	}
	if (m.Has&message.HasPid != 0) != (j.Pid != nil) || (j.Pid != nil && *j.Pid != m.Pid) {
		tb.Fatalf("Pid: got %v, want %d (present %v)", j.Pid, m.Pid, m.Has&message.HasPid != 0)
	}
	if len(j.Fields) != len(m.Fields) {
		tb.Fatalf("%d fields, want %d", len(j.Fields), len(m.Fields))
	}
	for i, jf := range j.Fields {
		f := m.Fields[i]
		if jf.Name != f.Name || jf.ValueType != int(f.Type) ||
			(jf.Representation == nil) != (f.Representation == "") ||
			(jf.Representation != nil && *jf.Representation != f.Representation) {
			tb.Fatalf("field %d: got %s %d %v, want %+v", i, jf.Name, jf.ValueType, jf.Representation, f)
		}
		if !sameJSONValues(tb, jf.Value, f) {
			tb.Fatalf("field %s: value %s, want %+v", f.Name, jf.Value, f)
		}
	}
}

// sameJSONValues reports whether the JSON array v holds the values of f.
func sameJSONValues(tb testing.TB, v json.RawMessage, f message.Field) bool {
	tb.Helper()
	var err error
	switch f.Type {
	case message.ValueString:
		var s []string
		if err = json.Unmarshal(v, &s); err == nil {
			return slices.Equal(s, f.Strings)
		}
	case message.ValueBytes:
		var s []string
		if err = json.Unmarshal(v, &s); err == nil && len(s) == len(f.Bytes) {
			for i := range s {
				b, err := base64.StdEncoding.DecodeString(s[i])
				if err != nil || !bytes.Equal(b, f.Bytes[i]) {
					return false
				}
			}
			return true
		}
	case message.ValueInteger:
		var s []int64
		if err = json.Unmarshal(v, &s); err == nil {
			return slices.Equal(s, f.Integers)
		}
	case message.ValueDouble:
		var s []any
		if err = json.Unmarshal(v, &s); err == nil && len(s) == len(f.Doubles) {
			for i, x := range s {
				d := f.Doubles[i]
				switch x := x.(type) {
				case float64:
					if x != d || math.Signbit(x) != math.Signbit(d) {
						return false
					}
				case string:
					if !(x == "NaN" && math.IsNaN(d) || x == "Infinity" && math.IsInf(d, 1) || x == "-Infinity" && math.IsInf(d, -1)) {
						return false
					}
				default:
					return false
				}
			}
			return true
		}
	case message.ValueBool:
		var s []bool
		if err = json.Unmarshal(v, &s); err == nil {
			return slices.Equal(s, f.Bools)
		}
	}
	if err != nil {
		tb.Fatalf("value %s: %v", v, err)
	}
	return false
}
