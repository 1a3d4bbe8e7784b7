package luamsg

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/message"
)

// streamMessage returns a valid message whose Type is typ and whose
// Payload has n bytes.
func streamMessage(typ string, n int) []byte {
	m := message.Message{Uuid: testUUID, Timestamp: 1}
	m.SetType(typ)
	m.SetPayload(strings.Repeat("p", n))
	return m.Encode()
}

func TestStreamFind(t *testing.T) {
	m1, m2 := streamMessage("one", 10), streamMessage("two", 200)
	f1, f2 := refFrame(m1), message.AppendFrame(nil, m2) // reference and sightline frames
	garbage := []byte("garbage\x1e\x05junk")
	r := NewStreamReader("t", 1024)
	const limit = 1024 + MaxHeaderSize

	if found, consumed, need := r.Find(true); found || consumed != 0 || need != limit {
		t.Fatalf("empty: %v %d %d", found, consumed, need)
	}
	// Garbage with a false separator: the reader waits for its "header".
	mustAppend(t, r, garbage)
	if found, consumed, need := r.Find(true); found || consumed != 7 || need != limit-6 {
		t.Fatalf("false separator: %v %d %d", found, consumed, need)
	}
	// Once the false header is complete, it is rejected; f1's header is
	// partial: need is the free space.
	mustAppend(t, r, f1[:2])
	if found, consumed, need := r.Find(true); found || consumed != len(garbage)-7 || need != limit-2 {
		t.Fatalf("partial header: %v %d %d", found, consumed, need)
	}
	// The header is complete: need is the rest of the record.
	mustAppend(t, r, f1[2:5])
	if found, consumed, need := r.Find(true); found || consumed != 0 || need != len(f1)-5 {
		t.Fatalf("partial record: %v %d %d", found, consumed, need)
	}
	// The rest of f1, garbage and all of f2: f1 is found with more to come.
	mustAppend(t, r, f1[5:])
	mustAppend(t, r, garbage)
	mustAppend(t, r, f2)
	found, consumed, need := r.Find(true)
	if !found || consumed != len(f1) || need != 0 || !bytes.Equal(r.CurrentRaw(), m1) {
		t.Fatalf("f1: %v %d %d %q", found, consumed, need, r.CurrentRaw())
	}
	if v, _ := ReadMessage(r.View(), "Type", 0, 0); v != lua.LString("one") {
		t.Fatalf("Type %v", v)
	}
	found, consumed, need = r.Find(true)
	if !found || consumed != len(garbage)+len(f2) || need != limit || !bytes.Equal(r.CurrentRaw(), m2) {
		t.Fatalf("f2: %v %d %d", found, consumed, need)
	}
	if found, consumed, need := r.Find(true); found || consumed != 0 || need != limit || r.CurrentRaw() != nil {
		t.Fatalf("drained: %v %d %d", found, consumed, need)
	}
	// Pure garbage is consumed.
	mustAppend(t, r, []byte("no separator here"))
	if found, consumed, _ := r.Find(true); found || consumed != 17 || r.Buffered() != 0 {
		t.Fatalf("garbage: %v %d %d", found, consumed, r.Buffered())
	}
}

func mustAppend(t testing.TB, r *StreamReader, p []byte) {
	t.Helper()
	if err := r.Append(p); err != nil {
		t.Fatal(err)
	}
}

func TestStreamDamage(t *testing.T) {
	good := refFrame(streamMessage("good", 5))
	notMsg := refFrame(bytes.Repeat([]byte{0x0a}, 30))
	crcFrame := message.AppendFrame(nil, streamMessage("crc", 5))
	badCRC := bytes.Clone(crcFrame)
	badCRC[len(badCRC)-1] ^= 1
	huge := refFrame(streamMessage("huge", 1100))
	badHeader := bytes.Clone(good)
	badHeader[2] = 0x10 // first header byte must be 08
	zeroLen := []byte{0x1e, 0x02, 0x08, 0x00, 0x1f}
	noUS := bytes.Clone(good)
	noUS[4] = 0x00

	tests := []struct {
		name    string
		damage  []byte
		decode  bool
		wantRaw bool // the damage itself is found
	}{
		{"not a message, decode", notMsg, true, false},
		{"not a message, no decode", notMsg, false, true},
		{"crc mismatch", badCRC, true, false},
		{"crc mismatch, no decode", badCRC, false, false},
		{"longer than max_message_size", huge, true, false},
		{"bad header", badHeader, true, false},
		{"zero length", zeroLen, true, false},
		{"no unit separator", noUS, true, false},
		{"good crc frame", crcFrame, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewStreamReader("t", 1024)
			mustAppend(t, r, tc.damage)
			mustAppend(t, r, good)
			var got [][]byte
			total := 0
			for {
				found, consumed, _ := r.Find(tc.decode)
				total += consumed
				if !found {
					break
				}
				got = append(got, bytes.Clone(r.CurrentRaw()))
			}
			want := 1
			if tc.wantRaw {
				want = 2
			}
			if len(got) != want || !bytes.Equal(got[len(got)-1], good[5:]) {
				t.Fatalf("found %d messages, want %d", len(got), want)
			}
			if total != len(tc.damage)+len(good) {
				t.Fatalf("consumed %d, want %d", total, len(tc.damage)+len(good))
			}
		})
	}
}

