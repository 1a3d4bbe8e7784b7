package luamsg

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

func TestWorkedExampleFromTable(t *testing.T) {
	want := unhex(t, workedExampleHex)
	if len(want) != 136 {
		t.Fatalf("spec hex is %d bytes", len(want))
	}
	tables := map[string]string{
		"array form, textual uuid": `{
			Uuid = "0c1e9271-6b7c-451e-aa05-63cdaf14cf10",
			Timestamp = 1392050801000000000,
			Type = "nginx", Logger = "input.nginx", Severity = 6, Pid = 1234, Hostname = "example.com",
			Fields = {
				{name = "status", value = 304},
				{name = "remote_addr", value = "127.0.0.1", representation = "ipv4"},
				{name = "bytes", value = 1413, value_type = 2, representation = "B"},
			}}`,
		"hash form, raw uuid": `{
			Uuid = "\12\30\146\113\107\124\69\30\170\5\99\205\175\20\207\16",
			Timestamp = 1392050801000000000,
			Hostname = "example.com", Pid = 1234, Severity = 6, Logger = "input.nginx", Type = "nginx",
			Fields = {
				status = 304,
				remote_addr = {value = "127.0.0.1", representation = "ipv4"},
				bytes = {value = {1413}, value_type = 2, representation = "B"},
			}}`,
	}
	for name, tbl := range tables {
		t.Run(name, func(t *testing.T) {
			st := newTestState(t, testHeaders(false))
			got := []byte(lua.LVAsString(st.eval(t, "encode("+tbl+")")))
			if !bytes.Equal(got, want) {
				t.Fatalf("got  % x\nwant % x", got, want)
			}
		})
	}
}

// TestHashFormOrder checks that hash-form fields come out in the order they
// were first set, for constructors and for assignments.
func TestHashFormOrder(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	st.run(t, `
		f = {zeta = 1, alpha = 2, mid = 3}
		f.beta = 4
		f.alpha = nil
		f.gamma = 5
		f.alpha = 6
		raw = encode({Fields = f})`)
	var m message.Message
	if err := message.Decode([]byte(lua.LVAsString(st.L.GetGlobal("raw"))), &m); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range m.Fields {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, ","), "zeta,alpha,mid,beta,gamma"; got != want {
		t.Fatalf("field order %s, want %s", got, want)
	}
}

