// Package luatable builds gopher-lua values in bulk, for Go modules that
// hand Lua a new table per record (a parser's capture table, a decoded
// message): a table of string keys with fewer allocations than
// LState.CreateTable and LTable.RawSetString make, and Lua strings and
// numbers boxed from shared blocks instead of one allocation each.
//
// # What it builds
//
// Shape.Table(L, vals) returns exactly the table that
//
//	t := L.CreateTable(0, n)
//	for i, name := range names {
//		if vals[i] != lua.LNil {
//			t.RawSetString(name, vals[i])
//		}
//	}
//
// returns: the same values, next (pairs) visiting the keys in the same
// order, and the same behaviour when Lua code changes the table later.
// gopher-lua's LTable keeps its string keys in a map, plus a slice of the
// keys and a map from key to slice index (the order next follows); its
// API grows both one key at a time and boxes each key into an interface.
// Table makes the map of values at its final size, clones the index map
// from a template (a copy of its memory, no hashing) and shares the key
// slice between the tables of a shape (its length equals its capacity,
// and gopher-lua only ever appends to it, which copies), so a table of up
// to eight keys costs five allocations, against about 3n + 5.
//
// Boxes hands out lua.LString and lua.LNumber values whose data lives in
// blocks of 32: converting a Go string or float64 to lua.LValue allocates
// 16 or 8 bytes each time; a Boxes allocates once per block. A block stays
// alive while any value from it does (at most 32 string headers or 256
// bytes of numbers, and the strings they point to).
//
// # How, and the safety net
//
// LTable's fields are unexported, so Table writes them through a struct
// with the same layout. The package checks, when it starts, that the
// layout is the one it was written for (gopher-lua v1.1.2: field names,
// types and offsets, with reflect); if not, Table falls back to the public
// API (same result, more allocations) and Fast reports false, which a
// test asserts so that a gopher-lua upgrade is noticed. Boxes builds
// interface values from their type word and a data pointer, the layout
// every Go release has used for interfaces; the data it points to is
// never written again.
//
// Shape and Boxes are not safe for concurrent use except where noted: a
// Lua state runs on one goroutine, and each keeps its own.
package luatable
