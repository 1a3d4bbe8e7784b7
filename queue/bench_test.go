package queue

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// One benchmark operation moves benchBatch bytes of messages, so the same
// -benchtime=2048x writes 2 GiB for every record size:
//
//	go test ./queue -run '^$' -bench 'Append|Read' -benchtime 2048x
const benchBatch = 1 << 20

var benchSizes = []struct {
	name string
	size int
}{{"200B", 200}, {"2KiB", 2048}}

// benchDir is where benchmark queues go: BENCH_DIR, or a temp dir. Point it
// at the disk under test.
func benchDir(b *testing.B) string {
	if d := os.Getenv("BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "queue-bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return b.TempDir()
}

func BenchmarkAppend(b *testing.B) {
	for _, sz := range benchSizes {
		for _, pol := range []SyncPolicy{SyncNone, SyncCheckpoint} {
			b.Run(fmt.Sprintf("%s/%s", sz.name, pol), func(b *testing.B) {
				msg := testMsg(b, 1, sz.size)
				per := benchBatch / len(msg)
				w, err := OpenWriter(benchDir(b), Options{Sync: pol})
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				stop := make(chan struct{})
				var wg sync.WaitGroup
				if pol == SyncCheckpoint {
					// The daemon's checkpoint tick: one Sync a second.
					wg.Add(1)
					go func() {
						defer wg.Done()
						t := time.NewTicker(time.Second)
						defer t.Stop()
						for {
							select {
							case <-stop:
								return
							case <-t.C:
								if err := w.Sync(); err != nil {
									b.Error(err)
									return
								}
							}
						}
					}()
				}
				b.SetBytes(int64(per * len(msg)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					for range per {
						if _, err := w.Append(msg); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := w.Sync(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				close(stop)
				wg.Wait()
				b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

func BenchmarkRead(b *testing.B) {
	for _, sz := range benchSizes {
		for _, raw := range []bool{false, true} {
			name := sz.name + "/indexed"
			if raw {
				name = sz.name + "/raw"
			}
			b.Run(name, func(b *testing.B) {
				dir := benchDir(b)
				msg := testMsg(b, 1, sz.size)
				per := benchBatch / len(msg)
				w, err := OpenWriter(dir, Options{Sync: SyncNone})
				if err != nil {
					b.Fatal(err)
				}
				for range b.N * per {
					if _, err := w.Append(msg); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				r, err := OpenReader(dir, Position{}, ReaderOptions{Raw: raw})
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				b.SetBytes(int64(per * len(msg)))
				b.ReportAllocs()
				b.ResetTimer()
				n := 0
				for r.TryNext() {
					n++
				}
				b.StopTimer()
				if n != b.N*per {
					b.Fatalf("read %d of %d records: %v", n, b.N*per, r.Err())
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// BenchmarkTailWakeup measures how long a reader waiting at the tail takes
// to return a record after the writer flushes it (ns/op is the latency).
func BenchmarkTailWakeup(b *testing.B) {
	dir := b.TempDir()
	w, err := OpenWriter(dir, Options{Sync: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	r, err := OpenReader(dir, Position{}, ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	msg := testMsg(b, 1, 200)
	got := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r.Next(ctx) {
			got <- struct{}{}
		}
	}()
	b.ResetTimer()
	for range b.N {
		if _, err := w.Append(msg); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		<-got
	}
	b.StopTimer()
	cancel()
	wg.Wait()
}
