package luamsg

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// Payload is the output buffer of add_to_payload and inject_payload (spec
// §4.3). The zero value is an empty buffer without a limit. A Payload
// belongs to one Lua state and is not safe for concurrent use.
type Payload struct {
	buf   []byte
	limit int
}

// NewPayload returns an empty Payload holding at most limit bytes (the
// plugin's output_limit); limit <= 0 means no limit.
func NewPayload(limit int) *Payload { return &Payload{limit: limit} }

// Add appends v as add_to_payload does: a string as it is, a number as
// described below, a boolean as "true" or "false", nil as "nil", an
// Outputter userdata as its output. Other values are an error. An append
// that would take the buffer past its limit fails with ErrOutputLimit and
// leaves the buffer as it was.
//
// Numbers (the reference's rules): an integer in the int32 range without
// decimals ("1", "-1"); another number in that range with up to 8
// fractional digits, rounded, trailing zeros dropped ("0.5",
// "0.33333333"); anything else as C's "%.17g" ("2147483648",
// "1.0000000000000001e+300"); NaN and the infinities as "nan", "inf" and
// "-inf"; -0 as "0".
func (p *Payload) Add(v lua.LValue) error {
	n := len(p.buf)
	switch x := v.(type) {
	case lua.LString:
		if p.limit > 0 && n+len(x) > p.limit {
			return ErrOutputLimit
		}
		p.buf = append(p.buf, x...)
	case lua.LNumber:
		p.buf = appendPayloadNumber(p.buf, float64(x))
	case lua.LBool:
		if x {
			p.buf = append(p.buf, "true"...)
		} else {
			p.buf = append(p.buf, "false"...)
		}
	case *lua.LNilType:
		p.buf = append(p.buf, "nil"...)
	case *lua.LUserData:
		o, ok := x.Value.(Outputter)
		if !ok {
			return fmt.Errorf("unsupported type: userdata")
		}
		var err error
		if p.buf, err = o.Output(p.buf); err != nil {
			p.buf = p.buf[:n]
			return err
		}
	default:
		return fmt.Errorf("unsupported type: %s", v.Type())
	}
	if p.limit > 0 && len(p.buf) > p.limit {
		p.buf = p.buf[:n]
		return ErrOutputLimit
	}
	return nil
}

// AddArgs appends the arguments of the running Go function from index first
// to the top of L's stack, in order, with Add. It stops at the first error.
func (p *Payload) AddArgs(L *lua.LState, first int) error {
	for i, top := first, L.GetTop(); i <= top; i++ {
		if err := p.Add(L.Get(i)); err != nil {
			return err
		}
	}
	return nil
}

// Bytes returns the buffer's contents, valid until the next change.
func (p *Payload) Bytes() []byte { return p.buf }

// Len returns the number of bytes in the buffer.
func (p *Payload) Len() int { return len(p.buf) }

// Reset empties the buffer, keeping its capacity.
func (p *Payload) Reset() { p.buf = p.buf[:0] }
