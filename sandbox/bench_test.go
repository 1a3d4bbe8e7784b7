package sandbox

import (
	"fmt"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

type nopHost struct{}

func (nopHost) Inject([]byte, Checkpoint) error { return nil }

func benchAnalysis(b *testing.B, src string, limits ...any) *Sandbox {
	b.Helper()
	p := analysis(src + "\nfunction timer_event() end")
	for i := 0; i+1 < len(limits); i += 2 {
		p = p.with(limits[i].(string), limits[i+1])
	}
	s, _, err := p.load(b)
	if err != nil {
		b.Fatal(err)
	}
	s.host = nopHost{}
	return s
}

func BenchmarkProcessMessageEmpty(b *testing.B) {
	s := benchAnalysis(b, `function process_message() return 0 end`)
	v := testMessage(b, "web", "payload")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.ProcessMessage(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcessMessageEmptyUnlimited(b *testing.B) {
	s := benchAnalysis(b, `function process_message() return 0 end`, "instruction_limit", 0, "memory_limit", 0)
	v := testMessage(b, "web", "payload")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.ProcessMessage(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadMessageHeader(b *testing.B) {
	s := benchAnalysis(b, `local rm = read_message
		function process_message() local t = rm("Type") return 0 end`)
	v := testMessage(b, "web", "payload")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.ProcessMessage(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadMessageField(b *testing.B) {
	s := benchAnalysis(b, `local rm = read_message
		function process_message() local n = rm("Fields[n]") return 0 end`)
	v := testMessage(b, "web", "payload")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.ProcessMessage(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInjectMessage12Fields measures one process_message call that
// builds and injects a message with 12 fields (table construction
// included).
func BenchmarkInjectMessage12Fields(b *testing.B) {
	s := benchAnalysis(b, `
		local msg = {Type = "bench", Payload = "some payload text", Severity = 6, Fields = {}}
		function process_message()
			local f = msg.Fields
			f.s1 = "alpha" f.s2 = "beta" f.s3 = "gamma"
			f.d1 = 1.5 f.d2 = 2.5 f.d3 = 3.5
			f.i1 = {value = 1, value_type = 2} f.i2 = {value = 2, value_type = 2}
			f.b1 = true f.b2 = false
			f.a1 = {1, 2, 3} f.r1 = {value = "10.0.0.1", representation = "ipv4"}
			inject_message(msg)
			return 0
		end`, "process_message_inject_limit", 1)
	v := testMessage(b, "web", "payload")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.ProcessMessage(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryEstimate measures one heap walk over a plugin holding n
// table entries (strings and small tables).
func BenchmarkMemoryEstimate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := benchAnalysis(b, fmt.Sprintf(`require "string"
				data = {}
				for i = 1, %d do
					if i %% 2 == 0 then data[i] = "value " .. i else data["k" .. i] = {i, "x"} end
				end
				function process_message() return 0 end`, n), "memory_limit", 0, "instruction_limit", 0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s.memWalk()
			}
			b.StopTimer()
			b.ReportMetric(float64(s.Stats().CurrentMemory), "estimate-bytes")
			b.ReportMetric(float64(s.mem.objects), "values")
		})
	}
}

// BenchmarkInstructions runs a tight Lua loop, to compare the cost of the
// instruction budget (the context-aware VM loop) with an unlimited call.
func BenchmarkInstructions(b *testing.B) {
	for _, limit := range []int{-1, 0, 1_000_000_000} {
		name := fmt.Sprintf("limit=%d", limit)
		if limit < 0 {
			name = "no-budget"
		}
		b.Run(name, func(b *testing.B) {
			s := benchAnalysis(b, `function process_message()
				local x = 0 for i = 1, 100000 do x = x + i % 7 end return 0 end`, "instruction_limit", max(limit, 0))
			if limit < 0 {
				s.L.RemoveContext() // gopher-lua's plain VM loop, for comparison
			}
			v := testMessage(b, "a", "b")
			b.ResetTimer()
			for range b.N {
				if _, _, err := s.ProcessMessage(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConcat compares the sandbox's checked concatenation with
// gopher-lua's CONCAT opcode on the same code.
func BenchmarkConcat(b *testing.B) {
	const src = `local n = 0 for i = 1, 1000 do local s = "a" .. i .. "b" .. "c" n = n + #s end return n`
	b.Run("sandbox", func(b *testing.B) {
		s := benchAnalysis(b, "function process_message() "+src+" end", "instruction_limit", 0)
		fn := s.L.GetGlobal("process_message")
		b.ResetTimer()
		for range b.N {
			if err := s.L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}); err != nil {
				b.Fatal(err)
			}
			s.L.Pop(1)
		}
	})
	b.Run("gopher-lua", func(b *testing.B) {
		L := lua.NewState()
		defer L.Close()
		fn, err := L.LoadString(src)
		if err != nil {
			b.Fatal(err)
		}
		L.SetContext(newBudget()) // the same VM loop, so only concat differs
		b.ResetTimer()
		for range b.N {
			if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}); err != nil {
				b.Fatal(err)
			}
			L.Pop(1)
		}
	})
}
