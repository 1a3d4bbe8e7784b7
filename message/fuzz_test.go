package message

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sightline/sightline/message/internal/hekapb"
)

// decodeSeeds returns the seed corpus of the decoding fuzz targets: the
// worked example and all its truncations, the benchmark message, random
// messages encoded canonically, by the generated code and scrambled, and
// the first messages of the reference fixture when it is present.
func decodeSeeds(tb testing.TB) [][]byte {
	golden := readTestdata(tb, "worked-example.pb")
	seeds := [][]byte{golden, benchMessage().AppendTo(nil)}
	for n := range golden {
		seeds = append(seeds, golden[:n])
	}
	r := rand.New(rand.NewPCG(7, 8))
	s := scrambler{r}
	for range 10 {
		m := randMessage(r)
		p, err := proto.Marshal(toPB(m, func() bool { return r.IntN(2) == 0 }))
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, m.AppendTo(nil), p, s.message(m))
	}
	if data, err := os.ReadFile(compatLog); err == nil {
		sc := NewScanner(bytes.NewReader(data), ScanOptions{})
		sc.Finish()
		for i := 0; i < 20 && sc.Next(); i++ {
			seeds = append(seeds, bytes.Clone(sc.Message()))
		}
	}
	return seeds
}

// generatedIsLenient reports whether err is a rejection the generated
// protobuf code is allowed not to share: it accepts, where the reference
// decoder (and ours) rejects,
//   - keys longer than one byte (tags above 15, or a known tag written as a
//     non-minimal varint): protobuf reads any varint key;
//   - unknown tags and known tags with the wrong wire type: protobuf keeps
//     them as unknown fields;
//   - a uuid of another length than 16: the schema only says bytes;
//   - a value_type outside 0..4: proto2 enums are closed, protobuf keeps
//     the unknown number as an unknown field (and GetValueType says STRING).
//
// Every other rejection (truncation, varint overflow, missing uuid,
// timestamp or name, packed doubles of a wrong length) protobuf shares.
func generatedIsLenient(err error) bool {
	for _, e := range []error{ErrKey, ErrUnknownTag, ErrWireType, ErrUUIDLength, ErrValueType} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// FuzzDecode feeds arbitrary bytes to Decode, View.Reset, Validate and the
// generated code. None may panic; our three decoders must agree exactly
// (same error, same offset); when ours accepts, protobuf must accept and
// read the same message, the View must agree with Decode, and re-encoding
// must be canonical; when ours rejects and protobuf accepts, the reason
// must be one of those generatedIsLenient lists.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		err := Decode(data, &m)
		var v View
		verr := v.Reset(data)
		aerr := Validate(data)
		if errText(err) != errText(verr) || errText(err) != errText(aerr) {
			t.Fatalf("decoders disagree: Decode %v, View.Reset %v, Validate %v", err, verr, aerr)
		}
		var p hekapb.Message
		perr := proto.Unmarshal(data, &p)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is not a *DecodeError: %v", err)
			}
			if perr == nil && !generatedIsLenient(err) {
				t.Fatalf("we reject (%v), the generated code accepts", err)
			}
			return
		}
		if perr != nil {
			t.Fatalf("we accept, the generated code rejects: %v", perr)
		}
		if d := diffMessages(fromPB(&p), &m); d != "" {
			t.Fatalf("generated code reads differently: %s", d)
		}
		if d := viewMismatch(&v, &m); d != "" {
			t.Fatalf("View disagrees with Decode: %s", d)
		}
		checkRoundTrip(t, &m)
	})
}

// FuzzView looks fields up by arbitrary name, field index and array index
// in arbitrary messages: no panic, and the View finds what Decode says is
// there.
func FuzzView(f *testing.F) {
	for _, s := range decodeSeeds(f)[:2] {
		for _, name := range []string{"bytes", "status", "remote_addr", "upstream_addrs", ""} {
			f.Add(s, name, 0, 0)
			f.Add(s, name, 0, 2)
			f.Add(s, name, 1, -1)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, name string, fi, ai int) {
		var v View
		if v.Reset(data) != nil {
			return
		}
		var m Message
		if err := Decode(data, &m); err != nil {
			t.Fatalf("View accepts, Decode rejects: %v", err)
		}
		want := -1
		for i, k := 0, fi; i < len(m.Fields) && fi >= 0; i++ {
			if m.Fields[i].Name == name {
				if k == 0 {
					want = i
					break
				}
				k--
			}
		}
		fv, ok := v.Field(name, fi)
		if ok != (want >= 0) {
			t.Fatalf("Field(%q, %d) ok=%v, want index %d", name, fi, ok, want)
		}
		if !ok {
			return
		}
		if fv.rec != v.FieldAt(want).rec {
			t.Fatalf("Field(%q, %d) found another record", name, fi)
		}
		if d := valueMismatch(fv, &m.Fields[want], ai); d != "" {
			t.Fatalf("Field(%q, %d)[%d]: %s", name, fi, ai, d)
		}
	})
}

// FuzzRoundTrip drives the random message generator from the fuzzer's
// seeds: the canonical encoding, the generated code's encoding and a
// scrambled encoding of each message must all read back equal everywhere.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		r := rand.New(rand.NewPCG(s1, s2))
		m := randMessage(r)
		checkRoundTrip(t, m)
		checkDecodes(t, scrambler{r}.message(m), m)
		p, err := proto.Marshal(toPB(m, func() bool { return r.IntN(2) == 0 }))
		if err != nil {
			t.Fatal(err)
		}
		checkDecodes(t, p, m)
	})
}
