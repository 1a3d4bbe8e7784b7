package message

import (
	"bytes"
	"os"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sightline/sightline/message/internal/hekapb"
)

// workedExample is the message of the reference's worked byte example
// (spec §1.7); testdata/worked-example.pb holds its 136 bytes and
// testdata/worked-example.txt the reference's lsb_heka_cat rendering.
func workedExample() *Message {
	m := &Message{
		Uuid:      [16]byte{0x0c, 0x1e, 0x92, 0x71, 0x6b, 0x7c, 0x45, 0x1e, 0xaa, 0x05, 0x63, 0xcd, 0xaf, 0x14, 0xcf, 0x10},
		Timestamp: 1392050801000000000,
		Fields: []Field{
			{Name: "status", Type: ValueDouble, Doubles: []float64{304}},
			{Name: "remote_addr", Representation: "ipv4", Strings: []string{"127.0.0.1"}},
			{Name: "bytes", Type: ValueInteger, Representation: "B", Integers: []int64{1413}},
		},
	}
	m.SetType("nginx")
	m.SetLogger("input.nginx")
	m.SetSeverity(6)
	m.SetPid(1234)
	m.SetHostname("example.com")
	return m
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenEncode(t *testing.T) {
	want := readTestdata(t, "worked-example.pb")
	m := workedExample()
	if got := m.Size(); got != 136 || got != len(want) {
		t.Fatalf("Size = %d, want 136 (file %d)", got, len(want))
	}
	if got := m.AppendTo(nil); !bytes.Equal(got, want) {
		t.Fatalf("AppendTo:\n got %x\nwant %x", got, want)
	}
	prefix := []byte("prefix")
	if got := m.AppendTo(prefix); !bytes.Equal(got[:6], prefix) || !bytes.Equal(got[6:], want) {
		t.Fatalf("AppendTo with a prefix:\n got %x", got)
	}
	if got := m.Encode(); !bytes.Equal(got, want) {
		t.Fatalf("Encode:\n got %x\nwant %x", got, want)
	}
}

func TestGoldenDecode(t *testing.T) {
	raw := readTestdata(t, "worked-example.pb")
	var m Message
	if err := Decode(raw, &m); err != nil {
		t.Fatal(err)
	}
	if d := diffMessages(&m, workedExample()); d != "" {
		t.Fatal(d)
	}
	if m.Has != HasType|HasLogger|HasSeverity|HasPid|HasHostname || m.Payload != "" || m.EnvVersion != "" {
		t.Fatalf("absent headers: Has=%b Payload=%q EnvVersion=%q", m.Has, m.Payload, m.EnvVersion)
	}
	if got, want := renderCat(&m), string(readTestdata(t, "worked-example.txt")); got != want {
		t.Fatalf("lsb_heka_cat rendering:\n%s\nwant\n%s", got, want)
	}

	var v View
	if err := v.Reset(raw); err != nil {
		t.Fatal(err)
	}
	if d := viewMismatch(&v, &m); d != "" {
		t.Fatal(d)
	}
	f, ok := v.Field("bytes", 0)
	if n, ok2 := f.Integer(0); !ok || !ok2 || n != 1413 {
		t.Fatalf("Fields[bytes] = %d %v %v", n, ok, ok2)
	}
	if r, ok := f.Representation(); !ok || string(r) != "B" {
		t.Fatalf("representation %q %v", r, ok)
	}
	if d, ok := v.FieldAt(0).Double(0); !ok || d != 304 {
		t.Fatalf("Fields[status] = %v %v", d, ok)
	}
	if _, ok := v.Field("bytes", 1); ok {
		t.Fatal("Fields[bytes][1] exists")
	}
	if v.Payload() != nil || v.Has(HasPayload) || v.Severity() != 6 {
		t.Fatal("headers")
	}

	var p hekapb.Message
	if err := proto.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if d := diffMessages(fromPB(&p), &m); d != "" {
		t.Fatal(d)
	}
}
