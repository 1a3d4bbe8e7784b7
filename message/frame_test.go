package message

import (
	"bytes"
	"encoding/hex"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// exampleMsg is the message of the reference's worked example (§1.7).
func exampleMsg(tb testing.TB) []byte {
	tb.Helper()
	h := strings.Join(strings.Fields(`
0a 10 0c 1e 92 71 6b 7c 45 1e aa 05 63 cd af 14 cf 10
10 80 d4 9c f7 bf da e3 a8 13
1a 05 6e 67 69 6e 78
22 0b 69 6e 70 75 74 2e 6e 67 69 6e 78
28 06
40 d2 09
4a 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d
52 13 0a 06 73 74 61 74 75 73 10 03 39 00 00 00 00 00 00 73 40
52 1e 0a 0b 72 65 6d 6f 74 65 5f 61 64 64 72 1a 04 69 70 76 34 22 09 31 32 37 2e 30 2e 30 2e 31
52 0f 0a 05 62 79 74 65 73 10 02 1a 01 42 30 85 0b`), "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 136 {
		tb.Fatalf("example message: %d bytes, %v", len(b), err)
	}
	return b
}

// referenceFrame frames msg as the reference writes it: no checksum.
func referenceFrame(msg []byte) []byte {
	hdr := []byte{0x08}
	hdr = appendUvarint(hdr, uint64(len(msg)))
	out := append([]byte{RecordSeparator, byte(len(hdr))}, hdr...)
	out = append(out, UnitSeparator)
	return append(out, msg...)
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\ngot  %x\nwant %x", name, got, want)
	}
}

func TestFrameGolden(t *testing.T) {
	msg := exampleMsg(t)
	f := AppendFrame(nil, msg)
	if len(f) != FrameSize(len(msg)) {
		t.Fatalf("frame of %d bytes, FrameSize says %d", len(f), FrameSize(len(msg)))
	}
	// 1e, hlen 8, 08 88 01, 3d crc32c LE, 1f.
	wantHead := []byte{0x1e, 0x08, 0x08, 0x88, 0x01, 0x3d}
	if !bytes.Equal(f[:6], wantHead) || f[10] != 0x1f || !bytes.Equal(f[11:], msg) {
		t.Fatalf("frame layout: % x", f[:11])
	}
	golden(t, "frame-example.bin", f)
	golden(t, "frame-example-reference.bin", referenceFrame(msg))
	if got := referenceFrame(msg)[:6]; !bytes.Equal(got, []byte{0x1e, 0x03, 0x08, 0x88, 0x01, 0x1f}) {
		t.Fatalf("reference frame head % x, want the §1.7 bytes", got)
	}
}

type scanned struct {
	msgs    [][]byte
	damages []Damage
	end     int64
}

func scanAll(r io.Reader, opts ScanOptions) scanned {
	var out scanned
	opts.OnDamage = func(d Damage) { out.damages = append(out.damages, d) }
	s := NewScanner(r, opts)
	s.Finish()
	for s.Next() {
		out.msgs = append(out.msgs, bytes.Clone(s.Message()))
	}
	out.end = s.Offset()
	return out
}

func TestScannerResyncAsReference(t *testing.T) {
	msg := exampleMsg(t)
	for _, tc := range []struct {
		name  string
		frame func([]byte) []byte
	}{
		{"ours", func(m []byte) []byte { return AppendFrame(nil, m) }},
		{"reference", referenceFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			garbage := "garbage\x1e\x05junk"
			stream := slicesConcat(tc.frame(msg), []byte(garbage), tc.frame(msg))
			for _, r := range []io.Reader{bytes.NewReader(stream), iotest.OneByteReader(bytes.NewReader(stream)), iotest.HalfReader(bytes.NewReader(stream))} {
				got := scanAll(r, ScanOptions{Validate: validateExample})
				if len(got.msgs) != 2 || !bytes.Equal(got.msgs[1], msg) {
					t.Fatalf("got %d messages", len(got.msgs))
				}
				first := int64(len(tc.frame(msg)))
				if len(got.damages) != 1 || got.damages[0].Offset != first || got.damages[0].Length != int64(len(garbage)) {
					t.Fatalf("damages %+v, want one of %d bytes at %d", got.damages, len(garbage), first)
				}
				if got.end != int64(len(stream)) {
					t.Fatalf("end %d of %d", got.end, len(stream))
				}
			}
		})
	}
}

// validateExample accepts only the example message: enough for frame tests
// that must not depend on the decoder.
func validateExample(m []byte) error {
	if len(m) == 136 && m[0] == 0x0a {
		return nil
	}
	return io.ErrUnexpectedEOF
}