func TestStreamUndecodedView(t *testing.T) {
	r := NewStreamReader("t", 0)
	mustAppend(t, r, refFrame([]byte("not a heka message at all")))
	if found, _, _ := r.Find(false); !found || string(r.CurrentRaw()) != "not a heka message at all" {
		t.Fatalf("found %v %q", found, r.CurrentRaw())
	}
	if r.View() != nil {
		t.Fatal("View of an invalid message")
	}
	mustAppend(t, r, refFrame(streamMessage("ok", 1)))
	if found, _, _ := r.Find(false); !found {
		t.Fatal("not found")
	}
	if v, _ := ReadMessage(r.View(), "Type", 0, 0); v != lua.LString("ok") {
		t.Fatalf("Type %v", v)
	}
}

func TestStreamBufferLimit(t *testing.T) {
	r := NewStreamReader("t", 1024)
	if err := r.Append(make([]byte, 1024+MaxHeaderSize+1)); err == nil {
		t.Fatal("oversized append accepted")
	}
	mustAppend(t, r, []byte{0x1e, 0x03, 0x08, 0x80, 0x08, 0x1f}) // a 1024-byte record
	if found, consumed, need := r.Find(true); found || consumed != 0 || need != 1024 {
		t.Fatalf("%v %d %d", found, consumed, need)
	}
	if err := r.Append(make([]byte, 1024+MaxHeaderSize-5)); err == nil {
		t.Fatal("append past the limit accepted")
	}
	if r.Buffered() != 6 {
		t.Fatalf("failed append changed the buffer: %d", r.Buffered())
	}
}

// TestStreamPieces feeds a stream with garbage around its frames in pieces
// of every size from 1 to 40 bytes; every message must come out, and the
// consumed counts must add up to the stream's length.
func TestStreamPieces(t *testing.T) {
	var stream []byte
	var want []string
	for i := range 30 {
		typ := fmt.Sprintf("m%d", i)
		msg := streamMessage(typ, i*37%300)
		if i%2 == 0 {
			stream = append(stream, refFrame(msg)...)
		} else {
			stream = append(stream, message.AppendFrame(nil, msg)...)
		}
		want = append(want, typ)
		if i%3 == 0 {
			stream = append(stream, "garbage\x1e\x05junk"...)
		}
	}
	for piece := 1; piece <= 40; piece++ {
		st := newTestState(t, testHeaders(false))
		st.L.SetGlobal("stream", lua.LString(stream))
		st.L.SetGlobal("piece", lua.LNumber(piece))
		st.run(t, `
			local hsr = create_stream_reader("pieces")
			types, total = {}, 0
			local pos = 1
			while pos <= #stream do
				local found, consumed, need = hsr:find_message(stream:sub(pos, pos + piece - 1))
				pos = pos + piece
				total = total + consumed
				while found do
					types[#types + 1] = hsr:read_message("Type")
					assert(need == 0 or need == 1024 + 258, "need after a message")
					found, consumed, need = hsr:find_message(nil)
					total = total + consumed
				end
				assert(need > 0, "need")
			end
			types = table.concat(types, ",")`)
		if got := lua.LVAsString(st.L.GetGlobal("types")); got != strings.Join(want, ",") {
			t.Fatalf("piece %d: types %s", piece, got)
		}
		if got := int(lua.LVAsNumber(st.L.GetGlobal("total"))); got != len(stream) {
			t.Fatalf("piece %d: consumed %d of %d", piece, got, len(stream))
		}
	}
}

