package hekatcp

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
)

// BenchmarkThroughput sends b.N messages of about 200 bytes from a
// Client to a Server over loopback, until the consumer (playing the
// plugin: it only counts) has them all and, in ack mode, the client has
// every acknowledgement. Durability is immediate here: the figures are
// the transport's, not a queue's fsync.
func BenchmarkThroughput(b *testing.B) {
	crt := makeCerts(b)
	for _, bc := range []struct {
		name string
		ack  bool
		tls  bool
	}{
		{"plain", false, false},
		{"ack", true, false},
		{"plain-tls", false, true},
		{"ack-tls", true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var srvTLS, cliTLS *tls.Config
			if bc.tls {
				srvTLS = serverTLS(b, crt)
				cliTLS = clientTLS(b, SSLParams{CAFile: crt.ca, Verify: []string{"peer"}})
			}
			s := listen(b, ServerOptions{Ack: bc.ack, TLS: srvTLS})
			var got atomic.Int64
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				ok := func(context.Context) error { return nil }
				for {
					ch, err := s.Receive(ctx, 50*time.Millisecond)
					if err != nil {
						return
					}
					if ch != nil {
						got.Add(int64(ch.Len()))
						ch.Done(ok)
					}
				}
			}()
			defer func() { cancel(); <-done }()
			c := newClient(b, ClientOptions{Address: s.Addr().String(), Ack: bc.ack, TLS: cliTLS, Window: 20000})
			msg := framed(123456)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 1; i <= b.N; i++ {
				if err := c.Send(ctx, uint64(i), msg); err != nil {
					b.Fatal(err)
				}
			}
			if err := c.Flush(ctx, time.Minute); err != nil {
				b.Fatal(err)
			}
			for got.Load() < int64(b.N) {
				time.Sleep(100 * time.Microsecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// countingHost is an input host that counts and is durable at once.
type countingHost struct{ n atomic.Int64 }

func (h *countingHost) Inject([]byte, sandbox.Checkpoint) error { h.n.Add(1); return nil }
func (h *countingHost) Durable() func(context.Context) error {
	return func(context.Context) error { return nil }
}

// BenchmarkPlugins runs the standard plugins end to end in one process:
// the output plugin's process_message (a sandbox call per message, as
// the runner makes) to the input plugin's server:run injecting into a
// host. Per message: one Lua call on each side, the frame copied into a
// batch, the record into a chunk, one inject.
func BenchmarkPlugins(b *testing.B) {
	for _, ack := range []bool{false, true} {
		name := "plain"
		if ack {
			name = "ack"
		}
		b.Run(name, func(b *testing.B) {
			port := freePort(b)
			h := &countingHost{}
			in := plugin(b, config.Input, "heka_tcp.lua", "", fmt.Sprintf("instruction_limit = 0\nport = %d\nack = %v\n", port, ack), h)
			done := make(chan error, 1)
			go func() {
				_, _, err := in.ProcessInput(sandbox.Checkpoint{})
				done <- err
			}()
			out := plugin(b, config.Output, "heka_tcp.lua", "",
				fmt.Sprintf("message_matcher = 'TRUE'\nport = %d\nack = %v\nasync_buffer_size = 20000\n", port, ack), nil)
			var v message.View
			must(b, v.Reset(numbered(123456)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 1; i <= b.N; i++ {
				for {
					res, err := out.ProcessOutput(&v, i)
					if err != nil {
						b.Fatal(err)
					}
					if !res.Retry {
						break
					}
					time.Sleep(time.Millisecond)
				}
			}
			must(b, out.TimerEvent(0, true))
			for h.n.Load() < int64(b.N) {
				time.Sleep(100 * time.Microsecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			in.Stop()
			must(b, <-done)
		})
	}
}
