package matcher_test

import (
	"fmt"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/message/matcher"
)

func Example() {
	m, err := matcher.Compile(`Type == "nginx.access" && (Fields[status] >= 500 || Payload =~ "timeout%d*")`)
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := message.Message{Uuid: message.NewUUID(), Timestamp: 1392050801000000000}
	msg.SetType("nginx.access")
	msg.Fields = []message.Field{{Name: "status", Type: message.ValueInteger, Integers: []int64{503}}}
	var v message.View
	if err := v.Reset(msg.AppendTo(nil)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Match(&v))
	fmt.Println(m)
	// Output:
	// true
	// Type == "nginx.access" && (Fields[status] >= 500 || Payload =~ "timeout%d*")
}

func ExampleCompile_error() {
	_, err := matcher.Compile(`Timestamp >= "2016-05-24 00:00:00Z"`)
	fmt.Println(err)
	// Output:
	// matcher: offset 24: bad RFC 3339 timestamp "2016-05-24 00:00:00Z": expected 'T'
}
