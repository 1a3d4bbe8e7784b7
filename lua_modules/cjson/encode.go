package cjson

import (
	"math"
	"reflect"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// encoder turns Lua values into JSON text in a buffer reused between
// calls.
type encoder struct {
	st    *state
	L     *lua.LState
	buf   []byte
	limit int // output_limit, 0 = none
}

// encode returns the JSON text of v; the slice is valid until the next
// call. Errors are raised in L.
func (e *encoder) encode(L *lua.LState, v lua.LValue) []byte {
	e.L = L
	e.limit = int(e.st.outLimit)
	if cap(e.buf) > keepBuffer {
		e.buf = nil
	}
	e.buf = e.buf[:0]
	e.value(v, 0)
	e.L = nil
	return e.buf
}

// fail raises "Cannot serialise <type>: <reason>".
func (e *encoder) fail(v lua.LValue, reason string) {
	e.L.RaiseError("Cannot serialise %s: %s", v.Type().String(), reason)
}

// checkLimit raises the output_limit error when the text has grown past
// it.
func (e *encoder) checkLimit() {
	if e.limit > 0 && len(e.buf) > e.limit {
		e.L.RaiseError("Cannot serialise, output_limit exceeded (%d bytes)", e.limit)
	}
}

func (e *encoder) value(v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		e.string(string(v))
	case lua.LNumber:
		e.number(v)
	case lua.LBool:
		if v {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case *lua.LTable:
		depth++
		if depth > e.st.encodeMaxDepth || depth > maxNesting {
			e.L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		if n, isArray := e.arrayLength(v); isArray {
			e.array(v, n, depth)
		} else {
			e.object(v, depth)
		}
	case *lua.LUserData:
		if v == e.st.null {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.fail(v, "type not supported")
	default:
		e.fail(v, "type not supported")
	}
}

func (e *encoder) number(n lua.LNumber) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		switch e.st.encodeInvalid {
		case invalidOff:
			e.fail(n, "must not be NaN or Infinity")
		case invalidNull:
			e.buf = append(e.buf, "null"...)
			return
		}
	}
	e.buf = appendNumber(e.buf, f, e.st.precision)
}

// arrayLength reports whether t is encoded as an array, and its length.
// As in Lua CJSON, a table is an array when every key is a positive
// integer, unless it is excessively sparse (then an object if
// sparseConvert, else an error). An empty table is an array when it has
// an array part (see hasArrayPart).
func (e *encoder) arrayLength(t *lua.LTable) (int, bool) {
	maxKey, items := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n < 1 || n > math.MaxInt32 || float64(n) != math.Floor(float64(n)) {
			return 0, false
		}
		if int(n) > maxKey {
			maxKey = int(n)
		}
		items++
	}
	if items == 0 {
		return 0, hasArrayPart(t)
	}
	st := e.st
	if st.sparseRatio > 0 && maxKey > items*st.sparseRatio && maxKey > st.sparseSafe {
		if !st.sparseConvert {
			e.fail(t, "excessively sparse array")
		}
		return 0, false
	}
	return maxKey, true
}

func (e *encoder) array(t *lua.LTable, n, depth int) {
	e.buf = append(e.buf, '[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
		}
		e.value(t.RawGetInt(i), depth)
		e.checkLimit()
	}
	e.buf = append(e.buf, ']')
}

func (e *encoder) object(t *lua.LTable, depth int) {
	e.buf = append(e.buf, '{')
	first := true
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		switch k := k.(type) {
		case lua.LString:
			e.string(string(k))
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			e.number(k)
			e.buf = append(e.buf, '"')
		default:
			e.fail(k, "table key must be a number or string")
		}
		e.buf = append(e.buf, ':')
		e.value(v, depth)
		e.checkLimit()
	}
	e.buf = append(e.buf, '}')
}

// escapes holds Lua CJSON's escape of each byte, "" for none.
var escapes = func() (t [256]string) {
	const hex = "0123456789abcdef"
	for c := 0; c < 0x20; c++ {
		t[c] = `\u00` + string(hex[c>>4]) + string(hex[c&15])
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['\\'], t['/'] = `\"`, `\\`, `\/`
	t[0x7f] = `\u007f`
	return t
}()

func (e *encoder) string(s string) {
	if e.limit > 0 && len(e.buf)+len(s)+2 > e.limit {
		e.L.RaiseError("Cannot serialise, output_limit exceeded (%d bytes)", e.limit)
	}
	b := append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if esc := escapes[s[i]]; esc != "" {
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	e.buf = append(b, '"')
}

// appendNumber appends f as C's %.<prec>g writes it (f is finite, or the
// caller accepts NaN and Infinity spelled as JavaScript does).
func appendNumber(b []byte, f float64, prec int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	// Integers with at most prec digits are exact: no exponent form,
	// nothing to round.
	if f == math.Trunc(f) && math.Abs(f) < pow10[prec] && (f != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', prec, 64)
}

var pow10 = func() (p [15]float64) {
	v := 1.0
	for i := range p {
		p[i] = v
		v *= 10
	}
	return p
}()

// arrayField is the index of LTable's array part, read by hasArrayPart.
var arrayField = func() int {
	f, ok := reflect.TypeFor[lua.LTable]().FieldByName("array")
	if !ok || f.Type.Kind() != reflect.Slice {
		return -1
	}
	return f.Index[0]
}()

// hasArrayPart reports whether an empty table has an array part: it was
// made by decoding [] or by a constructor with list items ({nil}), or
// had integer keys once. The sandbox build of Lua CJSON encodes such a
// table as [] and any other empty table as {}.
func hasArrayPart(t *lua.LTable) bool {
	if arrayField < 0 {
		return false
	}
	return !reflect.ValueOf(t).Elem().Field(arrayField).IsNil()
}
