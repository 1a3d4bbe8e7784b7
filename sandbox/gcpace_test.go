package sandbox

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// gcCycle forces a collection and waits for the pacer to see it.
func gcCycle(t *testing.T) {
	t.Helper()
	pacer.mu.Lock()
	before := pacer.cycles
	pacer.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		pacer.mu.Lock()
		n := pacer.cycles
		pacer.mu.Unlock()
		if n > before {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the pacer saw no collection")
}

// TestPaceGC checks the pacer's soft memory limit: the floor for a small
// heap, twice the live heap for a large one, never above the backstop,
// and the collector's defaults back when it stops.
func TestPaceGC(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT set")
	}
	prevLimit := debug.SetMemoryLimit(-1)
	prevPercent := debug.SetGCPercent(100)
	t.Cleanup(func() {
		stopPacing()
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
		pacer.mu.Lock()
		pacer.backstop = 0
		pacer.mu.Unlock()
	})
	if !PaceGC() {
		t.Fatal("PaceGC is off")
	}
	if !PaceGC() {
		t.Fatal("PaceGC called twice is off")
	}
	if p := debug.SetGCPercent(gcPercent); p != gcPercent {
		t.Fatalf("GOGC = %d, want %d", p, gcPercent)
	}
	gcCycle(t)
	small := debug.SetMemoryLimit(-1)
	if small < gcFloor || small > 4*gcFloor {
		t.Fatalf("limit with a small heap = %d, want about %d", small, gcFloor)
	}

	big := make([]byte, 64<<20)
	gcCycle(t)
	if got := debug.SetMemoryLimit(-1); got < 2*int64(len(big)) {
		t.Fatalf("limit with %d bytes live = %d, want at least twice that", len(big), got)
	}
	runtime.KeepAlive(big)
	big = nil
	// Other tests of the package run meanwhile and hold heap of their
	// own: the limit must come down within a few collections.
	got := int64(0)
	for range 20 {
		gcCycle(t)
		if got = debug.SetMemoryLimit(-1); got <= 4*gcFloor {
			break
		}
	}
	if got > 4*gcFloor {
		t.Fatalf("limit once the heap is small again = %d", got)
	}

	// The backstop caps the pacer, at once and after each collection.
	if got := SetProcessMemoryLimit(4<<20, 4<<20); got != 12<<20 {
		t.Fatalf("SetProcessMemoryLimit = %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 12<<20 {
		t.Fatalf("limit under a backstop of 12 MiB = %d", got)
	}
	gcCycle(t)
	if got := debug.SetMemoryLimit(-1); got != 12<<20 {
		t.Fatalf("limit under a backstop of 12 MiB after a collection = %d", got)
	}
	if got := SetProcessMemoryLimit(256<<20, 0); got != math.MaxInt64 {
		t.Fatalf("SetProcessMemoryLimit without plugin limits = %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got < gcFloor || got > 4*gcFloor {
		t.Fatalf("limit without a backstop = %d", got)
	}

	stopPacing()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Fatalf("GOGC after stopPacing = %d", p)
	}
}
