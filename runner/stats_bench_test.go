package runner

import (
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/message/matcher"
)

// BenchmarkHooks measures what the statistics add to the hot path: each
// pair runs the same work bare and through the runner's wrapper (counts,
// one call in sampleEvery timed).
//
//	go test ./runner -run '^$' -bench Hooks
func BenchmarkHooks(b *testing.B) {
	var m message.Message
	m.Uuid = message.NewUUID()
	m.Timestamp = 1
	m.SetType("web")
	m.SetPayload("payload")
	m.Fields = append(m.Fields, message.Field{Name: "n", Type: message.ValueDouble, Doubles: []float64{42}})
	var v message.View
	if err := v.Reset(m.Encode()); err != nil {
		b.Fatal(err)
	}
	mt, err := matcher.Compile("Type == 'web' && Fields[n] > 1")
	if err != nil {
		b.Fatal(err)
	}
	p := &plugin{matcher: mt, sb: newTestSandbox(b, config.Analysis, "")}

	b.Run("matcher/bare", func(b *testing.B) {
		for range b.N {
			if !p.matcher.Match(&v) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("matcher/hook", func(b *testing.B) {
		for range b.N {
			if !p.match(&v) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("process_message/bare", func(b *testing.B) {
		for range b.N {
			if _, _, err := p.sb.ProcessMessage(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("process_message/hook", func(b *testing.B) {
		for range b.N {
			if _, _, err := p.processMessage(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("clock", func(b *testing.B) { // what one timed call adds
		var d time.Duration
		for range b.N {
			t := time.Now()
			d += time.Since(t)
		}
		_ = d
	})
}
