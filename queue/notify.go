package queue

import (
	"path/filepath"
	"sync"
	"sync/atomic"
)

// notifier connects the writer and the readers of one queue directory in
// this process: a reader waits on the current channel, a writer closes it
// (and makes a new one) whenever bytes reach the OS or a segment rolls, so a
// tailing reader wakes at once instead of polling.
type notifier struct {
	refs int // guarded by registry.mu

	mu sync.Mutex
	ch chan struct{}

	writers atomic.Int32  // writers of this queue open in this process
	segment atomic.Uint64 // the live writer's current segment id
}

// registry maps cleaned absolute queue directories to their notifier.
var registry struct {
	mu sync.Mutex
	m  map[string]*notifier
}

func queueKey(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return filepath.Clean(dir)
}

// acquireNotifier returns the notifier of dir; release it when done.
func acquireNotifier(dir string) (*notifier, string) {
	key := queueKey(dir)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.m == nil {
		registry.m = make(map[string]*notifier)
	}
	n := registry.m[key]
	if n == nil {
		n = &notifier{ch: make(chan struct{})}
		registry.m[key] = n
	}
	n.refs++
	return n, key
}

func releaseNotifier(key string) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if n := registry.m[key]; n != nil {
		n.refs--
		if n.refs == 0 {
			delete(registry.m, key)
		}
	}
}

// wait returns a channel that is closed at the next broadcast.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

// broadcast wakes every waiting reader.
func (n *notifier) broadcast() {
	n.mu.Lock()
	close(n.ch)
	n.ch = make(chan struct{})
	n.mu.Unlock()
}

// liveSegment reports the segment an in-process writer is writing, if any.
func (n *notifier) liveSegment() (uint64, bool) {
	if n.writers.Load() == 0 {
		return 0, false
	}
	return n.segment.Load(), true
}
