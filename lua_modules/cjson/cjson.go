package cjson

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox"
)

// Name is what plugins require.
const Name = "cjson"

// Version is the module's _VERSION, the sandbox build's.
const Version = "2.1.0"

// maxNesting bounds the depth of encode and decode whatever the plugin
// sets, so a deep or cyclic table cannot exhaust the goroutine's stack.
const maxNesting = 4000

// keepBuffer is the largest encode buffer kept between calls.
const keepBuffer = 256 << 10

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: Name, Open: Open})
}

// Invalid number encodings: the values of encode_invalid_numbers.
const (
	invalidOff  = 0 // error
	invalidOn   = 1 // NaN, Infinity, -Infinity
	invalidNull = 2 // null
)

// state is the module's settings and buffers in one Lua state.
type state struct {
	sparseConvert  bool
	sparseRatio    int
	sparseSafe     int
	encodeMaxDepth int
	decodeMaxDepth int
	encodeInvalid  int
	decodeInvalid  bool
	decodeNull     bool
	precision      int

	null *lua.LUserData

	outLimit int64 // bytes, 0 = none
	memLimit int64 // bytes, 0 = none

	enc encoder
	dec decoder
}

func newState(L *lua.LState) *state {
	st := &state{
		sparseRatio:    2,
		sparseSafe:     10,
		encodeMaxDepth: 1000,
		decodeMaxDepth: 1000,
		decodeInvalid:  true,
		precision:      14,
		null:           L.NewUserData(),
		outLimit:       sandbox.OutputLimit(L),
		memLimit:       sandbox.MemoryLimit(L),
	}
	st.enc.st = st
	st.dec.st = st
	return st
}

// Open is the module's loader: it builds the cjson table and sets the
// global cjson to it.
func Open(L *lua.LState) int {
	st := newState(L)
	t := L.CreateTable(0, 12)
	for name, fn := range map[string]lua.LGFunction{
		"encode":                  st.encode,
		"decode":                  st.decode,
		"encode_sparse_array":     st.cfgSparseArray,
		"encode_max_depth":        st.cfgEncodeMaxDepth,
		"decode_max_depth":        st.cfgDecodeMaxDepth,
		"encode_number_precision": st.cfgPrecision,
		"encode_invalid_numbers":  st.cfgEncodeInvalid,
		"decode_invalid_numbers":  st.cfgDecodeInvalid,
		"decode_null":             st.cfgDecodeNull,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	t.RawSetString("null", st.null)
	t.RawSetString("_NAME", lua.LString(Name))
	t.RawSetString("_VERSION", lua.LString(Version))
	L.SetGlobal(Name, t)
	L.Push(t)
	return 1
}

// argInit checks that the function got at most n arguments, as Lua CJSON's
// settings do.
func argInit(L *lua.LState, fn string, n int) {
	if L.GetTop() > n {
		argError(L, n+1, fn, "found too many arguments")
	}
	for L.GetTop() < n {
		L.Push(lua.LNil)
	}
}

func argError(L *lua.LState, n int, fn, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fn, msg)
}

// intOption applies argument i, if not nil, to an integer setting in
// [lo, hi] and pushes the setting.
func intOption(L *lua.LState, fn string, i int, setting *int, lo, hi int) {
	if v := L.Get(i); v != lua.LNil {
		n, ok := v.(lua.LNumber)
		if !ok {
			if s, isStr := v.(lua.LString); isStr {
				if f, err := parseLuaNumber(string(s)); err == nil {
					n, ok = lua.LNumber(f), true
				}
			}
		}
		if !ok {
			argError(L, i, fn, "number expected, got "+v.Type().String())
		}
		// luaL_checkinteger truncates toward zero.
		f := math.Trunc(float64(n))
		if math.IsNaN(f) || f < float64(lo) || f > float64(hi) {
			// Lua CJSON reports the range against argument 1 whichever
			// argument it was.
			argError(L, 1, fn, fmt.Sprintf("expected integer between %d and %d", lo, hi))
		}
		*setting = int(f)
	}
	L.Push(lua.LNumber(*setting))
}

