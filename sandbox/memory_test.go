package sandbox

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestMemoryBombs(t *testing.T) {
	bombs := map[string]string{
		"rep loop":       `require "string" local t = {} while true do t[#t+1] = string.rep("x", 1000) end`,
		"table loop":     `local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end`,
		"global loop":    `big = {} local i = 0 while true do i = i + 1 big[i] = "v" .. i end`,
		"upvalue loop":   `local t = {} local function add() t[#t+1] = {1, 2, 3} end while true do add() end`,
		"concat doubles": `local s = "x" while true do s = s .. s end`,
		"concat chain":   `require "table" local parts = {} for i = 1, 100 do parts[i] = "0123456789" end local s = table.concat(parts) local t = {} while true do t[#t+1] = s .. s .. s end`,
		"coroutine loop": `require "coroutine" local t = {} coroutine.wrap(function() while true do t[#t+1] = {} end end)()`,
		"gsub growth":    `require "string" local s = "xx" while true do s = s:gsub("x", "xx") end`,
		"format growth":  `require "string" local s = "x" while true do s = string.format("%s%s", s, s) end`,
		"table.concat":   `require "table" local t = {"x"} while true do t = {table.concat(t), table.concat(t)} end`,
	}
	for name, bomb := range bombs {
		t.Run(name, func(t *testing.T) {
			runtime.GC()
			before := heapBytes()
			s, _ := input("function process_message() "+bomb+" return 0 end").
				with("instruction_limit", 0).with("memory_limit", 8<<20).mustLoad(t)
			err := within(t, 5*time.Second, func() error {
				_, _, err := s.ProcessInput(Checkpoint{})
				return err
			})
			after := heapBytes()
			te := wantTerminated(t, err, nil, "process_message() ")
			t.Logf("%s; heap grew %d MiB", te.Reason, (int64(after)-int64(before))>>20)
			if after > before+256<<20 {
				t.Errorf("heap grew by %d MiB", (after-before)>>20)
			}
			healthy(t)
		})
	}
}

func TestSingleHugeAllocations(t *testing.T) {
	// Each of these is refused before anything is allocated, and pcall can
	// catch it, as the reference's allocator failure.
	cases := map[string]string{
		"string.rep":   `string.rep("x", 4e8)`,
		"rep overflow": `string.rep("xxxxxxxx", 2^62)`,
		"concat":       `local s = string.rep("x", 3e6) return s .. s .. s`,
		"table.concat": `local s = string.rep("x", 5e6) return table.concat({s, s})`,
		"gsub":         `local s = string.rep("x", 1e6) return s:gsub("x", "0123456789")`,
	}
	for name, expr := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := input(`require "string" require "table"
				function process_message()
					local ok, err = pcall(function() `+expr+` end)
					assert(not ok and err:find("not enough memory"), tostring(err))
					return 0
				end`).with("memory_limit", 8<<20).mustLoad(t)
			if _, _, err := s.ProcessInput(Checkpoint{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestMemoryEstimateTracksData(t *testing.T) {
	s, _ := input(`
		require "string"
		data = {}
		function process_message(n)
			for i = 1, n do data[#data+1] = string.rep("x", 100) .. i end
			return 0
		end`).with("memory_limit", 0).mustLoad(t)
	s.memWalk()
	base := s.Stats().CurrentMemory
	if _, _, err := s.ProcessInput(Checkpoint{Kind: CheckpointNumber, Number: 10000}); err != nil {
		t.Fatal(err)
	}
	s.memWalk()
	grown := s.Stats().CurrentMemory - base
	// 10000 strings of ~105 bytes in an array: about 1.4 MB by the price
	// list.
	if grown < 1_000_000 || grown > 2_000_000 {
		t.Fatalf("estimate grew by %d bytes", grown)
	}
}

// TestMemoryEstimateCalibration compares the heap estimate with the Go
// heap gopher-lua really uses for typical plugin data.
func TestMemoryEstimateCalibration(t *testing.T) {
	for _, src := range []string{
		`data = {} for i = 1, 100000 do if i % 2 == 0 then data[i] = "value " .. i else data["k" .. i] = {i, "x"} end end`,
		`data = {} for i = 1, 100000 do data[i] = {} end`,
		`data = {} for i = 1, 100000 do data[i] = "value" .. i end`,
		`data = {} for i = 1, 100000 do data["k" .. i] = i end`,
		`require "string" data = {} for i = 1, 1000 do data[i] = string.rep("x", 10000) .. i end`,
	} {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		s, _ := input(src+" function process_message() return 0 end").with("instruction_limit", 0).with("memory_limit", 0).mustLoad(t)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		real := int64(ms.HeapAlloc) - int64(before)
		s.memWalk()
		est := s.Stats().CurrentMemory
		ratio := float64(est) / float64(real)
		t.Logf("%-60.60s heap %9d estimate %9d ratio %.2f", src, real, est, ratio)
		if ratio < 0.5 || ratio > 1.5 {
			t.Errorf("estimate/heap = %.2f", ratio)
		}
		runtime.KeepAlive(s)
	}
}

func TestSetProcessMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT set")
	}
	got := SetProcessMemoryLimit(256<<20, 10*8<<20)
	if want := int64(256<<20 + 2*10*8<<20); got != want || debug.SetMemoryLimit(-1) != want {
		t.Fatalf("limit %d, want %d", got, want)
	}
}