func TestFieldValueForms(t *testing.T) {
	tests := []struct {
		name  string
		value string // Lua expression for Fields.x (hash form)
		want  message.Field
	}{
		{"string", `"abc"`, message.Field{Strings: []string{"abc"}}},
		{"empty string", `""`, message.Field{Strings: []string{""}}},
		{"bytes", `{value = "a\0b", value_type = 1}`, message.Field{Type: message.ValueBytes, Bytes: [][]byte{[]byte("a\x00b")}}},
		{"string value_type 0", `{value = "s", value_type = 0, representation = "r"}`, message.Field{Representation: "r", Strings: []string{"s"}}},
		{"double", `1.5`, message.Field{Type: message.ValueDouble, Doubles: []float64{1.5}}},
		{"double value_type 3", `{value = 2, value_type = 3}`, message.Field{Type: message.ValueDouble, Doubles: []float64{2}}},
		{"integer truncated", `{value = 3.9, value_type = 2}`, message.Field{Type: message.ValueInteger, Integers: []int64{3}}},
		{"negative integer truncated", `{value = -3.9, value_type = 2}`, message.Field{Type: message.ValueInteger, Integers: []int64{-3}}},
		{"integer saturates", `{value = 1e300, value_type = 2}`, message.Field{Type: message.ValueInteger, Integers: []int64{math.MaxInt64}}},
		{"integer nan", `{value = 0/0, value_type = 2}`, message.Field{Type: message.ValueInteger, Integers: []int64{0}}},
		{"bool", `true`, message.Field{Type: message.ValueBool, Bools: []bool{true}}},
		{"bool false", `{value = false, value_type = 4}`, message.Field{Type: message.ValueBool, Bools: []bool{false}}},
		{"userdata", `out("xyz")`, message.Field{Type: message.ValueBytes, Bytes: [][]byte{[]byte("xyz")}}},
		{"userdata value_type 1", `{value = out("u"), value_type = 1, representation = "x"}`, message.Field{Type: message.ValueBytes, Representation: "x", Bytes: [][]byte{[]byte("u")}}},
		{"string array", `{"a", "b", "c"}`, message.Field{Strings: []string{"a", "b", "c"}}},
		{"bytes array", `{value = {"a", "b"}, value_type = 1}`, message.Field{Type: message.ValueBytes, Bytes: [][]byte{[]byte("a"), []byte("b")}}},
		{"double array", `{1, 2.5, 3}`, message.Field{Type: message.ValueDouble, Doubles: []float64{1, 2.5, 3}}},
		{"integer array", `{value = {1, -2, 3.7}, value_type = 2, representation = "count"}`, message.Field{Type: message.ValueInteger, Representation: "count", Integers: []int64{1, -2, 3}}},
		{"bool array", `{true, false, true}`, message.Field{Type: message.ValueBool, Bools: []bool{true, false, true}}},
		{"userdata array", `{out("a"), out("bc")}`, message.Field{Type: message.ValueBytes, Bytes: [][]byte{[]byte("a"), []byte("bc")}}},
		{"empty array", `{}`, message.Field{}},
		{"empty array with value_type", `{value_type = 2, representation = "B"}`, message.Field{Type: message.ValueInteger, Representation: "B"}},
		{"numeric representation", `{value = "v", representation = 42}`, message.Field{Representation: "42", Strings: []string{"v"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestState(t, testHeaders(false))
			for _, form := range []string{
				"{Fields = {x = " + tc.value + "}}",
				"{Fields = {{name = 'x', value = " + tc.value + "}}}",
			} {
				if strings.Contains(tc.value, "value") && strings.Contains(form, "name = 'x'") {
					// An object in array form: its keys go in the element.
					form = "{Fields = {(function() local o = " + tc.value + " o.name = 'x' return o end)()}}"
				}
				st.run(t, "raw = encode("+form+")")
				var m message.Message
				if err := message.Decode([]byte(lua.LVAsString(st.L.GetGlobal("raw"))), &m); err != nil {
					t.Fatal(err)
				}
				if len(m.Fields) != 1 {
					t.Fatalf("%s: %d fields", form, len(m.Fields))
				}
				want := tc.want
				want.Name = "x"
				if d := fieldDiff(&m.Fields[0], &want); d != "" {
					t.Fatalf("%s: %s", form, d)
				}
			}
		})
	}
}

// fieldDiff compares two fields, treating nil and empty slices alike.
func fieldDiff(got, want *message.Field) string {
	norm := func(f *message.Field) message.Field {
		c := *f
		if len(c.Strings) == 0 {
			c.Strings = nil
		}
		if len(c.Bytes) == 0 {
			c.Bytes = nil
		}
		if len(c.Integers) == 0 {
			c.Integers = nil
		}
		if len(c.Doubles) == 0 {
			c.Doubles = nil
		}
		if len(c.Bools) == 0 {
			c.Bools = nil
		}
		return c
	}
	g, w := norm(got), norm(want)
	if !reflect.DeepEqual(g, w) {
		return "got " + fieldString(&g) + "\nwant " + fieldString(&w)
	}
	return ""
}

func fieldString(f *message.Field) string {
	var b strings.Builder
	b.WriteString(f.Name + " " + f.Type.String() + " repr=" + f.Representation)
	for _, s := range f.Strings {
		b.WriteString(" s:" + s)
	}
	for _, x := range f.Bytes {
		b.WriteString(" b:" + string(x))
	}
	for _, n := range f.Integers {
		b.WriteString(" i:" + lua.LNumber(n).String())
	}
	for _, d := range f.Doubles {
		b.WriteString(" d:" + lua.LNumber(d).String())
	}
	for _, x := range f.Bools {
		if x {
			b.WriteString(" true")
		} else {
			b.WriteString(" false")
		}
	}
	return b.String()
}

func TestFieldErrors(t *testing.T) {
	tests := []struct {
		name, table, want string
	}{
		{"mixed array", `{Fields = {x = {1, "a"}}}`, "array has mixed types"},
		{"mixed array with hole", `{Fields = {x = {1, nil, 3}}}`, "array has mixed types"},
		{"string value_type 2", `{Fields = {x = {value = "a", value_type = 2}}}`, "invalid string value_type: 2"},
		{"string array value_type 3", `{Fields = {x = {value = {"a"}, value_type = 3}}}`, "invalid string value_type: 3"},
		{"numeric value_type 0", `{Fields = {x = {value = 1, value_type = 0}}}`, "invalid numeric value_type: 0"},
		{"numeric value_type 1", `{Fields = {{name = "x", value = 1, value_type = 1}}}`, "invalid numeric value_type: 1"},
		{"boolean value_type 2", `{Fields = {x = {value = true, value_type = 2}}}`, "invalid boolean value_type: 2"},
		{"userdata value_type 0", `{Fields = {x = {value = out("a"), value_type = 0}}}`, "invalid userdata value_type: 0"},
		{"empty array value_type 9", `{Fields = {x = {value_type = 9}}}`, "invalid value_type: 9"},
		{"empty array value_type -1", `{Fields = {x = {value = {}, value_type = -1}}}`, "invalid value_type: -1"},
		{"string value_type -1", `{Fields = {x = {value = "a", value_type = -1}}}`, "invalid string value_type: -1"},
		{"value_type not a number", `{Fields = {x = {value = 1, value_type = "2"}}}`, "value_type must be a number"},
		{"plain userdata", `{Fields = {x = plain()}}`, "unsupported userdata value"},
		{"plain userdata in array", `{Fields = {x = {out("a"), plain()}}}`, "unsupported userdata value"},
		{"function", `{Fields = {x = print}}`, "unsupported value type: function"},
		{"nested table", `{Fields = {x = {{1}}}}`, "unsupported array type: table"},
		{"array of tables in an object", `{Fields = {x = {value = {{1}}}}}`, "unsupported array type: table"},
		{"array of functions", `{Fields = {x = {print}}}`, "unsupported array type: function"},
		{"array of plain userdata", `{Fields = {x = {plain()}}}`, "unsupported array type: userdata"},
		{"Fields not a table", `{Fields = "x"}`, "the Fields value must be a table, not string"},
		{"array element not a table", `{Fields = {"x"}}`, "array-form field 1 must be a table"},
		{"array element without name", `{Fields = {{value = 1}}}`, "array-form field 1 must have a string name"},
		{"non-string key", `{Fields = {[true] = 1}}`, "field name must be a string, not boolean"},
		{"representation table", `{Fields = {x = {value = 1, representation = {}}}}`, "representation must be a string, not table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestState(t, testHeaders(false))
			if got := st.runErr(t, "encode("+tc.table+")"); !strings.Contains(got, tc.want) {
				t.Fatalf("error %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHeadersUnrestricted(t *testing.T) {
	rawUUID := `"\12\30\146\113\107\124\69\30\170\5\99\205\175\20\207\16"`
	exampleUUID := workedExample().Uuid
	tests := []struct {
		name  string
		table string
		check func(t *testing.T, m *message.Message)
	}{
		{"defaults", `{}`, func(t *testing.T, m *message.Message) {
			if m.Uuid != testUUID || m.Timestamp != testNow {
				t.Errorf("uuid %x ts %d", m.Uuid, m.Timestamp)
			}
			if m.Has != message.HasLogger|message.HasHostname|message.HasPid {
				t.Errorf("Has %b", m.Has)
			}
			if m.Logger != "cfg.logger" || m.Hostname != "cfg.host" || m.Pid != 4321 {
				t.Errorf("defaults %q %q %d", m.Logger, m.Hostname, m.Pid)
			}
		}},
		{"raw uuid", `{Uuid = ` + rawUUID + `}`, func(t *testing.T, m *message.Message) {
			if m.Uuid != exampleUUID {
				t.Errorf("uuid %x", m.Uuid)
			}
		}},
		{"textual uuid", `{Uuid = "0C1E9271-6b7c-451e-aa05-63cdaf14cf10"}`, func(t *testing.T, m *message.Message) {
			if m.Uuid != exampleUUID {
				t.Errorf("uuid %x", m.Uuid)
			}
		}},
		{"bad textual uuid", `{Uuid = "0c1e9271-6b7c-451e-aa05-63cdaf14cfzz"}`, func(t *testing.T, m *message.Message) {
			if m.Uuid != testUUID {
				t.Errorf("uuid %x", m.Uuid)
			}
		}},
		{"short uuid", `{Uuid = "abc"}`, func(t *testing.T, m *message.Message) {
			if m.Uuid != testUUID {
				t.Errorf("uuid %x", m.Uuid)
			}
		}},
		{"timestamp", `{Timestamp = 12345.9}`, func(t *testing.T, m *message.Message) {
			if m.Timestamp != 12345 {
				t.Errorf("ts %d", m.Timestamp)
			}
		}},
		{"numeric string timestamp", `{Timestamp = " 0x10 "}`, func(t *testing.T, m *message.Message) {
			if m.Timestamp != 16 {
				t.Errorf("ts %d", m.Timestamp)
			}
		}},
		{"non-numeric timestamp", `{Timestamp = "soon"}`, func(t *testing.T, m *message.Message) {
			if m.Timestamp != testNow {
				t.Errorf("ts %d", m.Timestamp)
			}
		}},
		{"given logger hostname pid", `{Logger = "l", Hostname = "h", Pid = 7}`, func(t *testing.T, m *message.Message) {
			if m.Logger != "l" || m.Hostname != "h" || m.Pid != 7 {
				t.Errorf("%q %q %d", m.Logger, m.Hostname, m.Pid)
			}
		}},
		{"string headers", `{Type = "t", Payload = "p", EnvVersion = "e", Severity = 3}`, func(t *testing.T, m *message.Message) {
			if m.Type != "t" || m.Payload != "p" || m.EnvVersion != "e" || m.Severity != 3 ||
				m.Has != message.AllHeaders {
				t.Errorf("%+v", m)
			}
		}},
		{"converted headers", `{Type = 1.5, Payload = 100, EnvVersion = 1e100, Severity = "2", Pid = "12.7"}`, func(t *testing.T, m *message.Message) {
			if m.Type != "1.5" || m.Payload != "100" || m.EnvVersion != "1e+100" || m.Severity != 2 || m.Pid != 12 {
				t.Errorf("%+v", m)
			}
		}},
		{"empty payload", `{Payload = ""}`, func(t *testing.T, m *message.Message) {
			if m.Has&message.HasPayload == 0 || m.Payload != "" {
				t.Errorf("%+v", m)
			}
		}},
		{"userdata payload", `{Payload = out("from userdata")}`, func(t *testing.T, m *message.Message) {
			if m.Payload != "from userdata" {
				t.Errorf("%+v", m)
			}
		}},
		{"unusable headers ignored", `{Type = {}, Payload = true, Severity = "high", Hostname = false, Logger = print}`, func(t *testing.T, m *message.Message) {
			if m.Has != message.HasPid {
				t.Errorf("Has %b: %+v", m.Has, m)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestState(t, testHeaders(false))
			st.run(t, "raw = encode("+tc.table+")")
			var m message.Message
			if err := message.Decode([]byte(lua.LVAsString(st.L.GetGlobal("raw"))), &m); err != nil {
				t.Fatal(err)
			}
			tc.check(t, &m)
		})
	}
}

func TestHeadersModifyTable(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	st.run(t, `
		a = {}
		encode(a)
		assert(a.Logger == "cfg.logger" and a.Hostname == "cfg.host" and a.Pid == 4321, "defaults set")
		assert(a.Uuid == nil and a.Timestamp == nil, "uuid and timestamp not set")
		b = {Logger = "mine", Hostname = "h", Pid = 1}
		encode(b)
		assert(b.Logger == "mine" and b.Hostname == "h" and b.Pid == 1, "given values kept")`)

	st = newTestState(t, testHeaders(true))
	st.run(t, `
		c = {Logger = "mine", Hostname = "h", Pid = 1, Uuid = "0c1e9271-6b7c-451e-aa05-63cdaf14cf10", Timestamp = 5}
		encode(c)
		assert(c.Logger == "cfg.logger" and c.Hostname == "cfg.host" and c.Pid == 4321, "restricted values set")
		assert(c.Timestamp == 5, "timestamp untouched")`)
}

func TestHeadersRestricted(t *testing.T) {
	st := newTestState(t, testHeaders(true))
	st.run(t, `raw = encode({
		Uuid = "0c1e9271-6b7c-451e-aa05-63cdaf14cf10", Timestamp = 5,
		Logger = "mine", Hostname = "h", Pid = 1,
		Type = "t", Severity = 2, Payload = "p", EnvVersion = "e",
		Fields = {a = 1}})`)
	var m message.Message
	if err := message.Decode([]byte(lua.LVAsString(st.L.GetGlobal("raw"))), &m); err != nil {
		t.Fatal(err)
	}
	if m.Uuid != testUUID || m.Timestamp != testNow || m.Logger != "cfg.logger" ||
		m.Hostname != "cfg.host" || m.Pid != 4321 {
		t.Fatalf("restricted headers: %+v", m)
	}
	if m.Type != "t" || m.Severity != 2 || m.Payload != "p" || m.EnvVersion != "e" || len(m.Fields) != 1 {
		t.Fatalf("free headers: %+v", m)
	}
}

func TestDefaultUUIDAndNow(t *testing.T) {
	enc := NewEncoder(Headers{})
	L := lua.NewState()
	defer L.Close()
	var m message.Message
	if err := enc.ToMessage(L.NewTable(), &m); err != nil {
		t.Fatal(err)
	}
	if m.Uuid[6]>>4 != 4 || m.Uuid[8]>>4 != 0xa {
		t.Fatalf("not a v4 uuid: %x", m.Uuid)
	}
	if m.Timestamp < 1700000000e9 {
		t.Fatalf("timestamp %d", m.Timestamp)
	}
}

// TestMessageReuse checks that a reused message carries nothing over.
func TestMessageReuse(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	first := lua.LVAsString(st.eval(t, `encode({Type = "x", Fields = {
		{name = "a", value = {"1", "2"}}, {name = "b", value = "zz", value_type = 1}, {name = "c", value = {1, 2}}}})`))
	second := lua.LVAsString(st.eval(t, `encode({Fields = {{name = "b", value = "y", value_type = 1}}})`))
	var m message.Message
	m.Uuid, m.Timestamp = testUUID, testNow
	m.SetLogger("cfg.logger")
	m.SetPid(4321)
	m.SetHostname("cfg.host")
	m.Fields = []message.Field{{Name: "b", Type: message.ValueBytes, Bytes: [][]byte{[]byte("y")}}}
	if want := string(m.Encode()); second != want {
		t.Fatalf("second message\n got % x\nwant % x\n(first % x)", second, want, first)
	}
}

func TestPayloadMessage(t *testing.T) {
	stats := "stats"
	tests := []struct {
		name   string
		pname  *string
		fields []message.Field
	}{
		{"with a name", &stats, []message.Field{
			{Name: "payload_type", Strings: []string{"csv"}},
			{Name: "payload_name", Strings: []string{"stats"}},
		}},
		{"without a name", nil, []message.Field{
			{Name: "payload_type", Strings: []string{"csv"}},
		}},
	}
	enc := NewEncoder(testHeaders(true))
	var m message.Message
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc.PayloadMessage([]byte("a,b\n1,2\n"), "csv", tc.pname, &m)
			want := message.Message{Uuid: testUUID, Timestamp: testNow, Fields: tc.fields}
			want.SetType("inject_payload")
			want.SetLogger("cfg.logger")
			want.SetPayload("a,b\n1,2\n")
			want.SetPid(4321)
			want.SetHostname("cfg.host")
			if got := m.Encode(); !bytes.Equal(got, want.Encode()) {
				t.Fatalf("got % x\nwant % x", got, want.Encode())
			}
		})
	}
}
