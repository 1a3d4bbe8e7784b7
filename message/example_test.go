package message_test

import (
	"fmt"

	"github.com/sightline/sightline/message"
)

func ExampleMessage_AppendTo() {
	m := message.Message{
		Uuid:      [16]byte{0x0c, 0x1e, 0x92, 0x71, 0x6b, 0x7c, 0x45, 0x1e, 0xaa, 0x05, 0x63, 0xcd, 0xaf, 0x14, 0xcf, 0x10},
		Timestamp: 1392050801000000000,
		Fields: []message.Field{
			{Name: "bytes", Type: message.ValueInteger, Representation: "B", Integers: []int64{1413}},
		},
	}
	m.SetType("nginx")
	raw := m.AppendTo(nil)
	fmt.Printf("%d bytes: % x\n", len(raw), raw[28:])
	// Output:
	// 52 bytes: 1a 05 6e 67 69 6e 78 52 0f 0a 05 62 79 74 65 73 10 02 1a 01 42 30 85 0b
}

func ExampleView() {
	m := message.Message{Uuid: message.NewUUID(), Timestamp: 1392050801000000000}
	m.SetHostname("example.com")
	m.Fields = []message.Field{{Name: "status", Type: message.ValueDouble, Doubles: []float64{304}}}
	raw := m.AppendTo(nil)

	var v message.View
	if err := v.Reset(raw); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := v.Field("status", 0)
	status, _ := f.Double(0)
	fmt.Println(string(v.Hostname()), v.Severity(), message.FormatTimestamp(v.Timestamp()), status)
	// Output:
	// example.com 7 2014-02-10T16:46:41.000000000Z 304
}

func ExampleDecode() {
	raw := []byte{0x0a, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x10, 0x01}
	var m message.Message
	fmt.Println(message.Decode(raw, &m))
	// Output:
	// message: byte 0, tag 1: uuid is not 16 bytes
}
