package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

const (
	// DefaultBudget is the instruction budget of a Lua-syntax config when
	// the caller gives none: far more than any real config needs (the
	// shipped ones run a few hundred instructions), small enough to stop
	// an endless loop in well under a second.
	DefaultBudget = 1_000_000

	// MaxFileSize is the largest config file, in bytes, either format.
	MaxFileSize = 1 << 20

	// MaxStringLen is the longest string a Lua-syntax config may build
	// by concatenation, in bytes. It bounds the memory a config can take:
	// without it, a few instructions of "s = s .. s" would double a string
	// until the process runs out of memory.
	MaxStringLen = 1 << 20

	// MaxValues is the most values (table entries, all levels) a config
	// may have. Lua tables may share subtables, which are copied once per
	// reference, so a short cfg could otherwise describe a huge tree.
	MaxValues = 1 << 18

	// MaxDepth is the deepest nesting of tables in a config.
	MaxDepth = 100

	// MaxConstants is the most distinct names, strings and numbers a
	// Lua-syntax config may hold. gopher-lua's compiler looks constants up
	// by linear search, so its time grows with the square of their number:
	// 10000 take a fraction of a second, 60000 over a minute. Configs
	// carrying that much data belong in TOML.
	MaxConstants = 10000
)

// ParseLua evaluates src, a config in Lua syntax, and returns its globals
// as a Table. name is the file name used in errors and by the Lua error
// messages. The chunk runs in a fresh gopher-lua state with no library
// loaded, under a budget of VM instructions (DefaultBudget if budget <= 0).
// Globals holding functions (and any other Lua value that is not a string,
// number, boolean or table) are dropped, as are table keys that are
// neither strings nor integers. Errors are *Error values.
func ParseLua(name string, src []byte, budget int) (t *Table, err error) {
	if len(src) > MaxFileSize {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(src), MaxFileSize)}
	}
	if budget <= 0 {
		budget = DefaultBudget
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	defer func() {
		// gopher-lua reports Lua errors as values; a panic is a bug in it
		// that a bad config file must not turn into a crash.
		if r := recover(); r != nil {
			t, err = nil, &Error{File: name, Err: fmt.Errorf("%w: %v", ErrRuntime, r)}
		}
	}()

	lines, err := scanLua(src)
	if err != nil {
		var se *errScan
		errors.As(err, &se)
		return nil, &Error{File: name, Line: se.line, Err: fmt.Errorf("%w: %s", ErrSyntax, se.msg)}
	}
	fn, err := L.Load(bytes.NewReader(src), name)
	if err != nil {
		err = luaError(name, err, nil)
		if e, ok := err.(*Error); ok && e.Line == 0 && errors.Is(e, ErrSyntax) {
			// gopher-lua reports an error at end of file without a line.
			e.Line, e.Key = luaEOFLine(src, lines)
		}
		return nil, err
	}
	ctx := &budgetContext{L: L, budget: budget, left: budget, concatRegs: concatRegisters(fn.Proto)}
	L.SetContext(ctx)
	L.Push(fn)
	err = L.PCall(0, 0, nil)
	L.RemoveContext()
	if err != nil {
		return nil, luaError(name, err, ctx)
	}

	c := &luaConverter{file: name}
	return c.table(L.G.Global, "", lines, 0)
}

// budgetContext is the context gopher-lua's VM consults before every
// instruction (it selects on Done()). Done counts the calls and, once the
// budget is spent, returns a closed channel, which makes the VM raise an
// error. It also refuses oversized strings: a string can only grow by
// concatenation, whose result lands in register A of its CONCAT
// instruction, and Done looks at those registers (of every CONCAT in the
// chunk) before the next instruction runs. A chunk without ".." costs no
// scan at all.
//
// Only the goroutine running the state calls it, so it needs no lock. Done
// returns different channels over time, which the VM's select is fine with.
type budgetContext struct {
	L          *lua.LState
	budget     int
	left       int
	concatRegs []int // 1-based registers written by CONCAT instructions
	err        error
	closed     chan struct{}
}

func (c *budgetContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *budgetContext) Value(any) any               { return nil }
func (c *budgetContext) Err() error                  { return c.err }

func (c *budgetContext) Done() <-chan struct{} {
	if c.err != nil {
		return c.closed
	}
	c.left--
	if c.left < 0 {
		return c.stop(ErrBudget)
	}
	for _, r := range c.concatRegs {
		if s, ok := c.L.Get(r).(lua.LString); ok && len(s) > MaxStringLen {
			return c.stop(fmt.Errorf("%w: a string of %d bytes, the limit is %d", ErrTooLarge, len(s), MaxStringLen))
		}
	}
	return nil // a nil channel never fires: the VM runs the instruction
}

func (c *budgetContext) stop(err error) <-chan struct{} {
	c.err = err
	c.closed = make(chan struct{})
	close(c.closed)
	return c.closed
}

var _ context.Context = (*budgetContext)(nil)

