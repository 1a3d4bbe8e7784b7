package message

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sightline/sightline/message/internal/hekapb"
)

// benchMessage is a typical 12-field message: a parsed nginx access log line
// as an input plugin injects it.
func benchMessage() *Message {
	m := &Message{
		Uuid:      [16]byte{0x0c, 0x1e, 0x92, 0x71, 0x6b, 0x7c, 0x45, 0x1e, 0xaa, 0x05, 0x63, 0xcd, 0xaf, 0x14, 0xcf, 0x10},
		Timestamp: 1760104536123456789,
		Fields: []Field{
			{Name: "remote_addr", Representation: "ipv4", Strings: []string{"203.0.113.17"}},
			{Name: "remote_user", Strings: []string{"-"}},
			{Name: "request", Strings: []string{"GET /api/v1/items?page=2&sort=desc HTTP/1.1"}},
			{Name: "status", Type: ValueInteger, Integers: []int64{200}},
			{Name: "body_bytes_sent", Type: ValueInteger, Representation: "B", Integers: []int64{51234}},
			{Name: "http_referer", Strings: []string{"https://example.com/start"}},
			{Name: "http_user_agent", Strings: []string{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}},
			{Name: "request_time", Type: ValueDouble, Representation: "s", Doubles: []float64{0.023}},
			{Name: "upstream_response_times", Type: ValueDouble, Representation: "s", Doubles: []float64{0.011, 0.009}},
			{Name: "upstream_addrs", Strings: []string{"10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"}},
			{Name: "cache_hit", Type: ValueBool, Bools: []bool{false}},
			{Name: "session", Type: ValueBytes, Bytes: [][]byte{[]byte("\x01\x02\x03\x04\x05\x06\x07\x08")}},
		},
	}
	m.SetType("nginx.access")
	m.SetLogger("input.nginx")
	m.SetSeverity(6)
	m.SetPayload(`203.0.113.17 - - [10/Oct/2025:13:55:36 +0000] "GET /api/v1/items?page=2&sort=desc HTTP/1.1" 200 51234 "https://example.com/start" "Mozilla/5.0"`)
	m.SetPid(4242)
	m.SetHostname("edge-1.example.net")
	return m
}

func BenchmarkEncode(b *testing.B) {
	m := benchMessage()
	buf := make([]byte, 0, m.Size())
	b.SetBytes(int64(m.Size()))
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendTo(buf[:0])
	}
}

func BenchmarkDecode(b *testing.B) {
	raw := benchMessage().AppendTo(nil)
	var m Message
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Decode(raw, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkViewReset(b *testing.B) {
	raw := benchMessage().AppendTo(nil)
	var v View
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Reset(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	raw := benchMessage().AppendTo(nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkViewField looks up the 10th field by name and reads its third
// value (read_message("Fields[upstream_addrs]", 0, 2)).
func BenchmarkViewField(b *testing.B) {
	raw := benchMessage().AppendTo(nil)
	var v View
	if err := v.Reset(raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		f, ok := v.Field("upstream_addrs", 0)
		if s, ok2 := f.String(2); !ok || !ok2 || len(s) == 0 {
			b.Fatal("missing")
		}
	}
}

func BenchmarkNewUUID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewUUID()
	}
}

func BenchmarkNewUUIDParallel(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = NewUUID()
		}
	})
}

// BenchmarkProto measures the generated code on the same message, for
// comparison only.
func BenchmarkProto(b *testing.B) {
	m := benchMessage()
	p := toPB(m, func() bool { return false })
	raw := m.AppendTo(nil)
	b.Run("Marshal", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		buf := make([]byte, 0, len(raw))
		for b.Loop() {
			var err error
			if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		var q hekapb.Message
		for b.Loop() {
			if err := proto.Unmarshal(raw, &q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