// canonicalLoop is the input plugin loop of spec §4.6, reading fh.
const canonicalLoop = `
	local hsr = create_stream_reader("file")
	local offset, found, consumed, read = 0
	repeat
		repeat
			found, consumed, read = hsr:find_message(fh)
			offset = offset + consumed
			if found then inject(hsr, offset) end
		until not found
	until read == 0
	final_offset = offset`

// streamFile writes n frames with garbage between some of them, and a torn
// frame at the end; it returns the Types and the offset after each frame.
func streamFile(t testing.TB, n int) (data []byte, types []string, ends []int) {
	for i := range n {
		typ := fmt.Sprintf("msg%d", i)
		msg := streamMessage(typ, i*131%1000)
		if i%2 == 0 {
			data = append(data, message.AppendFrame(nil, msg)...)
		} else {
			data = append(data, refFrame(msg)...)
		}
		types = append(types, typ)
		ends = append(ends, len(data))
		if i%5 == 0 {
			data = append(data, "garbage\x1e\x05junk"...)
		}
	}
	torn := refFrame(streamMessage("torn", 10))
	return append(data, torn[:len(torn)-3]...), types, ends
}

func TestStreamCanonicalLoop(t *testing.T) {
	data, types, ends := streamFile(t, 100)
	path := filepath.Join(t.TempDir(), "stream")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	readers := map[string]func(L *lua.LState) lua.LValue{
		"io.open": func(L *lua.LState) lua.LValue {
			if err := L.DoString(`return assert(io.open(path, "rb"))`); err != nil {
				t.Fatal(err)
			}
			fh := L.Get(-1)
			L.Pop(1)
			return fh
		},
		"io.Reader userdata": func(L *lua.LState) lua.LValue {
			ud := L.NewUserData()
			ud.Value = iotest.HalfReader(bytes.NewReader(data))
			return ud
		},
	}
	for name, open := range readers {
		t.Run(name, func(t *testing.T) {
			st := newTestState(t, testHeaders(false))
			var gotTypes []string
			var gotEnds []int
			st.L.SetGlobal("inject", st.L.NewFunction(func(L *lua.LState) int {
				r := L.CheckUserData(1).Value.(*StreamReader)
				var m message.Message
				if err := message.Decode(r.CurrentRaw(), &m); err != nil {
					t.Error(err)
				}
				gotTypes = append(gotTypes, m.Type)
				gotEnds = append(gotEnds, L.CheckInt(2))
				return 0
			}))
			st.L.SetGlobal("path", lua.LString(path))
			st.L.SetGlobal("fh", open(st.L))
			st.run(t, canonicalLoop)
			if strings.Join(gotTypes, ",") != strings.Join(types, ",") {
				t.Fatalf("types %v", gotTypes)
			}
			if fmt.Sprint(gotEnds) != fmt.Sprint(ends) {
				t.Fatalf("offsets\n got %v\nwant %v", gotEnds, ends)
			}
			if got := int(lua.LVAsNumber(st.L.GetGlobal("final_offset"))); got != ends[len(ends)-1] {
				t.Fatalf("final offset %d, want %d (the torn frame is not consumed)", got, ends[len(ends)-1])
			}
		})
	}
}

