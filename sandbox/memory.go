package sandbox

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// gopher-lua allocates from the Go heap and has no allocator hook, so a
// plugin's memory_limit is enforced from three sides:
//
//   - Size caps: the built-ins that can build a large value in one call
//     (string.rep, string.format, string.gsub, table.concat, the ..
//     operator, io reads, read_message) refuse a result larger than the
//     limit ("not enough memory", which pcall can catch; nothing was
//     allocated), and count what they allocate.
//   - A heap estimate: a walk of everything the plugin's Lua code can
//     reach (globals, the registry, the stacks of its coroutines, closure
//     upvalues), pricing each value (see walker). It runs when the
//     process heap (runtime/metrics, read every checkInterval instructions
//     and after calls) or the built-ins' allocations have grown by half
//     the room left under the limit since the last walk, and no more often
//     than every walkRatio instructions per object the last walk visited,
//     so walks cost a bounded share of the plugin's time. An estimate over
//     the limit terminates the plugin ("not enough memory (memory_limit
//     exceeded)"); pcall cannot catch it.
//   - A process backstop: SetProcessMemoryLimit sets the Go runtime's soft
//     memory limit from the sum of the plugins' limits.
//
// Between two walks a plugin can grow past its limit by at most about half
// of what its last walk found (the walk spacing), or by what it allocates
// in checkInterval instructions.

const (
	// minTrigger is the least heap growth that starts a walk.
	minTrigger = 64 << 10
	// walkRatio is how many instructions must run, per object the last
	// walk visited, before the next walk (about the cost ratio of one
	// instruction to one object visited).
	walkRatio = 4
	// afterCallEvery is how many calls may pass without a heap check when
	// the built-ins allocated nothing.
	afterCallEvery = 64
	// hardStringCap caps one string built by a built-in when the plugin has
	// no memory limit.
	hardStringCap = 1 << 30
)

// MemSizer is implemented by the Value of userdata that own memory the
// heap estimate should count (buffers of a module's objects).
type MemSizer interface {
	// MemSize returns the bytes the value holds, beyond the userdata.
	MemSize() int
}

