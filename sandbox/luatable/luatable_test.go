package luatable

import (
	"fmt"
	"math"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestFast fails when gopher-lua's LTable no longer has the layout the
// package writes: Table then still works, through the slow path, but the
// package should be brought up to date.
func TestFast(t *testing.T) {
	if !Fast() {
		t.Fatal("lua.LTable's layout changed: luatable builds tables through the public API (update ltable)")
	}
}

// dump lists a table as pairs visits it, and its length.
func dump(t *lua.LTable) string {
	var b strings.Builder
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		fmt.Fprintf(&b, "%s=%s ", k, v)
	}
	fmt.Fprintf(&b, "#%d", t.Len())
	return b.String()
}

// reference builds the table the documented way.
func reference(L *lua.LState, names []string, vals []lua.LValue) *lua.LTable {
	n := 0
	for _, v := range vals {
		if v != nil && v != lua.LNil {
			n++
		}
	}
	t := L.CreateTable(0, n)
	for i, v := range vals {
		if v != nil && v != lua.LNil {
			t.RawSetString(names[i], v)
		}
	}
	return t
}

// TestTableLikeRawSetString builds tables both ways and checks they hold
// the same values in the same order, before and after the same changes,
// made from Go and from Lua.
func TestTableLikeRawSetString(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	names := []string{"remote_addr", "time", "request", "status", "body_bytes_sent", "http_referer", "http_user_agent", "a", "b", "c"}
	var bx Boxes
	cases := map[string][]lua.LValue{
		"all":         {lua.LString("1.2.3.4"), lua.LNumber(1e18), lua.LString("GET /"), lua.LNumber(200), lua.LNumber(512), lua.LString("-"), lua.LString("curl"), lua.LTrue, lua.LFalse, L.NewTable()},
		"some absent": {lua.LString("1.2.3.4"), lua.LNil, lua.LString("GET /"), nil, lua.LNumber(512), lua.LNil, lua.LString("curl"), nil, nil, lua.LString("z")},
		"none":        make([]lua.LValue, len(names)),
		"boxed":       {bx.String("x"), bx.Number(1.5), bx.String(""), bx.Number(math.Inf(1)), nil, nil, nil, nil, nil, bx.Number(-0.25)},
	}
	edits := []struct {
		name string
		edit func(*lua.LTable)
	}{
		{"none", func(*lua.LTable) {}},
		{"delete", func(t *lua.LTable) { t.RawSetString("time", lua.LNil) }},
		{"delete first", func(t *lua.LTable) { t.RawSetString("remote_addr", lua.LNil) }},
		{"add", func(t *lua.LTable) { t.RawSetString("new", lua.LString("v")); t.RawSetString("new2", lua.LNumber(2)) }},
		{"delete and add back", func(t *lua.LTable) {
			t.RawSetString("request", lua.LNil)
			t.RawSetString("request", lua.LString("again"))
		}},
		{"array part", func(t *lua.LTable) { t.RawSetInt(1, lua.LString("one")); t.Append(lua.LString("two")) }},
		{"other keys", func(t *lua.LTable) {
			t.RawSet(lua.LTrue, lua.LString("t"))
			t.RawSet(lua.LNumber(0.5), lua.LString("h"))
		}},
	}
	shape := NewShape(names...)
	for cname, vals := range cases {
		for _, e := range edits {
			t.Run(cname+"/"+e.name, func(t *testing.T) {
				want := reference(L, names, vals)
				got := shape.Table(L, vals)
				if g, w := dump(got), dump(want); g != w {
					t.Fatalf("built:\n got %s\nwant %s", g, w)
				}
				e.edit(want)
				e.edit(got)
				if g, w := dump(got), dump(want); g != w {
					t.Fatalf("after the edit:\n got %s\nwant %s", g, w)
				}
				for _, n := range append(names, "new", "new2", "zzz") {
					if g, w := got.RawGetString(n), want.RawGetString(n); g != w {
						t.Fatalf("[%q] = %v, want %v", n, g, w)
					}
				}
			})
		}
	}
}

// TestTablesIndependent checks that tables of one shape, which share their
// key slice, do not see each other's changes.
func TestTablesIndependent(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	s := NewShape("a", "b", "c")
	for _, vals := range [][]lua.LValue{
		{lua.LNumber(1), lua.LNumber(2), lua.LNumber(3)},
		{lua.LNumber(1), lua.LNil, lua.LNumber(3)},
	} {
		t1, t2 := s.Table(L, vals), s.Table(L, vals)
		t1.RawSetString("d", lua.LNumber(4))
		t2.RawSetString("e", lua.LNumber(5))
		t1.RawSetString("a", lua.LNil)
		if got, want := dump(t2), dump(reference(L, []string{"a", "b", "c", "e"}, append(append([]lua.LValue(nil), vals...), lua.LNumber(5)))); got != want {
			t.Fatalf("t2 = %s, want %s", got, want)
		}
		if got := dump(s.Table(L, vals)); got != dump(reference(L, []string{"a", "b", "c"}, vals)) {
			t.Fatalf("a new table = %s", got)
		}
		if t1.RawGetString("e") != lua.LNil || t2.RawGetString("d") != lua.LNil {
			t.Fatal("a table sees another's key")
		}
	}
}

