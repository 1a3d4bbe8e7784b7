package runner

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sightline/sightline/queue"
)

// flushLinger and flushBurst pace a flusher under load: a kick is
// served at once unless flushBurst flushes already began within the last
// flushLinger; then it waits until the oldest of them is flushLinger old,
// so appends arriving meanwhile are written with it. A low rate, bursts
// of a few records included, is thus flushed at once (an idle Go process
// wakes for a timer with millisecond granularity, so a short wait costs
// a millisecond), and sustained load is flushed at most flushBurst times
// per flushLinger. flushLinger bounds how long a record waits before
// readers can see it.
const (
	flushLinger = time.Millisecond
	flushBurst  = 4
)

// flusher flushes one queue writer soon after records are appended, so
// readers see them promptly whatever the plugin does next (a continuous
// input may never return to the runner between two bursts): at once at a
// low rate, batched under load. After every flush it wakes the waiters of
// its event, which outputs reading both queues wait on.
type flusher struct {
	w    *queue.Writer
	fail func(error)
	kick chan struct{} // capacity 1: a pending request to flush

	mu sync.Mutex
	ch chan struct{} // closed at the next flush
}

func newFlusher(w *queue.Writer, fail func(error)) *flusher {
	return &flusher{w: w, fail: fail, kick: make(chan struct{}, 1), ch: make(chan struct{})}
}

// Kick asks for a flush soon. It never blocks.
func (f *flusher) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// wait returns a channel closed at the next flush. Take it before looking
// for records, so a flush in between is not missed.
func (f *flusher) wait() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ch
}

// Flush flushes the writer now and wakes the waiters. A failed writer is
// left to the maintenance goroutine, which holds the injections and
// recovers it; a closed one (shutdown) is no error; anything else is
// fatal.
func (f *flusher) Flush() {
	if err := f.w.Flush(); err != nil && !errors.Is(err, queue.ErrClosed) && !errors.Is(err, queue.ErrWriteFailed) {
		f.fail(err)
	}
	f.mu.Lock()
	close(f.ch)
	f.ch = make(chan struct{})
	f.mu.Unlock()
}

// run serves kicks until ctx ends, then flushes once more.
func (f *flusher) run(ctx context.Context) {
	t := time.NewTimer(flushLinger)
	t.Stop()
	defer t.Stop()
	var recent [flushBurst]time.Time // when run's last flushes began
	oldest := 0                      // index in recent
	for {
		select {
		case <-ctx.Done():
			f.Flush()
			return
		case <-f.kick:
		}
		if since := time.Since(recent[oldest]); since < flushLinger {
			t.Reset(flushLinger - since)
			select {
			case <-ctx.Done():
				f.Flush()
				return
			case <-t.C:
			}
		}
		recent[oldest] = time.Now()
		oldest = (oldest + 1) % flushBurst
		f.Flush()
	}
}
