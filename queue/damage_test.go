package queue

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/sightline/sightline/message"
)

// damagedQueue writes records 0..9 into segment 0, lets damage rewrite the
// segment's bytes (ends[i] is the offset after record i), then opens a new
// writer (segment 1, finishing segment 0) and appends record 100.
func damagedQueue(t *testing.T, damage func(b []byte, ends []int64) []byte) string {
	t.Helper()
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for i := 0; i < 10; i++ {
		size := 100
		if i == 6 {
			size = 300 // carries a false frame in its payload, see below
		}
		msg := testMsg(t, i, size)
		if i == 6 {
			// A payload holding a frame-like header: 1e, hlen 3, 08 len, 1f.
			msg = bytes.Replace(msg, []byte("pppppppp"), []byte{0x1e, 0x03, 0x08, 0x10, 0x1f, 0x1e, 0x1e, 0x1f}, 1)
		}
		p, err := w.Append(msg)
		if err != nil {
			t.Fatal(err)
		}
		ends = append(ends, p.Offset)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seg := SegmentPath(dir, 0)
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seg, damage(b, ends), 0o640); err != nil {
		t.Fatal(err)
	}
	w2 := openWriter(t, dir, Options{})
	appendN(t, w2, 100, 1, 100)
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func start(ends []int64, i int) int64 {
	if i == 0 {
		return 0
	}
	return ends[i-1]
}

func without(drop ...int) []int {
	var s []int
	for i := 0; i < 10; i++ {
		if !slices.Contains(drop, i) {
			s = append(s, i)
		}
	}
	return append(s, 100)
}

func TestDamageTable(t *testing.T) {
	insert := func(b []byte, at int64, junk []byte) []byte {
		return slices.Concat(b[:at], junk, b[at:])
	}
	tests := []struct {
		name    string
		damage  func(b []byte, ends []int64) []byte
		want    []int
		damaged bool
	}{
		{"intact", func(b []byte, _ []int64) []byte { return b }, without(), false},
		{"truncated tail", func(b []byte, e []int64) []byte { return b[:e[8]+20] }, without(9), true},
		{"truncated inside header", func(b []byte, e []int64) []byte { return b[:e[8]+3] }, without(9), true},
		{"zeroed block", func(b []byte, e []int64) []byte {
			clear(b[start(e, 3)+10 : e[4]-5])
			return b
		}, without(3, 4), true},
		{"flipped byte in header length", func(b []byte, e []int64) []byte {
			b[start(e, 2)+3] ^= 0x01
			return b
		}, without(2), true},
		{"flipped hlen", func(b []byte, e []int64) []byte {
			b[start(e, 2)+1] ^= 0x40
			return b
		}, without(2), true},
		{"flipped byte in body", func(b []byte, e []int64) []byte {
			b[start(e, 5)+40] ^= 0x20
			return b
		}, without(5), true},
		{"flipped byte in crc", func(b []byte, e []int64) []byte {
			b[start(e, 7)+5] ^= 0x01
			return b
		}, without(7), true},
		{"garbage between frames", func(b []byte, e []int64) []byte {
			return insert(b, e[4], []byte("garbage\x1e\x05junk\x1f\x1f"))
		}, without(), true},
		{"damaged header before a payload with a false frame", func(b []byte, e []int64) []byte {
			b[start(e, 6)+2] = 0x00
			return b
		}, without(6), true},
		{"oversized length", func(b []byte, e []int64) []byte {
			return insert(b, e[1], []byte{0x1e, 0x06, 0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x1f, 1, 2, 3})
		}, without(), true},
		{"length over hard cap with a valid header", func(b []byte, e []int64) []byte {
			big := message.AppendFrame(nil, testMsg(t, 555, 100))
			// Rewrite the length as a 5-byte varint of HardCap+1: hlen 10.
			hdr := []byte{0x1e, 10, 0x08, 0x81, 0x80, 0x80, 0x20, 0x3d, 0, 0, 0, 0, 0x1f}
			return insert(b, e[3], append(hdr, big[9:]...))
		}, without(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := damagedQueue(t, tc.damage)
			var reports []*CorruptionError
			got, r := readAll(t, dir, Position{}, ReaderOptions{OnCorruption: func(e *CorruptionError) { reports = append(reports, e) }})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("survivors %v, want %v", got, tc.want)
			}
			if tc.damaged != (len(reports) > 0) {
				t.Fatalf("damage reports %v, want damaged=%v", reports, tc.damaged)
			}
			for _, e := range reports {
				if e.Segment != 0 || e.Length <= 0 {
					t.Errorf("report %v: want segment 0 and a length", e)
				}
			}
			if st := r.Stats(); tc.damaged && st.SkippedBytes == 0 {
				t.Errorf("stats %+v count no skipped bytes", st)
			}
		})
	}
}

func TestTornTailOfNewestSegmentWaits(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ends := []Position{appendN(t, w, 0, 5, 100), appendN(t, w, 5, 1, 100)}
	w.Close()
	// Cut record 5 in half: the writer "crashed" while writing it.
	if err := os.Truncate(SegmentPath(dir, 0), ends[0].Offset+30); err != nil {
		t.Fatal(err)
	}
	var reports []*CorruptionError
	r, err := OpenReader(dir, Position{}, ReaderOptions{OnCorruption: func(e *CorruptionError) { reports = append(reports, e) }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []int
	for r.TryNext() {
		got = append(got, seqOf(t, r.Message()))
	}
	if !slices.Equal(got, seqRange(0, 5)) || len(reports) != 0 || r.Position() != ends[0] {
		t.Fatalf("before restart: %v, reports %v, position %v", got, reports, r.Position())
	}
	// The restarted writer starts segment 1: the torn record is skipped.
	w2 := openWriter(t, dir, Options{})
	appendN(t, w2, 6, 2, 100)
	w2.Flush()
	for r.TryNext() {
		got = append(got, seqOf(t, r.Message()))
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4, 6, 7}) {
		t.Fatalf("after restart: %v", got)
	}
	if len(reports) != 1 || reports[0].Offset != ends[0].Offset || reports[0].Length != 30 {
		t.Fatalf("torn tail report %+v, want one at %d of 30 bytes", reports, ends[0].Offset)
	}
}

func TestMissingSegmentIsSkipped(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, Options{SegmentSize: 500})
	appendN(t, w, 0, 30, 100)
	w.Flush()
	segs, _ := Segments(dir)
	if len(segs) < 4 {
		t.Fatalf("%d segments", len(segs))
	}
	if err := os.Remove(SegmentPath(dir, 1)); err != nil {
		t.Fatal(err)
	}
	got, r := readAll(t, dir, Position{}, ReaderOptions{})
	if r.Stats().MissingSegments != 1 {
		t.Fatalf("stats %+v", r.Stats())
	}
	if got[0] != 0 || got[len(got)-1] != 29 || len(got) >= 30 {
		t.Fatalf("got %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("out of order: %v", got)
		}
	}
}

func TestReferenceQueueFile(t *testing.T) {
	ref, err := os.ReadFile("../../shared/compat/reference-input-1000.log")
	if err != nil {
		t.Skip("reference fixture not available:", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(SegmentPath(dir, 0), ref, 0o640); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(dir, Position{}, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for r.TryNext() {
		n++
	}
	if n != 1000 || r.Stats().Damaged != 0 || r.Position().Offset != int64(len(ref)) {
		t.Fatalf("read %d records, stats %+v, position %v of %d", n, r.Stats(), r.Position(), len(ref))
	}
}
