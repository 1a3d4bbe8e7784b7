package catcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/queue"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Paths of the reference's fixture, from this package's directory.
const (
	refLog  = "../../../shared/compat/reference-input-1000.log"
	refText = "../../../shared/compat/reference-input-1000.txt"
)

// result is what one run of cat gave.
type result struct {
	code           int
	stdout, stderr string
}

// cat runs the command with args and stdin.
func cat(tb testing.TB, stdin io.Reader, args ...string) result {
	tb.Helper()
	var out, errb bytes.Buffer
	code := RunContext(context.Background(), args, stdin, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// mustCat is cat expecting exit code 0.
func mustCat(tb testing.TB, stdin io.Reader, args ...string) result {
	tb.Helper()
	r := cat(tb, stdin, args...)
	if r.code != ExitOK {
		tb.Fatalf("cat %q: exit %d, stderr:\n%s", args, r.code, r.stderr)
	}
	return r
}

// testMessage is message seq of the synthetic queues: Pid and field seq
// carry seq, field parity says "even" or "odd".
func testMessage(seq int) *message.Message {
	m := &message.Message{Timestamp: 1392050801000000000 + int64(seq)*1001}
	m.Uuid = [16]byte{0xca, 0x7c, 0x3d, 0x01, 0x02, 0x03, 0x44, 0x05, 0x86, 0x07, 0x08, 0x09, 0, 0, byte(seq >> 8), byte(seq)}
	m.SetType("test.seq")
	m.SetLogger("catcmd")
	m.SetHostname("host.example")
	m.SetPid(int32(seq))
	m.SetPayload(strings.Repeat("p", 40))
	parity := "even"
	if seq%2 == 1 {
		parity = "odd"
	}
	m.Fields = []message.Field{
		{Name: "seq", Type: message.ValueInteger, Integers: []int64{int64(seq)}},
		{Name: "parity", Type: message.ValueString, Strings: []string{parity}},
	}
	return m
}

// record is where one record of a written queue lies.
type record struct {
	seq   int
	pos   queue.Position // of its first byte
	end   int64          // offset after it in its segment
	frame int            // frame length
}

// writeQueue appends messages from..to-1 to the queue in dir through a
// queue.Writer with small segments, and returns where each landed.
func writeQueue(tb testing.TB, dir string, from, to int) []record {
	tb.Helper()
	w, err := queue.OpenWriter(dir, queue.Options{SegmentSize: 1000, Sync: queue.SyncNone})
	if err != nil {
		tb.Fatal(err)
	}
	recs := appendRecords(tb, w, from, to)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return recs
}

// appendRecords appends messages from..to-1 to w and flushes.
func appendRecords(tb testing.TB, w *queue.Writer, from, to int) []record {
	tb.Helper()
	var recs []record
	for seq := from; seq < to; seq++ {
		raw := testMessage(seq).Encode()
		p, err := w.Append(raw)
		if err != nil {
			tb.Fatal(err)
		}
		n := message.FrameSize(len(raw))
		start := queue.Position{Segment: p.Segment, Offset: p.Offset - int64(n)}
		recs = append(recs, record{seq: seq, pos: start, end: p.Offset, frame: n})
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return recs
}

// writeFrames writes messages from..to-1 as one file of frames and
// returns the offset of each frame and the end.
func writeFrames(tb testing.TB, path string, from, to int) []int64 {
	tb.Helper()
	var b []byte
	var offs []int64
	for seq := from; seq < to; seq++ {
		offs = append(offs, int64(len(b)))
		b = message.AppendFrame(b, testMessage(seq).Encode())
	}
	offs = append(offs, int64(len(b)))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return offs
}

// jsonMessage is one line of -format json.
type jsonMessage struct {
	Uuid       string
	Timestamp  int64
	Type       *string
	Logger     *string
	Severity   int32
	Payload    *string
	EnvVersion *string
	Pid        *int32
	Hostname   *string
	Fields     []jsonField
}

type jsonField struct {
	Name           string          `json:"name"`
	ValueType      int             `json:"value_type"`
	Representation *string         `json:"representation"`
	Value          json.RawMessage `json:"value"`
}

// parseJSON parses -format json output, strictly.
func parseJSON(tb testing.TB, out string) []jsonMessage {
	tb.Helper()
	var msgs []jsonMessage
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var m jsonMessage
		if err := dec.Decode(&m); err != nil {
			tb.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// seqs returns the seq field of every message of -format json output.
func seqs(tb testing.TB, out string) []int {
	tb.Helper()
	var s []int
	for _, m := range parseJSON(tb, out) {
		found := false
		for _, f := range m.Fields {
			if f.Name == "seq" {
				var v []int
				if err := json.Unmarshal(f.Value, &v); err != nil || len(v) != 1 {
					tb.Fatalf("seq value %s: %v", f.Value, err)
				}
				s = append(s, v[0])
				found = true
			}
		}
		if !found {
			tb.Fatalf("message %s without seq", m.Uuid)
		}
	}
	return s
}

// span returns from..to-1 without the numbers in drop.
func span(from, to int, drop ...int) []int {
	var s []int
next:
	for i := from; i < to; i++ {
		for _, d := range drop {
			if i == d {
				continue next
			}
		}
		s = append(s, i)
	}
	return s
}

// summary is the closing line for n processed, m matched.
func summary(n, m int) string {
	return fmt.Sprintf("Processed: %d, matched: %d messages\n", n, m)
}

// syncBuffer is a bytes.Buffer safe to read while a run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
