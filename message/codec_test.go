package message

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sightline/sightline/message/internal/hekapb"
)

// checkRoundTrip runs every property of the codec on one message: our
// encoding is read back equal by the generated code, by Decode and by View,
// its length is Size, and re-encoding our decoding is byte-identical.
func checkRoundTrip(t testing.TB, m *Message) []byte {
	t.Helper()
	enc := m.AppendTo(nil)
	if len(enc) != m.Size() {
		t.Fatalf("len(AppendTo) = %d, Size = %d", len(enc), m.Size())
	}
	var p hekapb.Message
	if err := proto.Unmarshal(enc, &p); err != nil {
		t.Fatalf("proto.Unmarshal of our encoding: %v\n%x", err, enc)
	}
	if d := diffMessages(fromPB(&p), m); d != "" {
		t.Fatalf("generated code reads our encoding differently: %s\n%x", d, enc)
	}
	var got Message
	if err := Decode(enc, &got); err != nil {
		t.Fatalf("Decode of our encoding: %v\n%x", err, enc)
	}
	if d := diffMessages(&got, m); d != "" {
		t.Fatalf("Decode(AppendTo(m)) != m: %s\n%x", d, enc)
	}
	if re := got.AppendTo(nil); !bytes.Equal(re, enc) {
		t.Fatalf("re-encoding is not canonical:\n got %x\nwant %x", re, enc)
	}
	var v View
	if err := v.Reset(enc); err != nil {
		t.Fatalf("View.Reset of our encoding: %v", err)
	}
	if d := viewMismatch(&v, &got); d != "" {
		t.Fatalf("View disagrees with Decode: %s\n%x", d, enc)
	}
	return enc
}

// TestEncodeProperties: random messages → our encoder → generated code,
// Decode and View agree; the encoding is canonical.
func TestEncodeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		checkRoundTrip(t, randMessage(r))
	}
}

// TestDecodeGenerated: random messages → proto.Marshal of the generated
// types (packed even for single values, value_type STRING and empty
// representations sometimes explicit) → Decode and View agree.
func TestDecodeGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		m := randMessage(r)
		raw, err := proto.Marshal(toPB(m, func() bool { return r.IntN(2) == 0 }))
		if err != nil {
			t.Fatal(err)
		}
		checkDecodes(t, raw, m)
	}
}

// TestDecodeScrambled: random messages written non-canonically (headers in
// any order, duplicates, tags inside field records in any order, values
// split into packed and unpacked runs, non-minimal varints) decode equal.
func TestDecodeScrambled(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := scrambler{r}
	for range 3000 {
		m := randMessage(r)
		checkDecodes(t, s.message(m), m)
	}
}

