package config

import (
	"math"
	"slices"
	"testing"
)

func TestTable(t *testing.T) {
	tab := NewTable("x.toml")
	tab.Set("b", "two")
	tab.Set("a", 1)
	tab.Put(Entry{Key: IntKey(2), Value: true, Line: 7})
	tab.Put(Entry{Key: IntKey(-1), Value: uint8(3)})
	tab.Set("c", mustTable("d", 1.5))
	tab.Set("b", "again")

	var keys []string
	for k := range tab.All() {
		keys = append(keys, k.String())
	}
	if want := []string{"[-1]", "[2]", "a", "b", "c"}; !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	if v, _ := tab.Get("a"); v != 1.0 {
		t.Errorf("a = %v (%T), want float64 1", v, v)
	}
	if v, _ := tab.Get("b"); v != "again" {
		t.Errorf("b = %v", v)
	}
	if v, ok := tab.Lookup(IntKey(2)); !ok || v != true {
		t.Errorf("[2] = %v, %v", v, ok)
	}
	if _, ok := tab.Get("2"); ok {
		t.Error(`string key "2" found for integer key 2`)
	}
	if n, ok := IntKey(2).Index(); !ok || n != 2 || IntKey(2).Name() != "" {
		t.Error("IntKey accessors")
	}
	if _, ok := StringKey("x").Index(); ok || StringKey("x").Name() != "x" {
		t.Error("StringKey accessors")
	}

	c := tab.Clone()
	if !Equal(c, tab) {
		t.Error("clone differs")
	}
	sub, _, _ := c.GetTable("c")
	sub.Set("d", 2.5)
	orig, _, _ := tab.GetTable("c")
	if v, _ := orig.Get("d"); v != 1.5 {
		t.Error("clone shares nested tables")
	}
	if Equal(c, tab) {
		t.Error("Equal misses a nested difference")
	}
	c.Delete("c")
	c.Delete("missing")
	if c.Len() != 4 || tab.Len() != 5 {
		t.Errorf("Len = %d, %d", c.Len(), tab.Len())
	}
	if Equal(1.0, "1") || !Equal("x", "x") || Equal(math.NaN(), math.NaN()) || Equal(mustTable(), 1.0) {
		t.Error("Equal on scalars")
	}

	defer func() {
		if recover() == nil {
			t.Error("Set of an unsupported type did not panic")
		}
	}()
	tab.Set("bad", []int{1})
}

func TestGetters(t *testing.T) {
	tab, err := ParseLua("g.cfg", []byte("s = 'x'\nb = true\nn = 3\nt = {}\nf = 2.5\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, err := tab.GetString("s"); v != "x" || !ok || err != nil {
		t.Errorf("GetString = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := tab.GetBool("b"); !v || !ok || err != nil {
		t.Errorf("GetBool = %v, %v, %v", v, ok, err)
	}
	if v, ok, err := tab.GetUint("n"); v != 3 || !ok || err != nil {
		t.Errorf("GetUint = %v, %v, %v", v, ok, err)
	}
	if v, ok, err := tab.GetTable("t"); v == nil || !ok || err != nil {
		t.Errorf("GetTable = %v, %v, %v", v, ok, err)
	}
	_, _, err = tab.GetString("n")
	wantError(t, err, ErrType, "g.cfg", 3, "n")
	_, _, err = tab.GetBool("s")
	wantError(t, err, ErrType, "g.cfg", 1, "s")
	_, _, err = tab.GetTable("b")
	wantError(t, err, ErrType, "g.cfg", 2, "b")
	_, _, err = tab.GetUint("f")
	wantError(t, err, ErrType, "g.cfg", 5, "f")
	if _, ok, err := tab.GetUint("none"); ok || err != nil {
		t.Errorf("absent key: %v, %v", ok, err)
	}
}

func TestErrorFormat(t *testing.T) {
	cases := []struct {
		e    *Error
		want string
	}{
		{&Error{File: "a.cfg", Line: 3, Key: "k", Err: ErrType}, "a.cfg:3: k: wrong type"},
		{&Error{File: "a.cfg", Key: "k", Err: ErrMissing}, "a.cfg: k: missing required key"},
		{&Error{File: "a.cfg", Line: 1, Err: ErrBudget}, "a.cfg:1: instruction budget exceeded"},
		{&Error{File: "a.toml", Line: 2, Key: "a b", Err: ErrRange}, `a.toml:2: "a b": number out of range`},
		{&Error{File: "a.toml", Line: 2, Key: "t[2].x", Err: ErrRange}, `a.toml:2: t[2].x: number out of range`},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}
