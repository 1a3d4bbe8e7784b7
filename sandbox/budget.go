package sandbox

import (
	"sync"
	"time"
)

// checkInterval is how many VM instructions run between two slow checks of
// a budget: the instruction count is settled and the memory check runs
// (see memory.go). Smaller catches runaway allocation sooner and costs
// more; 4096 instructions are about 50-100 µs of Lua.
const checkInterval = 4096

// budget is the context.Context every Lua state of one plugin (the main
// state and its coroutines) runs under. gopher-lua's context-aware VM loop
// calls Done before each instruction and raises Err when the channel is
// closed; budget counts those calls, which makes it an instruction
// counter, and closes its single channel when the plugin must stop: the
// instruction limit of the current call is reached, the memory check
// fails, or the host kills the plugin. Once closed it stays closed: every
// later instruction raises again, so a pcall in the plugin cannot swallow
// the stop, and the plugin is terminated.
//
// Done is called by the goroutine running the plugin, before each of its
// VM instructions: the counter is a plain integer, not an atomic one (an
// atomic decrement per instruction cost 4% of a log input's time). Other
// goroutines only close the budget (stop, under mu) or read why it closed.
// budget implements AfterFunc, so contexts derived from it (context.
// WithCancel and friends, gopher-lua's coroutines) register a callback
// instead of starting a goroutine that waits on Done. Since the counter
// and the memory check (which reads the Lua state) belong to the plugin's
// goroutine, Go modules must not hand L.Context() to goroutines of their
// own (they use Context(L), see modules.go).
type budget struct {
	left int64 // Done calls left before the next slow check; the plugin's goroutine only

	mu         sync.Mutex // guards the fields below
	limit      int64      // instruction limit of the current call, 0 = none
	used       int64      // instructions of the current call settled so far
	chunk      int64      // size of the current chunk (what left started at)
	maxUsed    int64      // most instructions any call used
	err        error      // why done was closed, nil while open
	done       chan struct{}
	afterFuncs map[*func()]struct{}

	// check is the memory check, run by the slow path outside mu. It may
	// call stop.
	check func()

	// sb is the sandbox the budget belongs to, for the built-ins shared
	// between states (the concat guard) that find it through L.Context().
	sb *Sandbox
}

func newBudget() *budget {
	b := &budget{done: make(chan struct{})}
	b.left = checkInterval
	b.chunk = checkInterval
	return b
}

// Deadline reports no deadline: the budget counts instructions, not time.
func (b *budget) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done counts one instruction and returns the channel closed when the
// plugin must stop.
func (b *budget) Done() <-chan struct{} {
	b.left--
	if b.left < 0 {
		b.slow()
	}
	return b.done
}

// Err returns nil while the budget is open, then the reason it closed.
func (b *budget) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Value returns nil: a budget carries no values.
func (b *budget) Value(any) any { return nil }

// AfterFunc arranges for f to run in its own goroutine once the budget is
// closed (at once if it is already), as context.AfterFunc does; stop
// cancels that if f has not started. The context package uses it to
// propagate cancellation to derived contexts without a goroutine each.
func (b *budget) AfterFunc(f func()) (stop func() bool) {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	key := &f
	if b.afterFuncs == nil {
		b.afterFuncs = make(map[*func()]struct{})
	}
	b.afterFuncs[key] = struct{}{}
	b.mu.Unlock()
	return func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.afterFuncs[key]; ok {
			delete(b.afterFuncs, key)
			return true
		}
		return false
	}
}

// begin starts the count of a call into the plugin: at most limit
// instructions (0 = no limit).
func (b *budget) begin(limit int64) {
	b.mu.Lock()
	b.limit = limit
	b.used = 0
	b.chunk = b.nextChunkLocked()
	b.left = b.chunk
	b.mu.Unlock()
}

// end settles the count of the call and returns the number of
// instructions it ran.
func (b *budget) end() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.used + b.chunk - b.left
	if n < b.used {
		n = b.used
	}
	if n > b.maxUsed {
		b.maxUsed = n
	}
	b.limit = 0
	b.used = 0
	b.chunk = checkInterval
	b.left = checkInterval
	return n
}

// maxInstructions returns the most instructions one call has used.
func (b *budget) maxInstructions() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxUsed
}

// nextChunkLocked returns how many instructions may run before the next
// slow check: checkInterval, or what is left of the limit.
func (b *budget) nextChunkLocked() int64 {
	if b.limit <= 0 {
		return checkInterval
	}
	rest := b.limit - b.used
	if rest < 0 {
		rest = 0
	}
	return min(rest, checkInterval)
}

// slow runs when the counter runs out: it settles the chunk, enforces the
// instruction limit and runs the memory check.
func (b *budget) slow() {
	b.mu.Lock()
	if b.err != nil || b.left >= 0 {
		// Closed, or already settled.
		b.mu.Unlock()
		return
	}
	// The chunk's instructions ran, the one asking now, and any charge.
	b.used += b.chunk - b.left
	if b.limit > 0 && b.used > b.limit {
		b.mu.Unlock()
		b.stop(ErrInstructionLimit)
		return
	}
	b.chunk = b.nextChunkLocked()
	b.left = b.chunk
	check := b.check
	b.mu.Unlock()
	if check != nil {
		check()
	}
}

// callbackCost is what a call from Go back into Lua (pcall, a gsub
// replacement function, a __concat metamethod, resuming a coroutine)
// counts against the instruction limit on top of the instructions it
// runs: entering and leaving the VM from Go, and unwinding the Go stack on
// an error, cost about as much as this many instructions. It keeps loops
// of deeply nested failing callbacks from outrunning the limit.
const callbackCost = 16

// charge counts n instructions' worth of work done outside the VM loop.
func (b *budget) charge(n int64) {
	if n > 0 {
		b.left -= n
		if b.left < 0 {
			b.slow()
		}
	}
}

// stop closes the budget for reason err; the first reason wins. It
// reports whether this call closed it.
func (b *budget) stop(err error) bool {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return false
	}
	b.err = err
	close(b.done)
	fns := b.afterFuncs
	b.afterFuncs = nil
	b.mu.Unlock()
	for f := range fns {
		go (*f)()
	}
	return true
}

// stopped returns the reason the budget closed, nil while open, without
// waiting on anything.
func (b *budget) stopped() error { return b.Err() }
