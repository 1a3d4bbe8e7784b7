package luamsg

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

func TestDecodeMessage(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	ex := workedExample()
	st.L.SetGlobal("example", lua.LString(ex.Encode()))
	st.run(t, `
		local m = decode_message(example)
		assert(m.Uuid == "\12\30\146\113\107\124\69\30\170\5\99\205\175\20\207\16", "Uuid")
		assert(m.Timestamp == 1392050801000000000, "Timestamp")
		assert(m.Type == "nginx" and m.Logger == "input.nginx" and m.Hostname == "example.com", "strings")
		assert(m.Severity == 6 and m.Pid == 1234, "numbers")
		assert(m.Payload == nil and m.EnvVersion == nil, "absent headers")
		local f = m.Fields
		assert(#f == 3, "3 fields")
		assert(f[1].name == "status" and f[1].value_type == 3 and f[1].representation == nil, "status")
		assert(#f[1].value == 1 and f[1].value[1] == 304, "status value")
		assert(f[2].name == "remote_addr" and f[2].value_type == nil and f[2].representation == "ipv4", "remote_addr")
		assert(f[2].value[1] == "127.0.0.1", "remote_addr value")
		assert(f[3].name == "bytes" and f[3].value_type == 2 and f[3].representation == "B", "bytes")
		assert(f[3].value[1] == 1413, "bytes value")
		local n = 0 for k in pairs(m) do n = n + 1 end
		assert(n == 8, "8 keys, got " .. n)`)

	// Minimal message: no optional header, no Fields key.
	min := message.Message{Uuid: testUUID, Timestamp: 1}
	st.L.SetGlobal("minimal", lua.LString(min.Encode()))
	st.run(t, `
		local m = decode_message(minimal)
		local n = 0 for k in pairs(m) do n = n + 1 end
		assert(n == 2 and m.Timestamp == 1 and m.Fields == nil and m.Severity == nil, "minimal")`)

	// Every value type, arrays.
	all := message.Message{Uuid: testUUID, Timestamp: 1, Fields: []message.Field{
		{Name: "s", Strings: []string{"a", "b"}},
		{Name: "b", Type: message.ValueBytes, Bytes: [][]byte{{0, 1}, {}}},
		{Name: "i", Type: message.ValueInteger, Integers: []int64{-1, 1 << 40}},
		{Name: "d", Type: message.ValueDouble, Doubles: []float64{0.5}},
		{Name: "t", Type: message.ValueBool, Bools: []bool{false, true}},
		{Name: "empty", Type: message.ValueInteger},
	}}
	st.L.SetGlobal("all", lua.LString(all.Encode()))
	st.run(t, `
		local f = decode_message(all).Fields
		assert(f[1].value[1] == "a" and f[1].value[2] == "b" and #f[1].value == 2, "strings")
		assert(f[2].value_type == 1 and f[2].value[1] == "\0\1" and f[2].value[2] == "", "bytes")
		assert(f[3].value[1] == -1 and f[3].value[2] == 2^40, "integers")
		assert(f[4].value[1] == 0.5, "double")
		assert(f[5].value[1] == false and f[5].value[2] == true, "bools")
		assert(f[6].value_type == 2 and type(f[6].value) == "table" and #f[6].value == 0, "empty")`)

	for _, tc := range []struct{ code, want string }{
		{`decode_message("short")`, "invalid message, too short"},
		{`decode_message(string.rep("x", 20))`, "invalid message: message: byte 0"},
		{`decode_message(nil)`, "string or output-capable userdata expected"},
		{`decode_message(plain())`, "string or output-capable userdata expected"},
	} {
		if got := st.runErr(t, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%s: error %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestDecodeMessageErrors(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	if _, err := DecodeMessage(L, make([]byte, 19), nil); err != ErrTooShort {
		t.Fatalf("19 bytes: %v", err)
	}
	_, err := DecodeMessage(L, bytes.Repeat([]byte{0x0a}, 20), nil)
	var de *message.DecodeError
	if !errors.Is(err, ErrInvalidMessage) || !errors.As(err, &de) {
		t.Fatalf("invalid: %v", err)
	}
}

// TestRoundTrip encodes tables, decodes them with decode_message and
// re-encodes the decoded (array-form) tables: the bytes must not change.
func TestRoundTrip(t *testing.T) {
	tables := []string{
		`{Type = "t", Logger = "l", Severity = 0, Payload = "p\0q", EnvVersion = "1", Pid = -5, Hostname = "h",
		  Timestamp = -1, Fields = {
			{name = "s", value = {"a", "b"}, representation = "r"},
			{name = "s", value = "dup"},
			{name = "b", value = "\255\0", value_type = 1},
			{name = "i", value = {-1, 2^40, 0}, value_type = 2},
			{name = "d", value = {0.25, -1e300}},
			{name = "t", value = {true, false}},
			{name = "one", value = 1, value_type = 2},
			{name = "empty", value = {}, value_type = 3},
		}}`,
		`{Fields = {x = 1, y = "2", z = true}}`,
		`{}`,
	}
	for _, tbl := range tables {
		st := newTestState(t, testHeaders(false))
		st.run(t, `
			local raw = encode(`+tbl+`)
			local m = decode_message(raw)
			local again = encode(m)
			assert(again == raw, "re-encoded bytes differ")`)
	}
}

func readTestMessage() *message.Message {
	m := workedExample()
	m.SetPayload("the payload")
	m.SetEnvVersion("0.8")
	m.Fields = append(m.Fields,
		message.Field{Name: "arr", Strings: []string{"a0", "a1"}},
		message.Field{Name: "arr", Type: message.ValueInteger, Integers: []int64{10, 11}},
		message.Field{Name: "blob", Type: message.ValueBytes, Bytes: [][]byte{{0xff, 0}}},
		message.Field{Name: "flag", Type: message.ValueBool, Bools: []bool{true, false}},
	)
	return m
}

func TestReadMessage(t *testing.T) {
	m := readTestMessage()
	raw := m.Encode()
	var v message.View
	if err := v.Reset(raw); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		variable string
		fi, ai   int
		want     lua.LValue
	}{
		{"Uuid", 0, 0, lua.LString(m.Uuid[:])},
		{"Timestamp", 0, 0, lua.LNumber(1392050801000000000)},
		{"Type", 0, 0, lua.LString("nginx")},
		{"Logger", 0, 0, lua.LString("input.nginx")},
		{"Payload", 0, 0, lua.LString("the payload")},
		{"EnvVersion", 0, 0, lua.LString("0.8")},
		{"Hostname", 0, 0, lua.LString("example.com")},
		{"Severity", 0, 0, lua.LNumber(6)},
		{"Pid", 0, 0, lua.LNumber(1234)},
		{"raw", 0, 0, lua.LString(raw)},
		{"framed", 0, 0, lua.LString(message.AppendFrame(nil, raw))},
		{"size", 0, 0, lua.LNumber(len(raw))},
		{"Fields[status]", 0, 0, lua.LNumber(304)},
		{"Fields[remote_addr]", 0, 0, lua.LString("127.0.0.1")},
		{"Fields[bytes]", 0, 0, lua.LNumber(1413)},
		{"Fields[arr]", 0, 1, lua.LString("a1")},
		{"Fields[arr]", 1, 0, lua.LNumber(10)},
		{"Fields[arr]", 1, 1, lua.LNumber(11)},
		{"Fields[arr]", 1, 2, lua.LNil},
		{"Fields[arr]", 2, 0, lua.LNil},
		{"Fields[blob]", 0, 0, lua.LString("\xff\x00")},
		{"Fields[flag]", 0, 0, lua.LTrue},
		{"Fields[flag]", 0, 1, lua.LFalse},
		{"Fields[missing]", 0, 0, lua.LNil},
		{"Fields[stat]", 0, 0, lua.LNil},
	}
	for _, tc := range tests {
		got, err := ReadMessage(&v, tc.variable, tc.fi, tc.ai)
		if err != nil || got != tc.want {
			t.Errorf("%s[%d][%d] = %v (%v), want %v", tc.variable, tc.fi, tc.ai, got, err, tc.want)
		}
	}

	// Absent headers.
	min := message.Message{Uuid: testUUID, Timestamp: 1}
	if err := v.Reset(min.Encode()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Type", "Logger", "Payload", "EnvVersion", "Hostname", "Pid"} {
		if got, err := ReadMessage(&v, name, 0, 0); got != lua.LNil || err != nil {
			t.Errorf("absent %s = %v %v", name, got, err)
		}
	}
	if got, _ := ReadMessage(&v, "Severity", 0, 0); got != lua.LNumber(7) {
		t.Errorf("absent Severity = %v", got)
	}

	// No message.
	for _, view := range []*message.View{nil, new(message.View)} {
		for _, name := range []string{"Uuid", "Timestamp", "Severity", "raw", "framed", "size", "Fields[status]"} {
			if got, err := ReadMessage(view, name, 0, 0); got != lua.LNil || err != nil {
				t.Errorf("no message: %s = %v %v", name, got, err)
			}
		}
	}
}

func TestReadMessageErrors(t *testing.T) {
	var v message.View
	if err := v.Reset(workedExample().Encode()); err != nil {
		t.Fatal(err)
	}
	for _, view := range []*message.View{&v, nil} {
		for _, tc := range []struct {
			variable string
			fi, ai   int
			want     string
		}{
			{"Bogus", 0, 0, "read_message() field: 'Bogus' not supported/recognized"},
			{"Fields[]", 0, 0, "read_message() field: 'Fields[]' not supported/recognized"},
			{"Fields[x", 0, 0, "read_message() field: 'Fields[x' not supported/recognized"},
			{"uuid", 0, 0, "read_message() field: 'uuid' not supported/recognized"},
			{"Type", -1, 0, "field index must be >= 0"},
			{"Fields[status]", 0, -1, "array index must be >= 0"},
		} {
			_, err := ReadMessage(view, tc.variable, tc.fi, tc.ai)
			if err == nil || err.Error() != tc.want {
				t.Errorf("%s[%d][%d]: %v, want %q", tc.variable, tc.fi, tc.ai, err, tc.want)
			}
		}
	}
}

func TestReadMessageLua(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	st.run(t, `assert(read_message("Type") == nil and read_message("Severity") == nil, "no message")`)
	st.setCurrent(t, readTestMessage())
	st.run(t, `
		assert(read_message("Type") == "nginx", "Type")
		assert(read_message("Fields[arr]", 1, 1) == 11, "Fields[arr][1][1]")
		assert(read_message("Fields[arr]", nil, 1) == "a1", "nil index is 0")
		assert(read_message("size") == #read_message("raw"), "size")
		assert(read_message("framed"):sub(-#read_message("raw")) == read_message("raw"), "framed ends with raw")`)
	for _, tc := range []struct{ code, want string }{
		{`read_message("Bogus")`, "read_message() field: 'Bogus' not supported/recognized"},
		{`read_message("Type", -1)`, "bad argument #2 to read_message (field index must be >= 0)"},
		{`read_message("Type", 0, -2)`, "bad argument #3 to read_message (array index must be >= 0)"},
		{`read_message("Timestamp", 0, 0, true)`, "read_message() field: 'Timestamp' not supported with zero copy"},
		{`read_message("Bogus", 0, 0, true)`, "read_message() field: 'Bogus' not supported/recognized"},
	} {
		if got := st.runErr(t, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%s: error %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestZeroCopy(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	// Handles are made before any message exists, as encoders do at load.
	st.run(t, `
		h_type = read_message("Type", nil, nil, true)
		h_payload = read_message("Payload", nil, nil, true)
		h_uuid = read_message("Uuid", 0, 0, true)
		h_raw = read_message("raw", 0, 0, true)
		h_framed = read_message("framed", 0, 0, true)
		h_arr = read_message("Fields[arr]", 0, 1, true)
		h_blob = read_message("Fields[blob]", 0, 0, true)
		h_int = read_message("Fields[bytes]", 0, 0, true)
		assert(type(h_type) == "userdata", "userdata")
		assert(tostring(h_type) == nil and tostring(h_raw) == nil, "no message: nil")
		add_to_payload(h_type, h_raw, h_int)`)
	if st.payload.Len() != 0 {
		t.Fatalf("payload %q with no message", st.payload.Bytes())
	}

	m1 := readTestMessage()
	st.setCurrent(t, m1)
	raw1 := string(m1.Encode())
	st.L.SetGlobal("raw1", lua.LString(raw1))
	st.L.SetGlobal("framed1", lua.LString(message.AppendFrame(nil, []byte(raw1))))
	st.run(t, `
		assert(tostring(h_type) == "nginx", "Type")
		assert(tostring(h_payload) == "the payload", "Payload")
		assert(#tostring(h_uuid) == 16, "Uuid")
		assert(tostring(h_raw) == raw1, "raw")
		assert(tostring(h_framed) == framed1, "framed")
		assert(tostring(h_arr) == "a1", "Fields[arr][0][1]")
		assert(tostring(h_blob) == "\255\0", "Fields[blob]")
		add_to_payload(h_type, " ", h_arr)
		local m = decode_message(encode({Fields = {t = h_type, a = {h_arr, h_blob}}}))
		assert(m.Fields[1].value_type == 1 and m.Fields[1].value[1] == "nginx", "field from handle")
		assert(m.Fields[2].value[2] == "\255\0", "array of handles")
		assert(decode_message(h_raw).Type == "nginx", "decode_message of a handle")`)
	if got := string(st.payload.Bytes()); got != "nginx a1" {
		t.Fatalf("payload %q", got)
	}

	// The same handles follow the current message.
	m2 := message.Message{Uuid: testUUID, Timestamp: 2}
	m2.SetType("second")
	m2.Fields = []message.Field{{Name: "arr", Strings: []string{"x", "y"}}}
	st.setCurrent(t, &m2)
	st.run(t, `
		assert(tostring(h_type) == "second", "Type follows")
		assert(tostring(h_payload) == nil, "absent Payload")
		assert(tostring(h_arr) == "y", "Fields follow")
		assert(tostring(h_blob) == nil, "absent field")
		assert(decode_message(h_raw).Timestamp == 2, "raw follows")`)

	// A non-string field fails on use, not at creation.
	st.setCurrent(t, m1)
	for _, code := range []string{`tostring(h_int)`, `add_to_payload(h_int)`, `encode({Fields = {x = h_int}})`,
		`encode({Payload = h_int})`, `decode_message(h_int)`} {
		if got := st.runErr(t, code); !strings.Contains(got, ErrZeroCopyType.Error()) {
			t.Errorf("%s: %q", code, got)
		}
	}

	// Outputter from Go.
	ud, err := NewZeroCopy(st.L, func() *message.View { return st.cur }, "Hostname", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ud.Value.(Outputter).Output([]byte("host="))
	if err != nil || string(out) != "host=example.com" {
		t.Fatalf("Output %q %v", out, err)
	}
	for _, bad := range []struct {
		v      string
		fi, ai int
	}{{"Timestamp", 0, 0}, {"Severity", 0, 0}, {"Pid", 0, 0}, {"size", 0, 0}, {"Type", -1, 0}, {"Fields[x]", 0, -1}} {
		if _, err := NewZeroCopy(st.L, nil, bad.v, bad.fi, bad.ai); err == nil {
			t.Errorf("NewZeroCopy(%s, %d, %d) accepted", bad.v, bad.fi, bad.ai)
		}
	}
}

func TestPayloadNumbers(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1, "1"},
		{-1, "-1"},
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{0.5, "0.5"},
		{-0.5, "-0.5"},
		{1.0 / 3, "0.33333333"},
		{2.0 / 3, "0.66666667"},
		{0.1, "0.1"},
		{1e-9, "0"},
		{-1e-9, "0"},
		{123.456, "123.456"},
		{0.999999999, "1"},
		{math.MaxInt32, "2147483647"},
		{math.MinInt32, "-2147483648"},
		{math.MaxInt32 + 0.5, "2147483647.5"},
		{1 << 31, "2147483648"},
		{-(1 << 31) - 1, "-2147483649"},
		{1 << 53, "9007199254740992"},
		{3e9 + 0.25, "3000000000.25"},
		{1e300, "1.0000000000000001e+300"},
		{-1e300, "-1.0000000000000001e+300"},
		{1e17, "1e+17"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	}
	for _, tc := range tests {
		if got := string(appendPayloadNumber([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("%v: %q, want %q", tc.in, got[1:], tc.want)
		}
	}
}

func TestPayload(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	st.run(t, `add_to_payload("a", 1, " ", 0.5, true, false, nil, out("<ud>"), 2^31, "\0")`)
	if got, want := string(st.payload.Bytes()), "a1 0.5truefalsenil<ud>2147483648\x00"; got != want {
		t.Fatalf("payload %q, want %q", got, want)
	}
	for _, tc := range []struct{ code, want string }{
		{`add_to_payload({})`, "unsupported type: table"},
		{`add_to_payload(print)`, "unsupported type: function"},
		{`add_to_payload(plain())`, "unsupported type: userdata"},
	} {
		if got := st.runErr(t, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.code, got, tc.want)
		}
	}
	st.payload.Reset()
	if st.payload.Len() != 0 {
		t.Fatal("Reset")
	}

	p := NewPayload(10)
	for _, v := range []lua.LValue{lua.LString("12345"), lua.LNumber(678)} {
		if err := p.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []lua.LValue{lua.LString("abc"), lua.LNumber(1234), &lua.LUserData{Value: testOutputter("xyz")}, lua.LString("nil")} {
		if err := p.Add(v); err != ErrOutputLimit {
			t.Fatalf("Add(%v) over the limit: %v", v, err)
		}
	}
	if got := string(p.Bytes()); got != "12345678" {
		t.Fatalf("after failed adds: %q", got)
	}
	if err := p.Add(lua.LString("90")); err != nil || p.Len() != 10 {
		t.Fatalf("exactly at the limit: %v %d", err, p.Len())
	}
	var zero Payload
	if err := zero.Add(lua.LString(strings.Repeat("x", 1<<20))); err != nil {
		t.Fatalf("zero Payload has no limit: %v", err)
	}
}

func TestNumberConversions(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{1, "1"}, {-2.5, "-2.5"}, {0.1, "0.1"}, {1e15, "1e+15"}, {123456789012, "123456789012"},
		{1.0 / 3, "0.33333333333333"}, {math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	} {
		if got := formatNumber(tc.in); got != tc.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"12", 12, true}, {" 1.5e3\n", 1500, true}, {"0x1F", 31, true}, {"-7", -7, true},
		{"", 0, false}, {"  ", 0, false}, {"12abc", 0, false}, {"0xZZ", 0, false},
	} {
		if got, ok := parseNumber(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("parseNumber(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   float64
		want int64
	}{{1.9, 1}, {-1.9, -1}, {math.NaN(), 0}, {math.Inf(1), math.MaxInt64}, {math.Inf(-1), math.MinInt64}, {-1e300, math.MinInt64}} {
		if got := TruncInt64(tc.in); got != tc.want {
			t.Errorf("TruncInt64(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestInjectPayload(t *testing.T) {
	st := newTestState(t, testHeaders(true))
	enc := NewEncoder(testHeaders(true))
	var m message.Message
	var injected []message.Message
	fail := false
	st.L.SetGlobal("inject_payload", st.L.NewFunction(NewInjectPayloadFunc(st.payload, enc, &m, func(m *message.Message) error {
		if fail {
			return errors.New("injection limit exceeded")
		}
		var c message.Message
		if err := message.Decode(m.Encode(), &c); err != nil {
			return err
		}
		injected = append(injected, c)
		return nil
	})))
	st.run(t, `
		inject_payload()                      -- empty: nothing
		add_to_payload("a", 1)
		inject_payload()                      -- txt, no payload_name
		inject_payload("csv", "stats", "x,", 2)
		add_to_payload("b")
		inject_payload("txt", "")             -- an empty name is a name`)
	if len(injected) != 3 {
		t.Fatalf("%d messages injected", len(injected))
	}
	for i, want := range []struct {
		payload string
		fields  []string // payload_type[, payload_name]
	}{{"a1", []string{"txt"}}, {"x,2", []string{"csv", "stats"}}, {"b", []string{"txt", ""}}} {
		got := injected[i]
		if got.Type != "inject_payload" || got.Payload != want.payload || got.Logger != "cfg.logger" ||
			len(got.Fields) != len(want.fields) {
			t.Errorf("message %d: %+v", i, got)
			continue
		}
		for j, name := range []string{"payload_type", "payload_name"}[:len(want.fields)] {
			if f := got.Fields[j]; f.Name != name || len(f.Strings) != 1 || f.Strings[0] != want.fields[j] {
				t.Errorf("message %d: field %d: %+v", i, j, f)
			}
		}
	}
	if st.payload.Len() != 0 {
		t.Fatal("payload not emptied")
	}
	fail = true
	if got := st.runErr(t, `inject_payload("txt", "n", "kept")`); !strings.Contains(got, "inject_payload() failed: injection limit exceeded") {
		t.Fatalf("error %q", got)
	}
	if string(st.payload.Bytes()) != "kept" {
		t.Fatalf("payload after a failed inject: %q", st.payload.Bytes())
	}
}