func TestStreamReaderLua(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	good := streamMessage("loaded", 3)
	st.L.SetGlobal("good", lua.LString(good))
	st.L.SetGlobal("framed", lua.LString(refFrame(good)))
	st.run(t, `
		local hsr = create_stream_reader("lua")
		assert(hsr:read_message("Type") == nil, "no message yet")
		hsr:decode_message(good)
		assert(hsr:read_message("Type") == "loaded", "decode_message loads")
		assert(hsr:read_message("raw") == good, "raw")
		assert(hsr:read_message("Fields[x]", 0, 0) == nil, "absent field")
		local found, consumed, need = hsr:find_message(framed, false)
		assert(found and consumed == #framed and need == 1024 + 258, "find without decode")
		assert(hsr:read_message("Payload") == "ppp", "read after find")
		found, consumed, need = hsr:find_message(nil)
		assert(not found and consumed == 0, "nothing left")
		assert(hsr:read_message("Type") == nil, "no current message after a failed find")`)
	for _, tc := range []struct{ code, want string }{
		{`create_stream_reader("x"):decode_message("short")`, "invalid message, too short"},
		{`create_stream_reader("x"):decode_message(string.rep("x", 30))`, "invalid message: message:"},
		{`create_stream_reader("x"):decode_message({})`, "string or output-capable userdata expected"},
		{`create_stream_reader("x"):read_message("Nope")`, "read_message() field: 'Nope' not supported/recognized"},
		{`create_stream_reader("x"):read_message("Type", -1)`, "bad argument #3 to read_message (field index must be >= 0)"},
		{`create_stream_reader("x"):read_message("Type", 0, -1)`, "bad argument #4 to read_message (array index must be >= 0)"},
		{`create_stream_reader("x"):find_message(string.rep("x", 2000))`, "find_message() buffer full"},
		{`create_stream_reader("x"):find_message(true)`, "buffer must be a nil, string or file"},
		{`create_stream_reader(string.rep("n", 255))`, "name is too long"},
		{`local r = create_stream_reader("x"); r.find_message(out("x"), nil)`, "stream reader expected"},
	} {
		if got := st.runErr(t, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%s: error %q, want %q", tc.code, got, tc.want)
		}
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestStreamReadErrors(t *testing.T) {
	st := newTestState(t, testHeaders(false))
	ud := st.L.NewUserData()
	ud.Value = errReader{}
	st.L.SetGlobal("bad", ud)
	st.run(t, `closed = io.open(os.tmpname and "/dev/null" or "/dev/null", "rb"); closed:close()`)
	for _, tc := range []struct{ code, want string }{
		{`create_stream_reader("x"):find_message(bad)`, "find_message() read failed: disk on fire"},
		{`create_stream_reader("x"):find_message(closed)`, "file is closed"},
		{`create_stream_reader("x"):find_message({read = function() return nil, "oops" end})`, "find_message() read failed: oops"},
	} {
		if got := st.runErr(t, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%s: error %q, want %q", tc.code, got, tc.want)
		}
	}
	// A table with a read method works like a file.
	st.run(t, `
		local chunks = {"\30\2\8", "\1\31", "x"}
		local src = {read = function(self, n) return table.remove(chunks, 1) end}
		local hsr = create_stream_reader("x")
		local _, _, read = hsr:find_message(src)
		assert(read == 3, "read " .. read)`)
}

// TestStreamHeaderFields checks that header fields after message_length are
// skipped as the reference skips them: Go Heka's HMAC fields, and bytes
// that do not even parse.
func TestStreamHeaderFields(t *testing.T) {
	msg := streamMessage("h", 4)
	frame := func(extra ...byte) []byte {
		hdr := append([]byte{0x08, byte(len(msg))}, extra...)
		out := append([]byte{0x1e, byte(len(hdr))}, hdr...)
		return append(append(out, 0x1f), msg...)
	}
	var crc [4]byte
	c := message.Checksum(msg)
	crc[0], crc[1], crc[2], crc[3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
	tests := map[string][]byte{
		"hmac fields":       frame(0x18, 0x01, 0x22, 0x03, 's', 'i', 'g', 0x28, 0x02, 0x32, 0x02, 0xaa, 0xbb),
		"fixed64 field":     frame(0x59, 1, 2, 3, 4, 5, 6, 7, 8),
		"crc after others":  frame(append([]byte{0x18, 0x01, 0x3d}, crc[:]...)...),
		"truncated varint":  frame(0x18, 0x80),
		"truncated fixed64": frame(0x59, 1, 2),
		"truncated bytes":   frame(0x22, 0x05, 'a'),
		"truncated fixed32": frame(0x3d, 1),
		"bad wire type":     frame(0x1b, 0x00),
	}
	for name, f := range tests {
		r := NewStreamReader(name, 0)
		mustAppend(t, r, f)
		if found, consumed, _ := r.Find(true); !found || consumed != len(f) || !bytes.Equal(r.CurrentRaw(), msg) {
			t.Errorf("%s: found %v, consumed %d of %d", name, found, consumed, len(f))
		}
	}
	bad := frame(append([]byte{0x3d}, crc[0]^1, crc[1], crc[2], crc[3])...)
	r := NewStreamReader("bad crc", 0)
	mustAppend(t, r, bad)
	if found, consumed, _ := r.Find(true); found || consumed != len(bad) {
		t.Errorf("bad crc: found %v, consumed %d", found, consumed)
	}
	if r.Name() != "bad crc" {
		t.Errorf("Name %q", r.Name())
	}
}
