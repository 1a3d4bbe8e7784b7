package matcher

import (
	"testing"

	"github.com/sightline/sightline/message"
)

// testUUID is the Uuid of fullMessage.
const testUUID = "0c1e9271-6b7c-451e-aa05-63cdaf14cf10"

// testTimestamp is the Timestamp of fullMessage: 2014-02-10T16:46:41Z.
const testTimestamp = 1392050801000000000

// fullMessage has every header and fields of every type.
func fullMessage(tb testing.TB) message.Message {
	tb.Helper()
	u, err := message.ParseUUID(testUUID)
	if err != nil {
		tb.Fatal(err)
	}
	m := message.Message{Uuid: u, Timestamp: testTimestamp}
	m.SetType("nginx.access")
	m.SetLogger("input.nginx")
	m.SetHostname("web-1.example.com")
	m.SetEnvVersion("1.2")
	m.SetPayload("GET /index.html 200 error42 done")
	m.SetSeverity(6)
	m.SetPid(4242)
	m.Fields = []message.Field{
		{Name: "foo", Type: message.ValueString, Strings: []string{"bar"}},
		{Name: "foo", Type: message.ValueString, Strings: []string{"alternate", "second"}},
		{Name: "number", Type: message.ValueInteger, Integers: []int64{64}},
		{Name: "bytes", Type: message.ValueBytes, Bytes: [][]byte{[]byte("data")}},
		{Name: "int", Type: message.ValueInteger, Integers: []int64{999, 1024}},
		{Name: "double", Type: message.ValueDouble, Doubles: []float64{99.9, -0.5}},
		{Name: "bool", Type: message.ValueBool, Bools: []bool{true, false}},
		{Name: "falsy", Type: message.ValueBool, Bools: []bool{false}},
		{Name: "one", Type: message.ValueInteger, Integers: []int64{1}},
		{Name: "two", Type: message.ValueDouble, Doubles: []float64{2}},
		{Name: "zero", Type: message.ValueInteger, Integers: []int64{0}},
		{Name: "string", Type: message.ValueString, Strings: []string{"43"}},
		{Name: "empty", Type: message.ValueString, Strings: []string{""}},
		{Name: "novalues", Type: message.ValueString},
		{Name: "big", Type: message.ValueInteger, Integers: []int64{1<<53 + 1}},
		{Name: "host", Type: message.ValueString, Strings: []string{"foo.example.com"}},
		{Name: "hostx", Type: message.ValueString, Strings: []string{"fooxexamplexcom"}},
		{Name: "created", Type: message.ValueString, Strings: []string{"2015-01-02T03:04:05Z"}},
		{Name: "status", Type: message.ValueInteger, Integers: []int64{304}},
		{Name: "with space", Type: message.ValueString, Strings: []string{"x"}},
		{Name: "a[b", Type: message.ValueString, Strings: []string{"y"}},
		{Name: "", Type: message.ValueString, Strings: []string{"unnamed"}},
		{Name: "quote", Type: message.ValueString, Strings: []string{`it's "q" \ done`}},
		{Name: "widget", Type: message.ValueInteger, Representation: "count", Integers: []int64{3}},
	}
	return m
}

// minimalMessage has only the required Uuid and Timestamp.
func minimalMessage(tb testing.TB) message.Message {
	tb.Helper()
	m := fullMessage(tb)
	return message.Message{Uuid: m.Uuid, Timestamp: m.Timestamp}
}

// view encodes m and returns a View of it.
func view(tb testing.TB, m message.Message) *message.View {
	tb.Helper()
	v := new(message.View)
	if err := v.Reset(m.AppendTo(nil)); err != nil {
		tb.Fatal(err)
	}
	return v
}

// mustCompile compiles expr or fails the test.
func mustCompile(tb testing.TB, expr string) *Matcher {
	tb.Helper()
	m, err := Compile(expr)
	if err != nil {
		tb.Fatalf("Compile(%q): %v", expr, err)
	}
	return m
}
