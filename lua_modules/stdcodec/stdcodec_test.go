package stdcodec

import (
	"errors"
	"testing"

	"github.com/sightline/sightline/lua_modules/decoder"
	"github.com/sightline/sightline/message"
)

func TestPayload(t *testing.T) {
	d, err := decoder.New(nil, Payload)
	if err != nil {
		t.Fatal(err)
	}
	var m message.Message
	m.SetType("line")
	rec := []byte("a line")
	if err := d.Decode(rec, &m); err != nil {
		t.Fatal(err)
	}
	rec[0] = 'X' // the message does not alias the record
	if m.Payload != "a line" || m.Type != "line" || m.Has&message.HasPayload == 0 {
		t.Errorf("%+v", m)
	}
}

func TestProtobuf(t *testing.T) {
	d, err := decoder.New(nil, Protobuf)
	if err != nil {
		t.Fatal(err)
	}
	var src message.Message
	src.Uuid = message.NewUUID()
	src.Timestamp = 42
	src.SetPayload("p")
	src.Fields = []message.Field{{Name: "n", Type: message.ValueInteger, Integers: []int64{7}}}
	raw := src.Encode()

	var m message.Message
	m.SetType("default") // replaced
	if err := d.Decode(raw, &m); err != nil {
		t.Fatal(err)
	}
	if got := m.Encode(); string(got) != string(raw) {
		t.Errorf("re-encoded %x, want %x", got, raw)
	}
	if err := d.Decode([]byte("not a message"), &m); !errors.Is(err, decoder.ErrNoMatch) {
		t.Errorf("bad record: %v", err)
	}
}

func FuzzProtobuf(f *testing.F) {
	var m message.Message
	m.Uuid = message.NewUUID()
	m.Timestamp = 1
	f.Add(m.Encode())
	f.Add([]byte{})
	d := protobufDecoder{}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m message.Message
		if err := d.Decode(b, &m); err != nil {
			if !errors.Is(err, decoder.ErrNoMatch) {
				t.Fatal(err)
			}
			return
		}
		if err := message.Validate(m.Encode()); err != nil {
			t.Fatalf("decoded message does not encode to a valid one: %v", err)
		}
	})
}