// concatRegisters returns the registers (1-based, as LState.Get counts)
// that CONCAT instructions of p and its nested functions write.
func concatRegisters(p *lua.FunctionProto) []int {
	var seen [256]bool
	var walk func(p *lua.FunctionProto)
	walk = func(p *lua.FunctionProto) {
		for _, inst := range p.Code {
			if int(inst>>26) == lua.OP_CONCAT {
				seen[int(inst>>18)&0xff] = true
			}
		}
		for _, sub := range p.FunctionPrototypes {
			walk(sub)
		}
	}
	walk(p)
	var regs []int
	for a, ok := range seen {
		if ok {
			regs = append(regs, a+1)
		}
	}
	return regs
}

var (
	// "name line:3(column:7) near 'x':   syntax error"
	luaSyntaxRE = regexp.MustCompile(`line:(\d+)\(column:\d+\)\s*(.*)$`)
	// "near 'x': message"
	luaNearRE = regexp.MustCompile(`^(near '.*'):\s*(.*)$`)
	// "attempt to index a non-table object(nil) with key 'floor'"
	luaNilIndexRE = regexp.MustCompile(`non-table object\(nil\) with key '`)
)

// luaError turns a gopher-lua error into an *Error with the line it
// names, without the stack trace.
func luaError(name string, err error, ctx *budgetContext) error {
	var api *lua.ApiError
	if !errors.As(err, &api) || api.Object == nil {
		return &Error{File: name, Err: fmt.Errorf("%w: %v", ErrRuntime, err)}
	}
	msg := strings.TrimSpace(api.Object.String())
	if api.Type == lua.ApiErrorSyntax {
		e := &Error{File: name}
		rest := strings.TrimPrefix(msg, name)
		if m := luaSyntaxRE.FindStringSubmatch(rest); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			rest = m[2]
		}
		rest = strings.Join(strings.Fields(rest), " ")
		// "near 'x': unterminated string" reads better the other way
		// round, and "syntax error" is already said by the sentinel.
		if m := luaNearRE.FindStringSubmatch(rest); m != nil {
			rest = m[2]
			if rest == "syntax error" {
				rest = m[1]
			} else {
				rest += " " + m[1]
			}
		}
		e.Err = fmt.Errorf("%w: %s", ErrSyntax, rest)
		return e
	}
	line := 0
	if rest, ok := strings.CutPrefix(msg, name+":"); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, strings.TrimSpace(after)
			}
		}
	}
	if ctx != nil && ctx.err != nil {
		if errors.Is(ctx.err, ErrBudget) {
			return &Error{File: name, Line: line, Err: fmt.Errorf("%w (%d instructions; an endless loop?)", ErrBudget, ctx.budget)}
		}
		return &Error{File: name, Line: line, Err: ctx.err}
	}
	if luaNilIndexRE.MatchString(msg) {
		msg += " (a config runs with no libraries loaded: math, string, os and the like do not exist)"
	}
	return &Error{File: name, Line: line, Err: fmt.Errorf("%w: %s", ErrRuntime, msg)}
}

// luaConverter copies Lua values into Tables, counting values against
// MaxValues and refusing tables that contain themselves.
type luaConverter struct {
	file   string
	values int
	onPath []*lua.LTable
}

func (c *luaConverter) table(lt *lua.LTable, path string, lines *lineNode, depth int) (*Table, error) {
	if depth > MaxDepth {
		return nil, &Error{File: c.file, Key: path, Err: fmt.Errorf("%w: tables nested more than %d deep", ErrTooLarge, MaxDepth)}
	}
	for _, p := range c.onPath {
		if p == lt {
			return nil, &Error{File: c.file, Key: path, Err: ErrCycle}
		}
	}
	c.onPath = append(c.onPath, lt)
	defer func() { c.onPath = c.onPath[:len(c.onPath)-1] }()

	t := &Table{file: c.file, path: path}
	var kvs [][2]lua.LValue
	lt.ForEach(func(k, v lua.LValue) { kvs = append(kvs, [2]lua.LValue{k, v}) })
	for _, kv := range kvs {
		key, ok := luaKey(kv[0])
		if !ok {
			continue
		}
		line := lines.lineOf(key)
		var val Value
		switch v := kv[1].(type) {
		case lua.LString:
			val = string(v)
		case lua.LNumber:
			val = float64(v)
		case lua.LBool:
			val = bool(v)
		case *lua.LTable:
			sub, err := c.table(v, t.keyPath(key), lines.child(key), depth+1)
			if err != nil {
				return nil, err
			}
			val = sub
		default:
			continue // functions and the like are dropped
		}
		c.values++
		if c.values > MaxValues {
			return nil, &Error{File: c.file, Line: line, Key: t.keyPath(key), Err: fmt.Errorf("%w: more than %d values", ErrTooLarge, MaxValues)}
		}
		t.entries = append(t.entries, Entry{Key: key, Value: val, Line: line})
	}
	sortEntries(t.entries)
	return t, nil
}

// luaKey converts a Lua table key; keys other than strings and integral
// numbers are not representable and are skipped.
func luaKey(k lua.LValue) (Key, bool) {
	switch k := k.(type) {
	case lua.LString:
		return StringKey(string(k)), true
	case lua.LNumber:
		f := float64(k)
		if f == math.Trunc(f) && math.Abs(f) <= maxExact {
			return IntKey(int64(f)), true
		}
	}
	return Key{}, false
}
