package luamsg_test

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// An inject_message binding: the table becomes a message under the
// plugin's header rules, and the table gains the configured Logger,
// Hostname and Pid.
func ExampleEncoder_ToMessage() {
	L := lua.NewState()
	defer L.Close()
	enc := luamsg.NewEncoder(luamsg.Headers{
		Logger: "input.nginx", Hostname: "example.com", Pid: 1234,
		Now: func() int64 { return 1392050801000000000 },
	})
	var m message.Message
	var raw []byte
	L.SetGlobal("inject_message", L.NewFunction(func(L *lua.LState) int {
		if err := enc.ToMessage(L.CheckTable(1), &m); err != nil {
			L.RaiseError("failed: %s", err.Error())
		}
		raw = m.AppendTo(raw[:0]) // then queue raw
		return 0
	}))
	err := L.DoString(`
		local msg = {Type = "nginx", Fields = {status = 304, bytes = {value = 1413, value_type = 2, representation = "B"}}}
		inject_message(msg)
		print(msg.Logger, msg.Hostname, msg.Pid)`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(message.FormatTimestamp(m.Timestamp), m.Type, m.Fields[0].Name, m.Fields[0].Doubles, m.Fields[1].Name, m.Fields[1].Integers)
	// Output:
	// input.nginx	example.com	1234
	// 2014-02-10T16:46:41.000000000Z nginx status [304] bytes [1413]
}

// read_message for an analysis or output plugin, with a zero-copy handle
// made once and re-read for each message.
func ExampleNewReadMessageFunc() {
	L := lua.NewState()
	defer L.Close()
	var current message.View
	L.SetGlobal("read_message", L.NewFunction(luamsg.NewReadMessageFunc(func() *message.View { return &current })))
	if err := L.DoString(`payload = read_message("Payload", 0, 0, true)`); err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []string{"first", "second"} {
		m := message.Message{Uuid: message.NewUUID(), Timestamp: 1}
		m.SetPayload(p)
		if err := current.Reset(m.Encode()); err != nil {
			fmt.Println(err)
			return
		}
		if err := L.DoString(`print(read_message("Severity"), tostring(payload))`); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// 7	first
	// 7	second
}
