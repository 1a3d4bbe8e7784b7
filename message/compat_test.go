package message

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sightline/sightline/message/internal/hekapb"
)

// The reference compatibility fixture: a queue file Hindsight 0.16 wrote
// (1,000 framed messages) and its lsb_heka_cat -t dump. Tests run in the
// package directory, so the repository's shared/ is two levels up.
const (
	compatLog = "../../shared/compat/reference-input-1000.log"
	compatTxt = "../../shared/compat/reference-input-1000.txt"
)

// TestCompatReference decodes every message of the reference queue file and
// checks it field by field against the reference's text dump. It also
// checks that View agrees with Decode, that the generated protobuf code
// agrees, and that our canonical encoder reproduces the reference's bytes.
func TestCompatReference(t *testing.T) {
	logData, err := os.ReadFile(compatLog)
	if os.IsNotExist(err) {
		t.Skipf("%s not present", compatLog)
	}
	if err != nil {
		t.Fatal(err)
	}
	txtData, err := os.ReadFile(compatTxt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseCatText(string(txtData))
	if err != nil {
		t.Fatalf("parse %s: %v", compatTxt, err)
	}
	if len(want) != 1000 {
		t.Fatalf("%s holds %d messages, want 1000", compatTxt, len(want))
	}

	sc := NewScanner(bytes.NewReader(logData), ScanOptions{
		Validate: Validate,
		OnDamage: func(d Damage) { t.Errorf("damage in reference file: %+v", d) },
	})
	sc.Finish()
	var (
		m   Message
		v   View
		buf []byte
		n   int
	)
	for ; sc.Next(); n++ {
		raw := sc.Message()
		if n >= len(want) {
			continue
		}
		if err := Decode(raw, &m); err != nil {
			t.Fatalf("message %d: %v", n, err)
		}
		if d := diffCat(&m, &want[n]); d != "" {
			t.Errorf("message %d (%s): %s", n, FormatUUID(m.Uuid), d)
		}
		if err := v.Reset(raw); err != nil {
			t.Fatalf("message %d: View.Reset: %v", n, err)
		}
		if d := viewMismatch(&v, &m); d != "" {
			t.Errorf("message %d: View: %s", n, d)
		}
		var p hekapb.Message
		if err := proto.Unmarshal(raw, &p); err != nil {
			t.Fatalf("message %d: proto.Unmarshal: %v", n, err)
		}
		if d := diffMessages(fromPB(&p), &m); d != "" {
			t.Errorf("message %d: generated code differs: %s", n, d)
		}
		buf = m.AppendTo(buf[:0])
		if !bytes.Equal(buf, raw) {
			t.Errorf("message %d: re-encoding differs from the reference's bytes\n got %x\nwant %x", n, buf, raw)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1000 {
		t.Fatalf("read %d messages from %s, want 1000", n, compatLog)
	}
}

// catMessage is one message of an lsb_heka_cat -t dump, as text.
type catMessage struct {
	headers [9]string // Uuid, Timestamp, Type, Logger, Severity, Payload, EnvVersion, Pid, Hostname
	fields  []catField
}

type catField struct{ name, typ, repr, value string }

var catHeaderNames = [9]string{"Uuid", "Timestamp", "Type", "Logger", "Severity", "Payload", "EnvVersion", "Pid", "Hostname"}

const catFieldPrefix = "    | name: "

// parseCatText parses a whole lsb_heka_cat -t dump. Values are not quoted
// in the dump, so a value containing a newline is taken to run to the next
// line that starts a header, a field or the blank line ending the message:
// Payload runs to "\n:EnvVersion: ", a field value to the next
// "\n    | name: " or "\n\n".
func parseCatText(s string) ([]catMessage, error) {
	var msgs []catMessage
	for pos := 0; pos < len(s); {
		var cm catMessage
		for i, name := range catHeaderNames {
			prefix := ":" + name + ": "
			if !strings.HasPrefix(s[pos:], prefix) {
				return nil, fmt.Errorf("message %d: byte %d: want %q", len(msgs), pos, prefix)
			}
			pos += len(prefix)
			end := "\n"
			if name == "Payload" {
				end = "\n:EnvVersion: "
			}
			j := strings.Index(s[pos:], end)
			if j < 0 {
				return nil, fmt.Errorf("message %d: unterminated %s", len(msgs), name)
			}
			cm.headers[i] = s[pos : pos+j]
			pos += j + 1
		}
		if !strings.HasPrefix(s[pos:], ":Fields:\n") {
			return nil, fmt.Errorf("message %d: byte %d: want :Fields:", len(msgs), pos)
		}
		pos += len(":Fields:\n")
		for strings.HasPrefix(s[pos:], catFieldPrefix) {
			pos += len(catFieldPrefix)
			line := s[pos:]
			end := len(line)
			for _, stop := range []string{"\n" + catFieldPrefix, "\n\n"} {
				if j := strings.Index(line, stop); j >= 0 && j < end {
					end = j
				}
			}
			line = line[:end]
			pos += end + 1
			var f catField
			var ok1, ok2, ok3 bool
			f.name, line, ok1 = strings.Cut(line, " type: ")
			f.typ, line, ok2 = strings.Cut(line, " representation: ")
			f.repr, f.value, ok3 = strings.Cut(line, " value: ")
			if !ok1 || !ok2 || !ok3 {
				return nil, fmt.Errorf("message %d: malformed field line %q", len(msgs), line)
			}
			cm.fields = append(cm.fields, f)
		}
		if !strings.HasPrefix(s[pos:], "\n") {
			return nil, fmt.Errorf("message %d: byte %d: want blank line", len(msgs), pos)
		}
		pos++
		msgs = append(msgs, cm)
	}
	return msgs, nil
}

// catHeaders renders m's headers as lsb_heka_cat -t prints them.
func catHeaders(m *Message) [9]string {
	str := func(bit HeaderSet, s string) string {
		if m.Has&bit == 0 {
			return "<nil>"
		}
		return catString(s)
	}
	pid := "<nil>"
	if m.Has&HasPid != 0 {
		pid = strconv.Itoa(int(m.Pid))
	}
	return [9]string{
		FormatUUID(m.Uuid), FormatTimestamp(m.Timestamp),
		str(HasType, m.Type), str(HasLogger, m.Logger),
		strconv.Itoa(int(m.Severity)), str(HasPayload, m.Payload),
		str(HasEnvVersion, m.EnvVersion), pid, str(HasHostname, m.Hostname),
	}
}

// catFieldOf renders f as lsb_heka_cat -t prints it. Observed in the
// reference dump:
//   - strings are printed as C strings: up to their first NUL;
//   - bytes print printable ASCII as is, a backslash as \\, and every other
//     byte as \xNN (lowercase hex);
//   - doubles print as C's %.17g (Go's %.17g is identical), e.g. 1/7 as
//     0.14285714285714285 but 2/7 as 0.2857142857142857 and 304.0 as 304;
//   - array elements are joined by "|";
//   - an absent representation prints as <nil> (Field.Representation ""
//     is taken as absent).
func catFieldOf(f *Field) catField {
	var vals []string
	switch f.Type {
	case ValueString:
		for _, s := range f.Strings {
			vals = append(vals, catString(s))
		}
	case ValueBytes:
		for _, b := range f.Bytes {
			var sb strings.Builder
			for _, c := range b {
				switch {
				case c == '\\':
					sb.WriteString(`\\`)
				case c >= 0x20 && c < 0x7f:
					sb.WriteByte(c)
				default:
					fmt.Fprintf(&sb, `\x%02x`, c)
				}
			}
			vals = append(vals, sb.String())
		}
	case ValueInteger:
		for _, n := range f.Integers {
			vals = append(vals, strconv.FormatInt(n, 10))
		}
	case ValueDouble:
		for _, d := range f.Doubles {
			vals = append(vals, fmt.Sprintf("%.17g", d))
		}
	case ValueBool:
		for _, b := range f.Bools {
			vals = append(vals, strconv.FormatBool(b))
		}
	}
	repr := "<nil>"
	if f.Representation != "" {
		repr = catString(f.Representation)
	}
	return catField{catString(f.Name), strconv.Itoa(int(f.Type)), repr, strings.Join(vals, "|")}
}

// catString truncates s at its first NUL, as printing a C string does.
func catString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// renderCat renders m as a whole lsb_heka_cat -t entry, fields in order.
func renderCat(m *Message) string {
	var b strings.Builder
	for i, h := range catHeaders(m) {
		fmt.Fprintf(&b, ":%s: %s\n", catHeaderNames[i], h)
	}
	b.WriteString(":Fields:\n")
	for i := range m.Fields {
		f := catFieldOf(&m.Fields[i])
		fmt.Fprintf(&b, "%s%s type: %s representation: %s value: %s\n", catFieldPrefix, f.name, f.typ, f.repr, f.value)
	}
	b.WriteString("\n")
	return b.String()
}

// diffCat compares m with a parsed dump entry: headers exactly, fields as a
// multiset (the dump lists them in the reference's hash order).
func diffCat(m *Message, want *catMessage) string {
	got := catHeaders(m)
	for i := range got {
		if got[i] != want.headers[i] {
			return fmt.Sprintf("%s: got %q, dump has %q", catHeaderNames[i], got[i], want.headers[i])
		}
	}
	if len(m.Fields) != len(want.fields) {
		return fmt.Sprintf("%d fields, dump has %d", len(m.Fields), len(want.fields))
	}
	left := append([]catField(nil), want.fields...)
next:
	for i := range m.Fields {
		f := catFieldOf(&m.Fields[i])
		for j, w := range left {
			if w == f {
				left = append(left[:j], left[j+1:]...)
				continue next
			}
		}
		return fmt.Sprintf("field %+v not in dump (dump has %+v)", f, left)
	}
	return ""
}