// checkDecodes checks that Decode, View and the generated code all read raw
// as m.
func checkDecodes(t testing.TB, raw []byte, m *Message) {
	t.Helper()
	var got Message
	if err := Decode(raw, &got); err != nil {
		t.Fatalf("Decode: %v\n%x", err, raw)
	}
	if d := diffMessages(&got, m); d != "" {
		t.Fatalf("Decode: %s\n%x", d, raw)
	}
	var v View
	if err := v.Reset(raw); err != nil {
		t.Fatalf("View.Reset: %v", err)
	}
	if d := viewMismatch(&v, &got); d != "" {
		t.Fatalf("View: %s\n%x", d, raw)
	}
	var p hekapb.Message
	if err := proto.Unmarshal(raw, &p); err != nil {
		t.Fatalf("proto.Unmarshal: %v", err)
	}
	if d := diffMessages(fromPB(&p), m); d != "" {
		t.Fatalf("generated code: %s\n%x", d, raw)
	}
	if err := Validate(raw); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// TestStrictness is the table of inputs the reference decoder rejects.
func TestStrictness(t *testing.T) {
	base := "0a10" + strings.Repeat("ab", 16) + "1001" // uuid, timestamp 1
	field := func(rec string) string {                 // one field record
		return "52" + hexLen(rec) + rec
	}
	for _, tc := range []struct {
		name, hex string
		want      error
		offset    int
	}{
		{"empty", "", ErrNoUUID, 0},
		{"unknown tag 11", base + "5a00", ErrUnknownTag, 20},
		{"unknown tag 0", base + "0000", ErrUnknownTag, 20},
		{"unknown field tag 9", base + field("0a0161"+"4a00"), ErrUnknownTag, 25},
		{"tag > 15 (two-byte key)", base + "8201" + "00", ErrKey, 20},
		{"tag 16 in a field", base + field("0a0161"+"8201"), ErrKey, 25},
		{"timestamp as bytes", "0a10" + strings.Repeat("ab", 16) + "1200", ErrWireType, 18},
		{"uuid as varint", "0801" + "1001", ErrWireType, 0},
		{"type as varint", base + "1801", ErrWireType, 20},
		{"severity as fixed64", base + "29" + strings.Repeat("00", 8), ErrWireType, 20},
		{"fields as varint", base + "5001", ErrWireType, 20},
		{"group wire type", base + "1b", ErrWireType, 20},
		{"name as varint", base + field("0801"), ErrWireType, 22},
		{"value_type as bytes", base + field("0a0161"+"1200"), ErrWireType, 25},
		{"string as varint", base + field("0a0161"+"2001"), ErrWireType, 25},
		{"double as varint", base + field("0a0161"+"3801"), ErrWireType, 25},
		{"integer as fixed64", base + field("0a0161"+"31"+strings.Repeat("00", 8)), ErrWireType, 25},
		{"uuid of 15 bytes", "0a0f" + strings.Repeat("ab", 15) + "1001", ErrUUIDLength, 0},
		{"uuid of 17 bytes", "0a11" + strings.Repeat("ab", 17) + "1001", ErrUUIDLength, 0},
		{"missing uuid", "1001", ErrNoUUID, 2},
		{"missing timestamp", "0a10" + strings.Repeat("ab", 16), ErrNoTimestamp, 18},
		{"field without name", base + field("1002"+"3001"), ErrNoFieldName, 22},
		{"empty field record", base + "5200", ErrNoFieldName, 22},
		{"value_type 5", base + field("0a0161"+"1005"), ErrValueType, 25},
		{"value_type -1", base + field("0a0161"+"10ffffffffffffffffff01"), ErrValueType, 25},
		{"truncated varint", "0a10" + strings.Repeat("ab", 16) + "1080", ErrTruncated, 18},
		{"key without length", base + "1a", ErrTruncated, 20},
		{"length past end", base + "1a05616263", ErrTruncated, 20},
		{"field length past end", base + "52050a0161", ErrTruncated, 20},
		{"value past record end", base + "5205" + "0a0161" + "2205" + "6161616161", ErrTruncated, 25},
		{"valid control: name only", base + field("0a0161"), nil, 0},
		{"double cut short", base + "520b0a0161" + "39" + strings.Repeat("00", 7), ErrTruncated, 25},
		{"truncated packed varint", base + field("0a0161"+"32028080"), ErrTruncated, 25},
		{"varint overflow", "0a10" + strings.Repeat("ab", 16) + "10ffffffffffffffffff7f", ErrVarint, 18},
		{"varint of 11 bytes", "0a10" + strings.Repeat("ab", 16) + "10" + strings.Repeat("80", 10) + "00", ErrVarint, 18},
		{"packed doubles of 7 bytes", base + field("0a0161"+"3a07"+strings.Repeat("00", 7)), ErrPackedDouble, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := unhexString(t, tc.hex)
			var m Message
			var v View
			errs := []error{Decode(raw, &m), v.Reset(raw), Validate(raw)}
			for i, err := range errs {
				if tc.want == nil {
					if err != nil {
						t.Fatalf("decoder %d: %v", i, err)
					}
					continue
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("decoder %d: got %v, want %v", i, err, tc.want)
				}
				var de *DecodeError
				if !errors.As(err, &de) || de.Offset != tc.offset {
					t.Fatalf("decoder %d: %v: offset %d, want %d", i, err, de.Offset, tc.offset)
				}
				if err.Error() != errs[0].Error() {
					t.Fatalf("decoders disagree: %v / %v", errs[0], err)
				}
			}
			if tc.want != nil {
				t.Log(errs[0])
			}
			if v.Raw() != nil && tc.want != nil {
				t.Fatal("View keeps a rejected message")
			}
		})
	}
}

