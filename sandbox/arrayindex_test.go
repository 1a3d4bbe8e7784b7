package sandbox

import (
	"runtime"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestSparseIntegerKey checks that a large integer key does not pad the
// array part: `t[23200846] = 1` allocates little, and the table behaves
// as Lua's.
func TestSparseIntegerKey(t *testing.T) {
	s, _ := analysis(`
		local t = {}
		function process_message()
			t[23200846] = 1
			t[maxArrayIndex + 1] = 2
			t[1] = "a"
			assert(t[23200846] == 1 and t[maxArrayIndex + 1] == 2 and #t == 1)
			local n = 0
			for k, v in pairs(t) do n = n + 1 end
			assert(n == 3, n)
			t[23200846] = nil
			assert(t[23200846] == nil)
			return 0
		end
		function timer_event() end`).mustLoad(t)
	s.L.SetGlobal("maxArrayIndex", lua.LNumber(maxArrayIndex))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, _, err := s.ProcessMessage(testMessage(t, "a", "b")); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("t[23200846] = 1 allocated %d bytes", n)
	}
}

// TestLongSequence checks what doc.go says of sequences at maxArrayIndex:
// the array part holds up to maxArrayIndex-1 elements, then t[#t+1] = v
// lands in the hash part and # stops growing.
func TestLongSequence(t *testing.T) {
	s, _ := analysis(`
		function process_message()
			local t = long
			assert(#t == maxArrayIndex - 1 and t[maxArrayIndex - 1] == maxArrayIndex - 1)
			t[#t+1] = "past"
			assert(#t == maxArrayIndex - 1 and t[maxArrayIndex] == "past")
			t[#t] = nil
			assert(#t == maxArrayIndex - 2)
			return 0
		end
		function timer_event() end`).with("memory_limit", 0).mustLoad(t)
	long := s.L.CreateTable(maxArrayIndex-1, 0)
	for i := 1; i < maxArrayIndex; i++ {
		long.Append(lua.LNumber(i))
	}
	s.L.SetGlobal("long", long)
	s.L.SetGlobal("maxArrayIndex", lua.LNumber(maxArrayIndex))
	if _, _, err := s.ProcessMessage(testMessage(t, "a", "b")); err != nil {
		t.Fatal(err)
	}
}
