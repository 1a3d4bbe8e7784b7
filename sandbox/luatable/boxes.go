package luatable

import (
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// blockSize is how many values a Boxes block holds.
const blockSize = 32

// iface is the layout of a non-empty interface value.
type iface struct {
	tab  unsafe.Pointer
	data unsafe.Pointer
}

// The type words of lua.LString and lua.LNumber as lua.LValue.
var (
	stringTab = typeWord(lua.LString(""))
	numberTab = typeWord(lua.LNumber(0))
)

func typeWord(v lua.LValue) unsafe.Pointer { return (*iface)(unsafe.Pointer(&v)).tab }

// Boxes makes lua.LString and lua.LNumber values with their data in shared
// blocks (see the package doc). The zero Boxes is ready to use.
type Boxes struct {
	strs []string
	nums []float64
}

// String returns s as a Lua value: lua.LValue(lua.LString(s)), without an
// allocation of its own.
func (b *Boxes) String(s string) lua.LValue {
	if len(b.strs) == cap(b.strs) {
		b.strs = make([]string, 0, blockSize)
	}
	b.strs = append(b.strs, s)
	var v lua.LValue
	*(*iface)(unsafe.Pointer(&v)) = iface{tab: stringTab, data: unsafe.Pointer(&b.strs[len(b.strs)-1])}
	return v
}

// Number returns n as a Lua value: lua.LValue(lua.LNumber(n)), without an
// allocation of its own.
func (b *Boxes) Number(n float64) lua.LValue {
	if len(b.nums) == cap(b.nums) {
		b.nums = make([]float64, 0, blockSize)
	}
	b.nums = append(b.nums, n)
	var v lua.LValue
	*(*iface)(unsafe.Pointer(&v)) = iface{tab: numberTab, data: unsafe.Pointer(&b.nums[len(b.nums)-1])}
	return v
}