// TestDecodeReuse checks that Decode reuses the slices of a previous
// decode and that a warm decode allocates only the one string copy.
func TestDecodeReuse(t *testing.T) {
	big := benchMessage().AppendTo(nil)
	small := workedExample().AppendTo(nil)
	var m Message
	if err := Decode(big, &m); err != nil {
		t.Fatal(err)
	}
	fields := &m.Fields[0]
	for _, raw := range [][]byte{small, big, small} {
		if err := Decode(raw, &m); err != nil {
			t.Fatal(err)
		}
		if &m.Fields[0] != fields {
			t.Fatal("Fields slice not reused")
		}
	}
	if d := diffMessages(&m, workedExample()); d != "" {
		t.Fatal(d)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := Decode(big, &m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("warm Decode: %v allocs, want at most 1", allocs)
	}
}

// TestZeroAllocs checks the hot-path operations allocate nothing when warm.
func TestZeroAllocs(t *testing.T) {
	m := benchMessage()
	raw := m.AppendTo(nil)
	buf := make([]byte, 0, len(raw))
	var v View
	_ = v.Reset(raw)
	for name, fn := range map[string]func(){
		"AppendTo": func() { buf = m.AppendTo(buf[:0]) },
		"Size":     func() { _ = m.Size() },
		"Reset":    func() { _ = v.Reset(raw) },
		"Validate": func() { _ = Validate(raw) },
		"Field": func() {
			f, _ := v.Field("upstream_addrs", 0)
			_, _ = f.String(2)
			_, _ = f.Representation()
		},
		"NewUUID": func() { _ = NewUUID() },
		"AppendUUID": func() {
			buf = AppendUUID(buf[:0], m.Uuid)
		},
		"AppendTimestamp": func() { buf = AppendTimestamp(buf[:0], m.Timestamp) },
	} {
		if n := testing.AllocsPerRun(200, fn); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}

// TestMismatchedValues: a record carrying values under a tag other than its
// value_type is accepted; Decode and AppendTo keep those values, View sees
// only the declared type.
func TestMismatchedValues(t *testing.T) {
	m := workedExample()
	m.Fields = []Field{{Name: "x", Type: ValueString, Strings: []string{"s"}, Integers: []int64{7, 8}, Bools: []bool{true}}}
	raw := checkRoundTrip(t, m)
	var v View
	if err := v.Reset(raw); err != nil {
		t.Fatal(err)
	}
	f := v.FieldAt(0)
	if f.Len() != 1 {
		t.Fatalf("Len = %d, want 1", f.Len())
	}
	if _, ok := f.Integer(0); ok {
		t.Fatal("Integer of a STRING field")
	}
	if s, ok := f.String(0); !ok || string(s) != "s" {
		t.Fatalf("String(0) = %q %v", s, ok)
	}
}

// TestHeaderEdges: empty but present headers, negative severity and pid,
// absent severity reading 7, the last of duplicate headers winning.
func TestHeaderEdges(t *testing.T) {
	m := &Message{Uuid: NewUUID(), Timestamp: -1}
	m.SetType("")
	m.SetSeverity(-3)
	m.SetPid(math.MinInt32)
	raw := checkRoundTrip(t, m)
	if !bytes.Contains(raw, unhexString(t, "28fdffffffffffffffff01")) {
		t.Fatalf("negative severity is not a 10-byte varint: %x", raw)
	}
	var v View
	_ = v.Reset(raw)
	if v.Type() == nil || len(v.Type()) != 0 || v.Logger() != nil {
		t.Fatalf("Type %q Logger %q", v.Type(), v.Logger())
	}
	m.Has &^= HasSeverity
	var d Message
	if err := Decode(m.AppendTo(nil), &d); err != nil || d.Severity != DefaultSeverity {
		t.Fatalf("absent severity reads %d, %v", d.Severity, err)
	}
	// type "a" then type "b": the last wins everywhere.
	raw = append(workedExample().AppendTo(nil), unhexString(t, "1a0162")...)
	if err := Decode(raw, &d); err != nil || d.Type != "b" {
		t.Fatalf("duplicate type: %q %v", d.Type, err)
	}
	if err := v.Reset(raw); err != nil || string(v.Type()) != "b" {
		t.Fatalf("View duplicate type: %q %v", v.Type(), err)
	}
	d.Reset()
	if d.Has != 0 || d.Severity != DefaultSeverity || len(d.Fields) != 0 || cap(d.Fields) == 0 {
		t.Fatalf("Reset: %+v", d)
	}
}

func TestDecodeErrorText(t *testing.T) {
	err := &DecodeError{Offset: 25, Field: 2, Tag: 6, Err: ErrWireType}
	if got, want := err.Error(), "message: byte 25, fields[2], tag 6: wrong wire type for tag"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	err = &DecodeError{Offset: 4, Field: -1, Tag: -1, Err: ErrNoUUID}
	if got, want := err.Error(), "message: byte 4: uuid missing"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if ValueBool.String() != "BOOL" || ValueType(9).String() != "ValueType(9)" {
		t.Fatal("ValueType.String")
	}
}

func hexLen(h string) string {
	return string("0123456789abcdef"[len(h)/2>>4]) + string("0123456789abcdef"[len(h)/2&15])
}

func unhexString(t testing.TB, h string) []byte {
	t.Helper()
	b := make([]byte, len(h)/2)
	for i := range b {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			t.Fatalf("bad hex %q", h)
		}
		b[i] = hi<<4 | lo
	}
	return b
}

// TestGeneratedIsMoreLenient pins down the inputs the generated protobuf
// code accepts and the reference decoder (and ours) rejects; FuzzDecode
// allows exactly these disagreements (generatedIsLenient).
func TestGeneratedIsMoreLenient(t *testing.T) {
	uuid := "0a10" + strings.Repeat("ab", 16)
	base := uuid + "1001"
	for _, tc := range []struct {
		name, hex string
		want      error
	}{
		{"non-minimal key for uuid", "8a0010" + strings.Repeat("ab", 16) + "1001", ErrKey},
		{"tag 16", base + "820100", ErrKey},
		{"unknown tag 11", base + "5801", ErrUnknownTag},
		{"type as varint", base + "1801", ErrWireType},
		{"uuid of 15 bytes", "0a0f" + strings.Repeat("ab", 15) + "1001", ErrUUIDLength},
		{"value_type 5", base + "5205" + "0a0161" + "1005", ErrValueType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := unhexString(t, tc.hex)
			var p hekapb.Message
			if err := proto.Unmarshal(raw, &p); err != nil {
				t.Fatalf("generated code rejects: %v", err)
			}
			var m Message
			if err := Decode(raw, &m); !errors.Is(err, tc.want) || !generatedIsLenient(err) {
				t.Fatalf("Decode: %v, want %v", err, tc.want)
			}
		})
	}
}
