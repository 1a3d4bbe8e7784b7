package catcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline/sightline/queue"
)

// bySegment groups records by segment id.
func bySegment(recs []record) map[uint64][]record {
	m := make(map[uint64][]record)
	for _, r := range recs {
		m[r.pos.Segment] = append(m[r.pos.Segment], r)
	}
	return m
}

// segmentIDs returns the segment ids of the queue in dir, failing unless
// there are at least n.
func segmentIDs(tb testing.TB, dir string, n int) []uint64 {
	tb.Helper()
	segs, err := queue.Segments(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if len(segs) < n {
		tb.Fatalf("%d segments, want at least %d", len(segs), n)
	}
	var ids []uint64
	for _, s := range segs {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestQueueDamage cats a queue directory of several segments with a
// record garbled in one, garbage between two records of another and a torn
// record at the end of the newest: every intact record is printed, each
// damaged region reported once with its position.
func TestQueueDamage(t *testing.T) {
	dir := t.TempDir()
	recs := writeQueue(t, dir, 0, 40)
	ids := segmentIDs(t, dir, 4)
	seg := bySegment(recs)
	path := func(id uint64) string { return queue.SegmentPath(dir, id) }
	rewrite := func(id uint64, f func([]byte) []byte) {
		b, err := os.ReadFile(path(id))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path(id), f(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// A checksum mismatch: the second record of the second segment.
	garbled := seg[ids[1]][1]
	rewrite(ids[1], func(b []byte) []byte {
		b[garbled.end-3] ^= 0xff
		return b
	})
	// Garbage holding a false separator, before the third record of the
	// third segment.
	before := seg[ids[2]][2]
	junk := []byte("garbage\x1e\x05junk")
	rewrite(ids[2], func(b []byte) []byte {
		return slices.Concat(b[:before.pos.Offset], junk, b[before.pos.Offset:])
	})
	// A torn record at the end of the newest segment.
	last := ids[len(ids)-1]
	fi, err := os.Stat(path(last))
	if err != nil {
		t.Fatal(err)
	}
	torn := testMessage(99).Encode()
	rewrite(last, func(b []byte) []byte {
		return append(b, appendReferenceFrame(nil, torn)[:20]...)
	})

	wantErr := fmt.Sprintf("Corruption detected at offset: %v bytes: %d reason: checksum mismatch\n", garbled.pos, garbled.frame) +
		fmt.Sprintf("Corruption detected at offset: %v bytes: %d reason: no record separator\n", before.pos, len(junk)) +
		fmt.Sprintf("Corruption detected at offset: %d:%d bytes: 20 reason: no complete record at the end of the queue\n", last, fi.Size())

	r := mustCat(t, nil, "-format", "json", dir)
	if got, want := seqs(t, r.stdout), span(0, 40, garbled.seq); !slices.Equal(got, want) {
		t.Errorf("seqs %v, want %v", got, want)
	}
	if want := wantErr + summary(39, 39); r.stderr != want {
		t.Errorf("stderr\n%s\nwant\n%s", r.stderr, want)
	}

	r = mustCat(t, nil, "-count", dir)
	if r.stdout != summary(39, 39) || r.stderr != wantErr {
		t.Errorf("-count: stdout %q stderr\n%s", r.stdout, r.stderr)
	}

	// A single segment read as a file reports its damage by byte offset.
	r = mustCat(t, nil, "-count", path(ids[1]))
	want := fmt.Sprintf("Corruption detected at offset: %d bytes: %d reason: checksum mismatch\n", garbled.pos.Offset, garbled.frame)
	if n := len(seg[ids[1]]) - 1; r.stdout != summary(n, n) || r.stderr != want {
		t.Errorf("segment file: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestQueueMissingSegment(t *testing.T) {
	dir := t.TempDir()
	recs := writeQueue(t, dir, 0, 40)
	ids := segmentIDs(t, dir, 4)
	gone := ids[2]
	if err := os.Remove(queue.SegmentPath(dir, gone)); err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, rec := range recs {
		if rec.pos.Segment != gone {
			want = append(want, rec.seq)
		}
	}
	r := mustCat(t, nil, "-format", "json", dir)
	if got := seqs(t, r.stdout); !slices.Equal(got, want) {
		t.Errorf("seqs %v, want %v", got, want)
	}
	if !strings.HasPrefix(r.stderr, fmt.Sprintf("Missing segment: %d (", gone)) {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestQueueMatchAndCount(t *testing.T) {
	dir := t.TempDir()
	writeQueue(t, dir, 0, 40)
	expr := `Fields[parity] == "odd" && Fields[seq] >= 10`
	r := mustCat(t, nil, "-format", "json", "-match", expr, dir)
	var want []int
	for i := 11; i < 40; i += 2 {
		want = append(want, i)
	}
	if got := seqs(t, r.stdout); !slices.Equal(got, want) {
		t.Errorf("seqs %v, want %v", got, want)
	}
	if r.stderr != summary(40, len(want)) {
		t.Errorf("stderr %q", r.stderr)
	}
	r = mustCat(t, nil, "-match", expr, "-count", dir)
	if r.stdout != summary(40, len(want)) || r.stderr != "" {
		t.Errorf("-count: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = mustCat(t, nil, "-match", "FALSE", dir)
	if r.stdout != "" || r.stderr != summary(40, 0) {
		t.Errorf("FALSE: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestQueueHekaRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeQueue(t, dir, 0, 40)
	heka := mustCat(t, nil, "-format", "heka", "-match", "Fields[seq] < 30", dir)
	text := mustCat(t, nil, "-match", "Fields[seq] < 30", dir)
	back := mustCat(t, strings.NewReader(heka.stdout), "-")
	if back.stdout != text.stdout || back.stderr != summary(30, 30) {
		t.Errorf("round trip differs: stderr %q", back.stderr)
	}
	back = mustCat(t, strings.NewReader(heka.stdout), "-format", "json", "-")
	if got := seqs(t, back.stdout); !slices.Equal(got, span(0, 30)) {
		t.Errorf("seqs %v", got)
	}
}

func TestOffsetFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames")
	offs := writeFrames(t, path, 0, 10)
	stream, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mid := offs[3] + 5
	tests := []struct {
		name    string
		offset  int64
		want    []int
		stderr  string
		damaged bool
	}{
		{"at a record", offs[3], span(3, 10), summary(7, 7), false},
		{"inside a record", mid, span(4, 10), summary(6, 6), true},
		{"at the end", offs[10], nil, summary(0, 0), false},
		{"past the end", offs[10] + 100, nil, summary(0, 0), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, input := range []string{path, "-"} {
				r := mustCat(t, strings.NewReader(string(stream)), "-format", "json", "-offset", fmt.Sprint(tc.offset), input)
				if got := seqs(t, r.stdout); !slices.Equal(got, tc.want) {
					t.Errorf("%s: seqs %v, want %v", input, got, tc.want)
				}
				prefix := fmt.Sprintf("Corruption detected at offset: %d bytes: %d reason: ", mid, offs[4]-mid)
				if tc.damaged != strings.HasPrefix(r.stderr, prefix) || !strings.HasSuffix(r.stderr, tc.stderr) ||
					strings.Count(r.stderr, "\n") != 1+btoi(tc.damaged) {
					t.Errorf("%s: stderr %q", input, r.stderr)
				}
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestOffsetDir(t *testing.T) {
	dir := t.TempDir()
	recs := writeQueue(t, dir, 0, 40)
	ids := segmentIDs(t, dir, 3)
	first := bySegment(recs)[ids[0]]

	// SEG:OFF at a record in the middle of the queue.
	k := len(recs) / 2
	r := mustCat(t, nil, "-format", "json", "-offset", recs[k].pos.String(), dir)
	if got := seqs(t, r.stdout); !slices.Equal(got, span(k, 40)) {
		t.Errorf("-offset %v: seqs %v", recs[k].pos, got)
	}
	// A plain offset is one in the oldest segment.
	r = mustCat(t, nil, "-format", "json", "-offset", fmt.Sprint(first[1].pos.Offset), dir)
	if got := seqs(t, r.stdout); !slices.Equal(got, span(1, 40)) {
		t.Errorf("-offset %d: seqs %v", first[1].pos.Offset, got)
	}
	// Inside a record: resynchronised, the skipped bytes reported.
	at := queue.Position{Segment: recs[k].pos.Segment, Offset: recs[k].pos.Offset + 1}
	r = mustCat(t, nil, "-format", "json", "-offset", at.String(), dir)
	if got := seqs(t, r.stdout); !slices.Equal(got, span(k+1, 40)) {
		t.Errorf("-offset %v: seqs %v", at, got)
	}
	if !strings.HasPrefix(r.stderr, fmt.Sprintf("Corruption detected at offset: %v bytes: %d ", at, recs[k].frame-1)) {
		t.Errorf("-offset %v: stderr %q", at, r.stderr)
	}
}

func TestLastN(t *testing.T) {
	dir := t.TempDir()
	writeQueue(t, dir, 0, 40)
	path := filepath.Join(t.TempDir(), "frames")
	writeFrames(t, path, 0, 10)
	tests := []struct {
		input string
		n     int
		match string
		want  []int
	}{
		{path, 3, "TRUE", span(7, 10)},
		{path, 0, "TRUE", nil},
		{path, 10, "TRUE", span(0, 10)},
		{path, 100, "TRUE", span(0, 10)},
		{path, 4, `Fields[parity] == "odd"`, []int{7, 9}},
		{dir, 15, "TRUE", span(25, 40)},
		{dir, 1, "TRUE", []int{39}},
		{dir, 0, "TRUE", nil},
		{dir, 100, "TRUE", span(0, 40)},
	}
	for _, tc := range tests {
		r := mustCat(t, nil, "-format", "json", "-n", fmt.Sprint(tc.n), "-match", tc.match, tc.input)
		if got := seqs(t, r.stdout); !slices.Equal(got, tc.want) {
			t.Errorf("%s -n %d: seqs %v, want %v", filepath.Base(tc.input), tc.n, got, tc.want)
		}
		if r.stderr != summary(min(tc.n, 40, 10+30*btoi(tc.input == dir)), len(tc.want)) {
			t.Errorf("%s -n %d: stderr %q", filepath.Base(tc.input), tc.n, r.stderr)
		}
	}
}