// TestTableFromLua runs Lua code over a built table: pairs, next,
// changes, table functions.
func TestTableFromLua(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	s := NewShape("x", "y", "z")
	var bx Boxes
	L.SetGlobal("make", L.NewFunction(func(L *lua.LState) int {
		L.Push(s.Table(L, []lua.LValue{bx.String(L.CheckString(1)), lua.LNil, bx.Number(float64(L.CheckNumber(2)))}))
		return 1
	}))
	err := L.DoString(`
		local t = make("a", 7)
		assert(t.x == "a" and t.y == nil and t.z == 7, "values")
		local keys = {}
		for k, v in pairs(t) do keys[#keys+1] = k .. "=" .. tostring(v) end
		assert(table.concat(keys, ",") == "x=a,z=7", table.concat(keys, ","))
		t.z = nil t.y = "b" t.w = 1
		keys = {}
		for k, v in pairs(t) do keys[#keys+1] = k .. "=" .. tostring(v) end
		assert(table.concat(keys, ",") == "x=a,y=b,w=1", table.concat(keys, ","))
		local u = make("c", 8)
		assert(u.w == nil and u.y == nil and u.x == "c" and u.z == 8, "second table")
		assert(t.x .. u.x == "ac", "strings")
		assert(make("a", 7).z == 7 and make("a", 7).x == "a", "equal values")
		local h = {} h[make("k", 1).x] = true assert(h.k, "a boxed string as a key")
		assert(make("", 0.5).z * 2 == 1, "numbers")
	`)
	if err != nil {
		t.Fatal(err)
	}
}

// TestDuplicateNames takes the slow path, with RawSetString's result.
func TestDuplicateNames(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	names := []string{"a", "b", "a"}
	vals := []lua.LValue{lua.LNumber(1), lua.LNumber(2), lua.LNumber(3)}
	if got, want := dump(NewShape(names...).Table(L, vals)), dump(reference(L, names, vals)); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestBoxes checks that boxed values equal converted ones, across block
// boundaries, and stay intact while later values are made.
func TestBoxes(t *testing.T) {
	var b Boxes
	var strs, nums []lua.LValue
	for i := range 3*blockSize + 5 {
		strs = append(strs, b.String(fmt.Sprint("s", i)))
		nums = append(nums, b.Number(float64(i)+0.5))
	}
	for i := range strs {
		if strs[i] != lua.LValue(lua.LString(fmt.Sprint("s", i))) {
			t.Fatalf("string %d = %v", i, strs[i])
		}
		if s, ok := strs[i].(lua.LString); !ok || string(s) != fmt.Sprint("s", i) {
			t.Fatalf("string %d asserts to %q, %v", i, s, ok)
		}
		if nums[i] != lua.LValue(lua.LNumber(float64(i)+0.5)) || nums[i].Type() != lua.LTNumber {
			t.Fatalf("number %d = %v", i, nums[i])
		}
	}
}

func BenchmarkTable(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	names := []string{"remote_addr", "remote_user", "time", "request", "status", "body_bytes_sent", "http_referer", "http_user_agent"}
	vals := []lua.LValue{lua.LString("1.2.3.4"), lua.LString("-"), lua.LNumber(1e18), lua.LString("GET /"),
		lua.LNumber(200), lua.LNumber(512), lua.LString("-"), lua.LString("curl")}
	b.Run("RawSetString", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			reference(L, names, vals)
		}
	})
	b.Run("Shape", func(b *testing.B) {
		s := NewShape(names...)
		b.ReportAllocs()
		for range b.N {
			s.Table(L, vals)
		}
	})
}

func BenchmarkBoxes(b *testing.B) {
	line := strings.Repeat("x", 200)
	var sink lua.LValue
	b.Run("convert", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			sink = lua.LString(line[i%100 : i%100+10])
		}
	})
	b.Run("Boxes", func(b *testing.B) {
		var bx Boxes
		b.ReportAllocs()
		for i := range b.N {
			sink = bx.String(line[i%100 : i%100+10])
		}
	})
	_ = sink
}

// TestAll checks that All visits what Next visits, in the same order, on
// tables built every way and changed every way.
func TestAll(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(`
		tables = {
			{}, {1, 2, 3}, {a = 1, b = 2, c = 3}, {1, nil, 3, x = "y", [2.5] = true, [true] = false},
		}
		local t = {a = 1, b = 2, c = 3} t.b = nil t.d = 4 t.b = 5 t[1] = "one" t[3] = "three"
		tables[#tables+1] = t
		local u = {} for i = 1, 20 do u["k" .. i] = i end for i = 1, 20, 3 do u["k" .. i] = nil end
		tables[#tables+1] = u
		local v = {1, 2, 3} v[2] = nil v[-1] = "neg" v[0] = "zero"
		tables[#tables+1] = v
	`); err != nil {
		t.Fatal(err)
	}
	var all []*lua.LTable
	L.GetGlobal("tables").(*lua.LTable).ForEach(func(_, v lua.LValue) { all = append(all, v.(*lua.LTable)) })
	all = append(all, NewShape("a", "b", "c").Table(L, []lua.LValue{lua.LNumber(1), lua.LNil, lua.LString("c")}))
	for i, tb := range all {
		var want, got strings.Builder
		for k, v := tb.Next(lua.LNil); k != lua.LNil; k, v = tb.Next(k) {
			fmt.Fprintf(&want, "%s=%s ", k, v)
		}
		for k, v := range All(tb) {
			fmt.Fprintf(&got, "%s=%s ", k, v)
		}
		if got.String() != want.String() {
			t.Errorf("table %d: All visits %q, Next %q", i, got.String(), want.String())
		}
		n := 0
		for range All(tb) {
			n++
			break
		}
		if n > 1 {
			t.Errorf("table %d: All goes on after break", i)
		}
	}
}
