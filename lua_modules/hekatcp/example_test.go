package hekatcp_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sightline/sightline/lua_modules/hekatcp"
	"github.com/sightline/sightline/message"
)

// A receiver offering acknowledgements and a sender asking for them, in
// one process: the sender's messages are done only once the receiver's
// consumer said they are durable.
func Example() {
	srv, err := hekatcp.Listen(hekatcp.ServerOptions{Address: "127.0.0.1:0", Ack: true})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	cli := hekatcp.NewClient(hekatcp.ClientOptions{Address: srv.Addr().String(), Ack: true})
	defer cli.Close()

	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		var m message.Message
		m.Uuid, m.Timestamp = message.NewUUID(), int64(i)
		m.SetPayload(fmt.Sprintf("message %d", i))
		if err := cli.Send(ctx, uint64(i), message.AppendFrame(nil, m.AppendTo(nil))); err != nil {
			panic(err)
		}
	}

	// The plugin's side: inject each record, then hand over the function
	// telling when they are durable (sandbox.Durable in a plugin).
	for got := 0; got < 3; {
		ch, err := srv.Receive(ctx, time.Second)
		if err != nil {
			panic(err)
		}
		if ch == nil {
			continue
		}
		for i := range ch.Len() {
			var v message.View
			if err := v.Reset(ch.Record(i)); err != nil {
				panic(err)
			}
			fmt.Printf("received %s\n", v.Payload())
			got++
		}
		ch.Done(func(context.Context) error { return nil })
	}

	if err := cli.Flush(ctx, 5*time.Second); err != nil {
		panic(err)
	}
	seq, failures, _ := cli.Acked()
	fmt.Printf("acknowledged up to %d, %d failures\n", seq, failures)
	// Output:
	// received message 1
	// received message 2
	// received message 3
	// acknowledged up to 3, 0 failures
}
