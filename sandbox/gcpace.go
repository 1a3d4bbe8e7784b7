package sandbox

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Go's collector at its default (GOGC=100) sets the next heap goal at
// twice the live heap, and at least 4 MiB. Plugins that hold little but
// churn through short-lived values (a log input makes a few tables per
// line and drops them) then make the daemon collect hundreds of times a
// second: a fifth of its CPU on the nginx bench, most of it spent
// stopping the plugins' goroutines for each cycle.
//
// PaceGC raises that floor without giving up GOGC=100's proportion: it
// sets GOGC to gcPercent and keeps the soft memory limit at
//
//	min(backstop, max(gcFloor, 2 × live heap + the runtime's other memory))
//
// recomputed after every collection (a cleanup on a sentinel object, so
// it follows the heap as fast as the collector runs). Below the floor the
// collector runs when the process's Go memory reaches gcFloor; above it the
// limit is what GOGC=100 would give, and the limit, not GOGC, paces the
// collector. The backstop is SetProcessMemoryLimit's limit.
const (
	gcFloor   = 16 << 20
	gcPercent = 400
)

// pacer is the process's GC pacing state.
var pacer struct {
	mu       sync.Mutex
	on       bool
	backstop int64 // SetProcessMemoryLimit's limit, MaxInt64 when none
	cycles   int   // collections seen, for tests
	samples  []metrics.Sample
}

// paceMetrics are the runtime/metrics the pacer reads, in this order.
var paceMetrics = [...]string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

// PaceGC starts pacing the Go collector for a daemon of many small
// plugins (see gcFloor), once per process, and reports whether the pacing
// is on. It leaves the collector alone when the environment sets GOGC or
// GOMEMLIMIT: the operator's settings win.
func PaceGC() bool {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if pacer.on {
		return true
	}
	if pacer.backstop == 0 {
		pacer.backstop = math.MaxInt64
	}
	pacer.samples = make([]metrics.Sample, len(paceMetrics))
	for i, name := range paceMetrics {
		pacer.samples[i].Name = name
	}
	pacer.on = true
	debug.SetGCPercent(gcPercent)
	paceLocked()
	armPacer()
	return true
}

// stopPacing ends the pacing and restores the collector's defaults (for
// tests).
func stopPacing() {
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if !pacer.on {
		return
	}
	pacer.on = false
	debug.SetGCPercent(100)
	if pacer.backstop == math.MaxInt64 {
		debug.SetMemoryLimit(math.MaxInt64)
	} else {
		debug.SetMemoryLimit(pacer.backstop)
	}
}

// gcSentinel is allocated for each collection; its cleanup runs after the
// collection that found it unreachable. The pointer keeps it out of the
// tiny allocator, whose blocks hold several objects.
type gcSentinel struct {
	_ *byte
	_ [8]byte
}

func armPacer() {
	runtime.AddCleanup(new(gcSentinel), func(struct{}) {
		pacer.mu.Lock()
		on := pacer.on
		if on {
			pacer.cycles++
			paceLocked()
		}
		pacer.mu.Unlock()
		if on {
			armPacer()
		}
	}, struct{}{})
}

// paceLocked sets the soft memory limit from the heap the last collection
// left.
func paceLocked() {
	debug.SetMemoryLimit(paceLimit(pacer.samples, pacer.backstop))
}

// paceLimit is the soft memory limit for the heap that samples describe.
func paceLimit(samples []metrics.Sample, backstop int64) int64 {
	metrics.Read(samples)
	var v [len(paceMetrics)]int64
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = int64(min(s.Value.Uint64(), math.MaxInt64/4))
		}
	}
	live, total, released, objects, unused, free := v[0], v[1], v[2], v[3], v[4], v[5]
	other := max(total-released-objects-unused-free, 0) // stacks, GC metadata, runtime
	return min(max(gcFloor, 2*live+other), backstop)
}
