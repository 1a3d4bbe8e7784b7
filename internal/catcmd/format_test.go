package catcmd

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline/sightline/message"
)

// workedExample is the message of the spec's §1.7.
func workedExample(tb testing.TB) *message.Message {
	tb.Helper()
	u, err := message.ParseUUID("0c1e9271-6b7c-451e-aa05-63cdaf14cf10")
	if err != nil {
		tb.Fatal(err)
	}
	m := &message.Message{Uuid: u, Timestamp: 1392050801000000000}
	m.SetType("nginx")
	m.SetLogger("input.nginx")
	m.SetSeverity(6)
	m.SetPid(1234)
	m.SetHostname("example.com")
	m.Fields = []message.Field{
		{Name: "status", Type: message.ValueDouble, Doubles: []float64{304}},
		{Name: "remote_addr", Type: message.ValueString, Representation: "ipv4", Strings: []string{"127.0.0.1"}},
		{Name: "bytes", Type: message.ValueInteger, Representation: "B", Integers: []int64{1413}},
	}
	return m
}

// catMessages writes raws as a file of frames (framed with a checksum or
// as the reference frames them) and cats it with args.
func catMessages(tb testing.TB, checksum bool, raws [][]byte, args ...string) result {
	tb.Helper()
	var b []byte
	for _, raw := range raws {
		if checksum {
			b = message.AppendFrame(b, raw)
		} else {
			b = appendReferenceFrame(b, raw)
		}
	}
	path := filepath.Join(tb.TempDir(), "in.log")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return mustCat(tb, nil, append(args, path)...)
}

// appendReferenceFrame frames raw as lua_sandbox does: no checksum.
func appendReferenceFrame(dst, raw []byte) []byte {
	var l []byte
	for n := uint64(len(raw)); ; n >>= 7 {
		if n < 0x80 {
			l = append(l, byte(n))
			break
		}
		l = append(l, byte(n)|0x80)
	}
	dst = append(dst, message.RecordSeparator, byte(1+len(l)), 0x08)
	dst = append(dst, l...)
	dst = append(dst, message.UnitSeparator)
	return append(dst, raw...)
}

func TestWorkedExample(t *testing.T) {
	const wantText = `:Uuid: 0c1e9271-6b7c-451e-aa05-63cdaf14cf10
:Timestamp: 2014-02-10T16:46:41.000000000Z
:Type: nginx
:Logger: input.nginx
:Severity: 6
:Payload: <nil>
:EnvVersion: <nil>
:Pid: 1234
:Hostname: example.com
:Fields:
    | name: status type: 3 representation: <nil> value: 304
    | name: remote_addr type: 0 representation: ipv4 value: 127.0.0.1
    | name: bytes type: 2 representation: B value: 1413

`
	const wantJSON = `{"Uuid":"0c1e9271-6b7c-451e-aa05-63cdaf14cf10","Timestamp":1392050801000000000,` +
		`"Type":"nginx","Logger":"input.nginx","Severity":6,"Pid":1234,"Hostname":"example.com","Fields":[` +
		`{"name":"status","value_type":3,"value":[304]},` +
		`{"name":"remote_addr","value_type":0,"representation":"ipv4","value":["127.0.0.1"]},` +
		`{"name":"bytes","value_type":2,"representation":"B","value":[1413]}]}` + "\n"
	raw := workedExample(t).Encode()
	for _, checksum := range []bool{true, false} {
		if r := catMessages(t, checksum, [][]byte{raw}); r.stdout != wantText || r.stderr != summary(1, 1) {
			t.Errorf("checksum %v: text\n%s\nstderr %q", checksum, r.stdout, r.stderr)
		}
		if r := catMessages(t, checksum, [][]byte{raw}, "-format", "json"); r.stdout != wantJSON {
			t.Errorf("checksum %v: json\n%s", checksum, r.stdout)
		}
	}
}

