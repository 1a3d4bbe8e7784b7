package luamsg

import (
	"encoding/hex"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// testUUID and testNow are what the test Encoders generate.
var testUUID = [16]byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0x46, 0xf7, 0xb8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff}

// testNow is exact as a Lua number, so decoded tables re-encode exactly.
const testNow = 1700000000000000000

func testHeaders(restricted bool) Headers {
	return Headers{
		Restricted: restricted,
		Logger:     "cfg.logger",
		Hostname:   "cfg.host",
		Pid:        4321,
		Now:        func() int64 { return testNow },
		UUID:       func() [16]byte { return testUUID },
	}
}

// testState is a plain gopher-lua state with this package's functions as
// globals, the way the sandbox core binds them:
//
//	encode(tbl)            Encoder.ToMessage + AppendTo, returns the bytes
//	decode_message(pb)
//	read_message(...)      reading the View st.cur
//	add_to_payload(...)    appending to st.payload
//	create_stream_reader(name)
//	out(s)                 a userdata whose Value is an Outputter writing s
//	plain()                a userdata that is not an Outputter
type testState struct {
	L       *lua.LState
	enc     *Encoder
	m       message.Message
	cur     *message.View
	payload *Payload
}

func newTestState(t testing.TB, h Headers) *testState {
	t.Helper()
	st := &testState{L: lua.NewState(), enc: NewEncoder(h), payload: NewPayload(0)}
	t.Cleanup(st.L.Close)
	L := st.L
	L.SetGlobal("encode", L.NewFunction(func(L *lua.LState) int {
		if err := st.enc.ToMessage(L.CheckTable(1), &st.m); err != nil {
			L.RaiseError("%s", err.Error())
		}
		L.Push(lua.LString(st.m.AppendTo(nil)))
		return 1
	}))
	L.SetGlobal("decode_message", L.NewFunction(NewDecodeMessageFunc()))
	L.SetGlobal("read_message", L.NewFunction(NewReadMessageFunc(func() *message.View { return st.cur })))
	L.SetGlobal("add_to_payload", L.NewFunction(NewAddToPayloadFunc(st.payload)))
	L.SetGlobal("create_stream_reader", L.NewFunction(NewCreateStreamReaderFunc(1024)))
	L.SetGlobal("out", L.NewFunction(func(L *lua.LState) int {
		ud := L.NewUserData()
		ud.Value = testOutputter(L.CheckString(1))
		L.Push(ud)
		return 1
	}))
	L.SetGlobal("plain", L.NewFunction(func(L *lua.LState) int {
		L.Push(L.NewUserData())
		return 1
	}))
	return st
}

// run runs code, failing the test on error.
func (st *testState) run(t testing.TB, code string) {
	t.Helper()
	if err := st.L.DoString(code); err != nil {
		t.Fatalf("%s\n%v", code, err)
	}
}

// runErr runs code that must fail and returns the error text.
func (st *testState) runErr(t testing.TB, code string) string {
	t.Helper()
	err := st.L.DoString(code)
	if err == nil {
		t.Fatalf("%s: no error", code)
	}
	return err.Error()
}

// eval returns the value of the Lua expression expr.
func (st *testState) eval(t testing.TB, expr string) lua.LValue {
	t.Helper()
	st.run(t, "__v = "+expr)
	return st.L.GetGlobal("__v")
}

// setCurrent makes m the message read_message sees; nil for none.
func (st *testState) setCurrent(t testing.TB, m *message.Message) {
	t.Helper()
	if m == nil {
		st.cur = nil
		return
	}
	v := new(message.View)
	if err := v.Reset(m.AppendTo(nil)); err != nil {
		t.Fatal(err)
	}
	st.cur = v
}

type testOutputter string

func (o testOutputter) Output(dst []byte) ([]byte, error) { return append(dst, o...), nil }

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refFrame frames msg as the reference does: no CRC.
func refFrame(msg []byte) []byte {
	var hdr []byte
	hdr = append(hdr, 0x08)
	for n := uint64(len(msg)); ; n >>= 7 {
		if n < 0x80 {
			hdr = append(hdr, byte(n))
			break
		}
		hdr = append(hdr, byte(n)|0x80)
	}
	out := append([]byte{0x1e, byte(len(hdr))}, hdr...)
	out = append(out, 0x1f)
	return append(out, msg...)
}

// workedExample is the message of spec §1.7.
func workedExample() *message.Message {
	m := &message.Message{
		Uuid:      [16]byte{0x0c, 0x1e, 0x92, 0x71, 0x6b, 0x7c, 0x45, 0x1e, 0xaa, 0x05, 0x63, 0xcd, 0xaf, 0x14, 0xcf, 0x10},
		Timestamp: 1392050801000000000,
		Fields: []message.Field{
			{Name: "status", Type: message.ValueDouble, Doubles: []float64{304}},
			{Name: "remote_addr", Representation: "ipv4", Strings: []string{"127.0.0.1"}},
			{Name: "bytes", Type: message.ValueInteger, Representation: "B", Integers: []int64{1413}},
		},
	}
	m.SetType("nginx")
	m.SetLogger("input.nginx")
	m.SetSeverity(6)
	m.SetPid(1234)
	m.SetHostname("example.com")
	return m
}

// workedExampleHex is the 136-byte message of spec §1.7.
const workedExampleHex = `
0a 10 0c 1e 92 71 6b 7c 45 1e aa 05 63 cd af 14 cf 10
10 80 d4 9c f7 bf da e3 a8 13
1a 05 6e 67 69 6e 78
22 0b 69 6e 70 75 74 2e 6e 67 69 6e 78
28 06
40 d2 09
4a 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d
52 13 0a 06 73 74 61 74 75 73 10 03 39 00 00 00 00 00 00 73 40
52 1e 0a 0b 72 65 6d 6f 74 65 5f 61 64 64 72 1a 04 69 70 76 34 22 09 31 32 37 2e 30 2e 30 2e 31
52 0f 0a 05 62 79 74 65 73 10 02 1a 01 42 30 85 0b`
