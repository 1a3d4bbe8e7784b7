package sandbox

import lua "github.com/yuin/gopher-lua"

// maxArrayIndex bounds the array part of every Lua table: gopher-lua
// stores an integer key k below lua.MaxArrayIndex in the array part and
// pads it with nils up to k, so with its default (64 Mi) `t[23200846] = 1`
// (a table keyed by minute numbers) allocates some 370 MB at once, before
// any memory check can run. Keys from maxArrayIndex up go to the hash part,
// as any other key. The cost: gopher-lua's # and ipairs only see the
// array part, so a sequence cannot grow past maxArrayIndex-1 elements with
// t[#t+1] = v (the next element lands in the hash part, # stays), and
// elements appended with table.insert past that index are not found by
// t[i] (see doc.go). A sequence that long takes 16 MiB of Go heap, more
// than a default memory_limit allows.
const maxArrayIndex = 1 << 20

func init() { lua.MaxArrayIndex = maxArrayIndex }