// memWatch is a plugin's memory accounting; it belongs to the goroutine
// running the plugin.
type memWatch struct {
	limit     int64
	estimate  int64  // bytes, last walk
	objects   int    // values visited by the last walk
	baseline  uint64 // process heap after the last walk, lowered as the heap shrinks
	own       int64  // bytes the built-ins allocated since the last walk
	sinceWalk int64  // instructions since the last walk, in checkInterval steps
	calls     int    // calls since the last heap read
	sample    []metrics.Sample
	w         walker
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func (m *memWatch) init(limit int64) {
	m.limit = limit
	m.sample = []metrics.Sample{{Name: heapMetric}}
}

// heap reads the bytes of live and not yet swept heap objects.
func (m *memWatch) heap() uint64 {
	metrics.Read(m.sample)
	if m.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m.sample[0].Value.Uint64()
}

// memCheckSlow is the budget's periodic memory check.
func (s *Sandbox) memCheckSlow() {
	s.mem.sinceWalk += checkInterval
	s.memCheck()
}

// memCheckAfterCall checks the heap after a call when the call allocated
// through the built-ins, and every afterCallEvery calls otherwise.
func (s *Sandbox) memCheckAfterCall() {
	m := &s.mem
	m.calls++
	if m.own == 0 && m.calls < afterCallEvery {
		return
	}
	s.memCheck()
}

// memCheck walks the plugin's heap when it may have grown enough to
// matter.
func (s *Sandbox) memCheck() {
	m := &s.mem
	m.calls = 0
	if m.limit <= 0 {
		return
	}
	h := m.heap()
	if h < m.baseline {
		m.baseline = h
	}
	grown := int64(h-m.baseline) + m.own
	trigger := max(minTrigger, (m.limit-m.estimate)/2)
	if grown < trigger {
		return
	}
	if m.own < trigger && m.sinceWalk < int64(m.objects)*walkRatio {
		return
	}
	s.memWalk()
}

// memWalk computes the heap estimate and enforces the limit.
func (s *Sandbox) memWalk() {
	m := &s.mem
	est, objects := m.w.estimate(s)
	m.estimate, m.objects = est, objects
	m.own, m.sinceWalk = 0, 0
	if m.limit > 0 {
		m.baseline = m.heap()
	}
	s.mu.Lock()
	s.stats.CurrentMemory = est
	if est > s.stats.MaxMemory {
		s.stats.MaxMemory = est
	}
	s.mu.Unlock()
	if m.limit > 0 && est > m.limit {
		s.b.stop(ErrMemoryLimit)
	}
}

// checkAlloc is called by built-ins before they build a value of n bytes:
// it raises "not enough memory" when n alone is over the plugin's limit,
// counts n, and raises the plugin's termination when the memory check that
// the count may start fails.
func checkAlloc(L *lua.LState, n int64) {
	b, ok := L.Context().(*budget)
	if !ok || b.sb == nil {
		if n > hardStringCap {
			L.RaiseError("not enough memory")
		}
		return
	}
	b.sb.alloc(L, n)
}

func (s *Sandbox) alloc(L *lua.LState, n int64) {
	m := &s.mem
	limit := m.limit
	if limit <= 0 {
		limit = hardStringCap
	}
	if n > limit {
		L.RaiseError("not enough memory")
	}
	if m.limit <= 0 {
		return
	}
	m.own += n
	if m.own >= max(minTrigger, (m.limit-m.estimate)/2) {
		s.memCheck()
		if err := s.b.stopped(); err != nil {
			L.Error(lua.LString(err.Error()), 0)
		}
	}
}

// walker computes a heap estimate: the bytes of every value the plugin can
// reach, priced as gopher-lua stores them on amd64:
//
//	string            24 + length (a long string reached twice counts once)
//	number, boolean   8 (the boxed value in a table slot)
//	table             128 + 24 per array slot + 160 per hash entry (+ the
//	                  length of a string key)
//	function          64 + 64 per upvalue
//	userdata          64 + MemSize() of its value when it reports one
//	coroutine         8 KiB + 16 per value-stack slot, + 80 per call frame
//
// plus the plugin's payload and message buffers. Prototypes (code) are
// shared between states and not counted. The prices were calibrated
// against the Go heap gopher-lua v1.1.2 really uses for such values
// (TestMemoryEstimateCalibration): the estimate is within about 25% of it
// for tables of strings, numbers and tables.
type walker struct {
	seen  map[unsafe.Pointer]struct{}
	stack []lua.LValue
	nums  []lua.LValue // boxed small numbers, see number
	bytes int64
	n     int
}

const longString = 64

func (w *walker) estimate(s *Sandbox) (int64, int) {
	if w.seen == nil {
		w.seen = make(map[unsafe.Pointer]struct{})
	}
	w.bytes, w.n = 0, 0
	L := s.L
	w.push(L.G.Global)
	w.push(L.G.Registry)
	w.thread(L)
	w.drain()
	if s.payload != nil {
		w.bytes += int64(s.payload.Len())
	}
	w.bytes += int64(cap(s.buf))
	clear(w.seen)
	w.stack = w.stack[:0]
	return w.bytes, w.n
}

// mark reports whether p is seen for the first time.
func (w *walker) mark(p unsafe.Pointer) bool {
	if _, ok := w.seen[p]; ok {
		return false
	}
	w.seen[p] = struct{}{}
	return true
}

// push adds a value to the walk, counting scalars at once.
func (w *walker) push(v lua.LValue) {
	w.n++
	switch v := v.(type) {
	case lua.LString:
		if len(v) >= longString {
			if !w.mark(unsafe.Pointer(unsafe.StringData(string(v)))) {
				w.bytes += 16
				return
			}
		}
		w.bytes += 24 + int64(len(v))
	case lua.LNumber, lua.LBool:
		w.bytes += 8
	case *lua.LTable, *lua.LFunction, *lua.LUserData, *lua.LState:
		w.stack = append(w.stack, v)
	}
}

func (w *walker) drain() {
	for len(w.stack) > 0 {
		v := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		switch v := v.(type) {
		case *lua.LTable:
			w.table(v)
		case *lua.LFunction:
			if !w.mark(unsafe.Pointer(v)) {
				continue
			}
			w.bytes += 64
			if v.Env != nil {
				w.push(v.Env)
			}
			for _, uv := range v.Upvalues {
				if uv != nil {
					w.bytes += 64
					w.push(uv.Value())
				}
			}
		case *lua.LUserData:
			if !w.mark(unsafe.Pointer(v)) {
				continue
			}
			w.bytes += 64
			if ms, ok := v.Value.(MemSizer); ok {
				w.bytes += int64(ms.MemSize())
			}
			w.push(v.Metatable)
			if v.Env != nil {
				w.push(v.Env)
			}
		case *lua.LState:
			w.thread(v)
		}
	}
}

func (w *walker) table(t *lua.LTable) {
	if !w.mark(unsafe.Pointer(t)) {
		return
	}
	w.bytes += 128
	w.push(t.Metatable)
	n := t.MaxN()
	for i := 1; i <= n; i++ {
		w.bytes += 24
		if v := t.RawGetInt(i); v != lua.LNil {
			w.push(v)
		}
	}
	var k lua.LValue = lua.LNil
	if n > 0 {
		k = w.number(n)
	}
	for {
		var v lua.LValue
		k, v = t.Next(k)
		if k == lua.LNil {
			break
		}
		w.bytes += 160
		if _, ok := k.(lua.LString); !ok {
			w.push(k)
		} else {
			w.bytes += int64(len(k.(lua.LString)))
		}
		w.push(v)
	}
}

// number returns n as a Lua value, boxed once per walker for small n.
func (w *walker) number(n int) lua.LValue {
	if n >= len(w.nums) {
		if n >= 4096 {
			return lua.LNumber(n)
		}
		for i := len(w.nums); i <= n; i++ {
			w.nums = append(w.nums, lua.LNumber(i))
		}
	}
	return w.nums[n]
}

// thread counts a coroutine (or the main state): its stack and the locals
// of its active frames.
func (w *walker) thread(L *lua.LState) {
	if !w.mark(unsafe.Pointer(L)) {
		return
	}
	w.bytes += 8<<10 + 16*int64(L.Options.RegistrySize) + 80*int64(L.Options.CallStackSize)
	if L.Env != nil {
		w.push(L.Env)
	}
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		for i := 1; ; i++ {
			name, v := L.GetLocal(dbg, i)
			if name == "" {
				break
			}
			w.push(v)
		}
	}
	for i, top := 1, L.GetTop(); i <= top; i++ {
		w.push(L.Get(i))
	}
}