func slicesConcat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestScannerFollowsGrowingStream(t *testing.T) {
	msg := exampleMsg(t)
	f := AppendFrame(nil, msg)
	var stream bytes.Buffer
	var damages []Damage
	s := NewScanner(&stream, ScanOptions{OnDamage: func(d Damage) { damages = append(damages, d) }})
	stream.Write(f[:50])
	if s.Next() || s.Buffered() != 50 || s.Offset() != 0 {
		t.Fatalf("partial frame: next, buffered %d, offset %d", s.Buffered(), s.Offset())
	}
	stream.Write(f[50:])
	stream.Write(f[:5])
	if !s.Next() || !bytes.Equal(s.Message(), msg) || s.Offset() != int64(len(f)) {
		t.Fatalf("completed frame not found, offset %d", s.Offset())
	}
	if s.Next() || len(damages) != 0 {
		t.Fatalf("second partial frame: damages %v", damages)
	}
	// The stream ends: the partial frame is a torn tail.
	s.Finish()
	if s.Next() || len(damages) != 1 || damages[0].Offset != int64(len(f)) || damages[0].Length != 5 {
		t.Fatalf("torn tail: %+v", damages)
	}
	if s.Offset() != int64(len(f))+5 || s.Discarded() != 5 {
		t.Fatalf("offset %d, discarded %d", s.Offset(), s.Discarded())
	}
}

func TestScannerSizeLimits(t *testing.T) {
	big := make([]byte, 3000)
	big[0] = 0x0a
	t.Run("checked oversize is delivered", func(t *testing.T) {
		s := NewScanner(bytes.NewReader(AppendFrame(nil, big)), ScanOptions{MaxMessageSize: 1024})
		s.Finish()
		if !s.Next() || !s.Oversize() || !s.Checked() || len(s.Message()) != 3000 {
			t.Fatal("oversize checked frame not delivered")
		}
	})
	t.Run("unchecked oversize is damage", func(t *testing.T) {
		got := scanAll(bytes.NewReader(referenceFrame(big)), ScanOptions{MaxMessageSize: 1024})
		if len(got.msgs) != 0 || len(got.damages) != 1 || got.damages[0].Length != int64(len(referenceFrame(big))) {
			t.Fatalf("%d messages, damages %+v", len(got.msgs), got.damages)
		}
	})
	t.Run("length over hard cap", func(t *testing.T) {
		hdr := appendUvarint([]byte{0x08}, HardCap+1)
		bogus := slicesConcat([]byte{RecordSeparator, byte(len(hdr))}, hdr, []byte{UnitSeparator})
		got := scanAll(bytes.NewReader(slicesConcat(bogus, AppendFrame(nil, big))), ScanOptions{})
		if len(got.msgs) != 1 || len(got.damages) != 1 || got.damages[0].Length != int64(len(bogus)) {
			t.Fatalf("%d messages, damages %+v", len(got.msgs), got.damages)
		}
	})
}

func TestChecksumMismatchIsSkipped(t *testing.T) {
	msg := exampleMsg(t)
	bad := AppendFrame(nil, msg)
	bad[len(bad)-1] ^= 1
	got := scanAll(bytes.NewReader(slicesConcat(bad, AppendFrame(nil, msg))), ScanOptions{})
	if len(got.msgs) != 1 || got.damages[0].Reason != "checksum mismatch" || got.damages[0].Length != int64(len(bad)) {
		t.Fatalf("%d messages, damages %+v", len(got.msgs), got.damages)
	}
}

// FuzzScanner feeds arbitrary bytes, then a valid frame, to the scanner:
// it must never panic, account for every byte, return only frames whose
// checksum holds, and always find the frame after garbage without a 1e.
func FuzzScanner(f *testing.F) {
	msg := exampleMsg(f)
	f.Add([]byte{}, 1)
	f.Add(AppendFrame(nil, msg), 7)
	f.Add(referenceFrame(msg), 3)
	f.Add([]byte("garbage\x1e\x05junk"), 1)
	f.Add(AppendFrame(nil, msg)[:40], 2)
	f.Add(slicesConcat(referenceFrame(msg)[:50], referenceFrame(msg)), 5)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		tail := AppendFrame(nil, msg)
		stream := slicesConcat(data, tail)
		if chunk <= 0 || chunk > 1<<16 {
			chunk = 1
		}
		var discarded int64
		s := NewScanner(&chunkReader{b: stream, n: chunk}, ScanOptions{
			ReadSize: 64,
			Validate: Validate,
			OnDamage: func(d Damage) { discarded += d.Length },
		})
		s.Finish()
		var found bool
		var frames int64
		last := int64(-1)
		for s.Next() {
			off, n := s.Frame()
			if off <= last || off+int64(n) != s.Offset() {
				t.Fatalf("frame at %d+%d, offset %d, previous %d", off, n, s.Offset(), last)
			}
			last = off
			frames += int64(n)
			if s.Checked() && Checksum(s.Message()) != readCRC(stream[off:]) {
				t.Fatal("returned a frame whose checksum fails")
			}
			if !s.Checked() && Validate(s.Message()) != nil {
				t.Fatal("returned an unchecked frame that does not validate")
			}
			found = found || (off == int64(len(data)) && bytes.Equal(s.Message(), msg))
		}
		if s.Offset() != int64(len(stream)) || frames+discarded != int64(len(stream)) || discarded != s.Discarded() {
			t.Fatalf("offset %d, frames %d + discarded %d != %d", s.Offset(), frames, discarded, len(stream))
		}
		if !bytes.Contains(data, []byte{RecordSeparator}) && !found {
			t.Fatal("frame after garbage without a separator not found")
		}
	})
}

// readCRC returns the checksum in the header of the frame at the start of b.
func readCRC(b []byte) uint32 {
	_, crc, _, _ := parseHeader(b[2 : 2+int(b[1])])
	return crc
}

type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.n, len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}