// enumOption applies argument i, if not nil, to an enumerated setting: a
// boolean (true meaning trueVal) or the name of one of options. It pushes
// a boolean when the setting is 0 or trueVal, else its name.
func enumOption(L *lua.LState, fn string, i int, setting *int, options []string, trueVal int) {
	if v := L.Get(i); v != lua.LNil {
		switch v := v.(type) {
		case lua.LBool:
			if v {
				*setting = trueVal
			} else {
				*setting = 0
			}
		case lua.LString:
			found := false
			for k, o := range options {
				if string(v) == o {
					*setting, found = k, true
					break
				}
			}
			if !found {
				argError(L, i, fn, fmt.Sprintf("invalid option '%s'", string(v)))
			}
		default:
			argError(L, i, fn, "string expected, got "+v.Type().String())
		}
	}
	if *setting == 0 || *setting == trueVal {
		L.Push(lua.LBool(*setting != 0))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
}

var onOff = []string{"off", "on"}

func boolOption(L *lua.LState, fn string, i int, setting *bool) {
	n := 0
	if *setting {
		n = 1
	}
	enumOption(L, fn, i, &n, onOff, 1)
	*setting = n != 0
}

func (st *state) cfgSparseArray(L *lua.LState) int {
	const fn = "encode_sparse_array"
	argInit(L, fn, 3)
	boolOption(L, fn, 1, &st.sparseConvert)
	intOption(L, fn, 2, &st.sparseRatio, 0, math.MaxInt32)
	intOption(L, fn, 3, &st.sparseSafe, 0, math.MaxInt32)
	return 3
}

func (st *state) cfgEncodeMaxDepth(L *lua.LState) int {
	const fn = "encode_max_depth"
	argInit(L, fn, 1)
	intOption(L, fn, 1, &st.encodeMaxDepth, 1, math.MaxInt32)
	return 1
}

func (st *state) cfgDecodeMaxDepth(L *lua.LState) int {
	const fn = "decode_max_depth"
	argInit(L, fn, 1)
	intOption(L, fn, 1, &st.decodeMaxDepth, 1, math.MaxInt32)
	return 1
}

func (st *state) cfgPrecision(L *lua.LState) int {
	const fn = "encode_number_precision"
	argInit(L, fn, 1)
	intOption(L, fn, 1, &st.precision, 1, 14)
	return 1
}

var invalidOptions = []string{"off", "on", "null"}

func (st *state) cfgEncodeInvalid(L *lua.LState) int {
	const fn = "encode_invalid_numbers"
	argInit(L, fn, 1)
	enumOption(L, fn, 1, &st.encodeInvalid, invalidOptions, invalidOn)
	return 1
}

func (st *state) cfgDecodeInvalid(L *lua.LState) int {
	const fn = "decode_invalid_numbers"
	argInit(L, fn, 1)
	boolOption(L, fn, 1, &st.decodeInvalid)
	return 1
}

func (st *state) cfgDecodeNull(L *lua.LState) int {
	const fn = "decode_null"
	argInit(L, fn, 1)
	boolOption(L, fn, 1, &st.decodeNull)
	return 1
}

// encode is cjson.encode(value).
func (st *state) encode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "encode", "expected 1 argument")
	}
	b := st.enc.encode(L, L.Get(1))
	sandbox.Alloc(L, int64(len(b)))
	L.Push(lua.LString(b))
	return 1
}

// decode is cjson.decode(text).
func (st *state) decode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "decode", "expected 1 argument")
	}
	var text string
	switch v := L.Get(1).(type) {
	case lua.LString:
		text = string(v)
	case lua.LNumber:
		text = luaNumberString(float64(v))
	default:
		argError(L, 1, "decode", "string expected, got "+v.Type().String())
	}
	if st.memLimit > 0 && int64(len(text)) > st.memLimit/2 {
		L.RaiseError("not enough memory")
	}
	sandbox.Alloc(L, int64(len(text)))
	L.Push(st.dec.decode(L, text))
	return 1
}

// parseLuaNumber converts a string argument as lua_tonumber does.
func parseLuaNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if f, n := strtod(s); n == len(s) && n > 0 {
		return f, nil
	}
	return 0, strconv.ErrSyntax
}