// SetProcessMemoryLimit sets the Go runtime's soft memory limit
// (debug.SetMemoryLimit) as a backstop for the plugins' limits: base bytes
// for the daemon itself plus twice pluginLimits, the sum of the plugins'
// memory_limit (the Go heap holds about twice what the estimate counts,
// with garbage). A limit given in the GOMEMLIMIT environment variable is
// left alone. It returns the backstop in force afterwards. The soft limit
// makes the collector work harder near it; it does not stop a runaway
// plugin, the per-plugin checks do. With PaceGC on, the limit in force is
// the pacer's, which never exceeds the backstop.
func SetProcessMemoryLimit(base, pluginLimits int64) int64 {
	if os.Getenv("GOMEMLIMIT") != "" || base < 0 || pluginLimits <= 0 {
		pacer.mu.Lock()
		defer pacer.mu.Unlock()
		pacer.backstop = math.MaxInt64
		if pacer.on {
			paceLocked()
			return math.MaxInt64
		}
		return debug.SetMemoryLimit(-1)
	}
	limit := base + 2*pluginLimits
	if limit < 0 || pluginLimits > math.MaxInt64/4 {
		limit = math.MaxInt64
	}
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	pacer.backstop = limit
	if pacer.on {
		paceLocked()
	} else {
		debug.SetMemoryLimit(limit)
	}
	return limit
}