func TestTextValues(t *testing.T) {
	bare := func() *message.Message { return &message.Message{Uuid: [16]byte{15: 1}, Timestamp: 1} }
	with := func(f ...message.Field) *message.Message {
		m := bare()
		m.Fields = f
		return m
	}
	tests := []struct {
		name string
		msg  *message.Message
		want string // the lines after ":Uuid:" and ":Timestamp:", or the field lines
	}{
		{"no optional headers, no fields", bare(), `:Type: <nil>
:Logger: <nil>
:Severity: 7
:Payload: <nil>
:EnvVersion: <nil>
:Pid: <nil>
:Hostname: <nil>
:Fields:
`},
		{"empty headers and NULs", func() *message.Message {
			m := bare()
			m.SetType("")
			m.SetLogger("lo\x00gger")
			m.SetSeverity(-1)
			m.SetPayload("a\x00b")
			m.SetEnvVersion("\x00")
			m.SetPid(0)
			m.SetHostname("h|\\\t")
			return m
		}(), ":Type: \n:Logger: lo\n:Severity: -1\n:Payload: a\n:EnvVersion: \n:Pid: 0\n:Hostname: h|\\\t\n:Fields:\n"},
		{"strings", with(message.Field{Name: "s\x00x", Representation: "r\x00x",
			Strings: []string{"a", "", "b\x00c", "γάμμα"}}),
			"    | name: s type: 0 representation: r value: a||b|γάμμα\n"},
		{"bytes", with(message.Field{Name: "b", Type: message.ValueBytes,
			Bytes: [][]byte{{0, 'A', '\\', ' ', '~', 0x7f, 0x80, 0xff, '\n'}, {}, {'|'}}}),
			`    | name: b type: 1 representation: <nil> value: \x00A\\ ~\x7f\x80\xff\x0a|||` + "\n"},
		{"integers", with(message.Field{Name: "i", Type: message.ValueInteger, Representation: "B",
			Integers: []int64{-1, math.MaxInt64, math.MinInt64, 0}}),
			"    | name: i type: 2 representation: B value: -1|9223372036854775807|-9223372036854775808|0\n"},
		{"doubles", with(message.Field{Name: "d", Type: message.ValueDouble, Doubles: []float64{
			304, 0.1, 1.0 / 3, math.Copysign(0, -1), 1e20, 1e16, 1e17, 1e-5, 123456.5,
			math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64}}),
			"    | name: d type: 3 representation: <nil> value: " +
				"304|0.10000000000000001|0.33333333333333331|-0|1e+20|10000000000000000|1e+17|1.0000000000000001e-05|123456.5|" +
				"nan|inf|-inf|4.9406564584124654e-324|1.7976931348623157e+308\n"},
		{"bools", with(message.Field{Name: "t", Type: message.ValueBool, Bools: []bool{true, false, true}}),
			"    | name: t type: 4 representation: <nil> value: true|false|true\n"},
		{"no values", with(message.Field{Name: "e", Type: message.ValueInteger}),
			"    | name: e type: 2 representation: <nil> value: \n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := catMessages(t, true, [][]byte{tc.msg.Encode()})
			want := ":Uuid: 00000000-0000-0000-0000-000000000001\n:Timestamp: 1970-01-01T00:00:00.000000001Z\n"
			if strings.HasPrefix(tc.want, "    |") {
				want += ":Type: <nil>\n:Logger: <nil>\n:Severity: 7\n:Payload: <nil>\n:EnvVersion: <nil>\n:Pid: <nil>\n:Hostname: <nil>\n:Fields:\n"
			}
			want += tc.want + "\n"
			if r.stdout != want {
				t.Errorf("got\n%q\nwant\n%q", r.stdout, want)
			}
		})
	}
}

// TestTextRaw covers what Message cannot build: a representation present
// but empty, and timestamps before the epoch.
func TestTextRaw(t *testing.T) {
	m := &message.Message{Uuid: [16]byte{15: 1}, Timestamp: -1}
	raw := m.Encode()
	// Field record: name "r", representation "", string "x".
	raw = append(raw, 0x52, 8, 0x0a, 1, 'r', 0x1a, 0, 0x22, 1, 'x')
	r := catMessages(t, false, [][]byte{raw})
	for _, want := range []string{
		":Timestamp: 1969-12-31T23:59:59.999999999Z\n",
		"    | name: r type: 0 representation:  value: x\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in\n%s", want, r.stdout)
		}
	}
	r = catMessages(t, false, [][]byte{raw}, "-format", "json")
	if !strings.Contains(r.stdout, `{"name":"r","value_type":0,"representation":"","value":["x"]}`) {
		t.Errorf("json: %s", r.stdout)
	}
}

// TestJSONValues round-trips awkward values through -format json and
// encoding/json.
func TestJSONValues(t *testing.T) {
	m := &message.Message{Uuid: message.NewUUID(), Timestamp: -1234567890123}
	m.SetType("quote\" back\\ nul\x00 ctl\x01\x1f nl\n tab\t utf8 γ bad\xff")
	m.SetPayload("")
	m.SetEnvVersion("\u2028")
	m.SetSeverity(3)
	m.SetPid(-5)
	m.Fields = []message.Field{
		{Name: "s", Strings: []string{"a", "", "\x00"}},
		{Name: "b", Type: message.ValueBytes, Representation: "raw", Bytes: [][]byte{{0, 1, 0xff}, {}}},
		{Name: "i", Type: message.ValueInteger, Integers: []int64{math.MinInt64, math.MaxInt64, 0}},
		{Name: "d", Type: message.ValueDouble, Doubles: []float64{0.1, 0, math.Copysign(0, -1), 1e300, 5e-324,
			math.NaN(), math.Inf(1), math.Inf(-1)}},
		{Name: "t", Type: message.ValueBool, Bools: []bool{true, false}},
		{Name: "s", Strings: []string{"second s"}},
		{Name: "e", Type: message.ValueDouble},
	}
	r := catMessages(t, true, [][]byte{m.Encode()}, "-format", "json")
	got := parseJSON(t, r.stdout)
	if len(got) != 1 {
		t.Fatalf("%d lines", len(got))
	}
	// The one lossy conversion: bytes that are not UTF-8 become U+FFFD.
	want := *m
	want.Type = strings.ReplaceAll(m.Type, "\xff", "\uFFFD")
	checkJSON(t, got[0], &want)
	if !strings.Contains(r.stdout, `"value":[]`) {
		t.Errorf("empty field: %s", r.stdout)
	}
}

func TestHekaFormat(t *testing.T) {
	raws := [][]byte{workedExample(t).Encode(), testMessage(1).Encode()}
	// Reference frames in, our frames (with a checksum) out.
	r := catMessages(t, false, raws, "-format", "heka")
	var want []byte
	for _, raw := range raws {
		want = message.AppendFrame(want, raw)
	}
	if !bytes.Equal([]byte(r.stdout), want) {
		t.Errorf("heka output\n%x\nwant\n%x", r.stdout, want)
	}
	// -match selects frames.
	r = catMessages(t, false, raws, "-format", "heka", "-match", `Type == "nginx"`)
	if !bytes.Equal([]byte(r.stdout), message.AppendFrame(nil, raws[0])) {
		t.Errorf("matched heka output %x", r.stdout)
	}
}
