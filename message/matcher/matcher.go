package matcher

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/sightline/sightline/luapattern"
	"github.com/sightline/sightline/message"
)

// DefaultSteps is the step budget of one evaluation when Options.Steps is
// zero: all the =~ and !~ patterns of one Match share it (see the package
// documentation).
const DefaultSteps = 1_000_000

// Options tune Compile. The zero value gives the defaults.
type Options struct {
	// Steps is the pattern step budget of one evaluation, shared by every
	// pattern test of the expression (luapattern.Budget); 0 means
	// DefaultSteps.
	Steps int
}

// Matcher is a compiled message matcher expression. It is immutable and
// safe for concurrent use; only its BudgetExceeded counter changes.
type Matcher struct {
	expr     string
	nodes    []node
	root     int32
	steps    int
	exceeded atomic.Uint64
}

// Compile parses a matcher expression (spec §5) with the default Options.
// A bad expression gives a *SyntaxError carrying the offset of the problem.
func Compile(expr string) (*Matcher, error) {
	return CompileOptions(expr, Options{})
}

// CompileOptions is Compile with options.
func CompileOptions(expr string, opts Options) (*Matcher, error) {
	p := parser{src: expr}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	steps := opts.Steps
	if steps <= 0 {
		steps = DefaultSteps
	}
	return &Matcher{expr: expr, nodes: p.nodes, root: root, steps: steps}, nil
}

// MustCompile is Compile that panics on a bad expression, for expressions
// that are constants of the program.
func MustCompile(expr string) *Matcher {
	m, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return m
}

// Expr returns the expression as given to Compile.
func (m *Matcher) Expr() string { return m.expr }

// Match reports whether the message in v matches. Evaluation stops as soon
// as the result is known; it allocates nothing. An evaluation whose
// patterns run out of their step budget is no match, and counts in
// BudgetExceeded.
func (m *Matcher) Match(v *message.View) bool {
	ok, _ := m.MatchErr(v)
	return ok
}

// MatchErr is Match that also says why an evaluation could not be decided:
// ErrStepBudget when the patterns ran out of steps (the result is then
// false, and BudgetExceeded counts it).
func (m *Matcher) MatchErr(v *message.View) (bool, error) {
	st := evalState{budget: luapattern.Budget{Steps: m.steps}}
	ok := m.eval(m.root, v, &st)
	if st.err != nil {
		m.exceeded.Add(1)
		if errors.Is(st.err, luapattern.ErrStepBudget) {
			return false, ErrStepBudget
		}
		return false, fmt.Errorf("matcher: %w", st.err)
	}
	return ok, nil
}

// BudgetExceeded returns how many evaluations of m, over its lifetime, ran
// out of their pattern step budget (and so reported no match).
func (m *Matcher) BudgetExceeded() uint64 { return m.exceeded.Load() }

// nodeKind says what a node of the expression tree is.
type nodeKind uint8

const (
	nodeTest nodeKind = iota // a single test
	nodeAnd                  // all kids true (evaluated left to right)
	nodeOr                   // any kid true (evaluated left to right)
)

// node is one node of the expression tree. And and or nodes list their
// operands in kids; nested nodes of the same kind are flattened.
type node struct {
	kind nodeKind
	test *test
	kids []int32
}

// evalState is the per-evaluation scratch, on the caller's stack.
type evalState struct {
	budget luapattern.Budget
	err    error // set when a pattern could not finish; aborts evaluation
}

// eval evaluates node i. Recursion is bounded by MaxOperators: every level
// of the tree holds at least one operator.
func (m *Matcher) eval(i int32, v *message.View, st *evalState) bool {
	n := &m.nodes[i]
	switch n.kind {
	case nodeAnd:
		for _, k := range n.kids {
			if !m.eval(k, v, st) {
				return false
			}
		}
		return true
	case nodeOr:
		for _, k := range n.kids {
			if m.eval(k, v, st) {
				return true
			}
			if st.err != nil {
				return false
			}
		}
		return false
	}
	return n.test.eval(v, st)
}

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEQ  cmpOp = iota // ==
	opNE               // !=
	opLT               // <
	opLE               // <=
	opGT               // >
	opGE               // >=
	opRE               // =~
	opNRE              // !~
)

// varKind is the variable on the left of a test (or a constant test).
type varKind uint8

const (
	varTrue varKind = iota
	varFalse
	varType
	varLogger
	varHostname
	varEnvVersion
	varPayload
	varUuid
	varSeverity
	varPid
	varTimestamp
	varField
)

// valKind is the kind of value on the right of a test.
type valKind uint8

const (
	valString valKind = iota
	valNumber
	valNil
	valTrue
	valFalse
)

// test is one compiled comparison.
type test struct {
	v   varKind
	op  cmpOp
	val valKind

	str  []byte              // valString: the unescaped literal
	pat  *luapattern.Pattern // =~ and !~ with a Lua pattern; nil: plain text search for str
	mod  bool                // the string was written with the % modifier
	num  float64             // valNumber, except for Timestamp
	ts   exact               // Timestamp: the literal, exactly
	text string              // source text of a number or Timestamp literal

	field  string // Fields[field][fi][ai]
	fi, ai int
}

// eval evaluates t on the message in v.
func (t *test) eval(v *message.View, st *evalState) bool {
	switch t.v {
	case varTrue:
		return true
	case varFalse:
		return false
	case varType:
		return t.header(v.Type(), st)
	case varLogger:
		return t.header(v.Logger(), st)
	case varHostname:
		return t.header(v.Hostname(), st)
	case varEnvVersion:
		return t.header(v.EnvVersion(), st)
	case varPayload:
		return t.header(v.Payload(), st)
	case varUuid:
		u := v.Uuid()
		if len(u) != 16 {
			return false // no message in v
		}
		var text [36]byte
		formatUUID(&text, u)
		return t.bytes(text[:], st)
	case varSeverity:
		return compareFloat(t.op, float64(v.Severity()), t.num)
	case varPid:
		present := v.Has(message.HasPid)
		switch {
		case t.val == valNil:
			return present == (t.op == opNE)
		case !present:
			return absent(t.op)
		}
		return compareFloat(t.op, float64(v.Pid()), t.num)
	case varTimestamp:
		return t.ts.compare(t.op, v.Timestamp())
	case varField:
		return t.fieldTest(v, st)
	}
	return false
}

// header tests an optional string header, nil when absent.
func (t *test) header(b []byte, st *evalState) bool {
	switch {
	case t.val == valNil:
		return (b == nil) == (t.op == opEQ)
	case b == nil:
		return absent(t.op)
	}
	return t.bytes(b, st)
}

// absent is the result of op on an absent header: an absent header sorts
// below every value and matches no pattern.
func absent(op cmpOp) bool {
	return op == opNE || op == opLT || op == opLE || op == opNRE
}

// bytes applies t's string comparison or pattern to b.
func (t *test) bytes(b []byte, st *evalState) bool {
	switch t.op {
	case opRE:
		return t.find(b, st)
	case opNRE:
		return !t.find(b, st) && st.err == nil
	}
	switch t.op {
	case opEQ:
		return bytes.Equal(b, t.str)
	case opNE:
		return !bytes.Equal(b, t.str)
	}
	c := bytes.Compare(b, t.str)
	switch t.op {
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	}
	return c >= 0
}

// find reports whether b contains t's pattern (or plain string).
func (t *test) find(b []byte, st *evalState) bool {
	if t.pat == nil {
		return bytes.Contains(b, t.str)
	}
	// The string shares b's bytes instead of copying them. This is safe:
	// b is not modified during the call, and the pattern engine keeps no
	// reference to its subject after returning.
	s := unsafe.String(unsafe.SliceData(b), len(b))
	ok, err := t.pat.MatchString(s, &st.budget)
	if err != nil {
		st.err = err
		return false
	}
	return ok
}

// fieldTest evaluates a Fields[name][fi][ai] test. A value that is absent
// or of a type the literal does not compare with makes every operator
// false, != and !~ included; only NIL tests see absence.
func (t *test) fieldTest(v *message.View, st *evalState) bool {
	f, ok := v.Field(t.field, t.fi)
	present := ok && t.ai < f.Len()
	if t.val == valNil {
		return present == (t.op == opNE)
	}
	if !present {
		return false
	}
	switch t.val {
	case valString:
		var b []byte
		switch f.Type() {
		case message.ValueString:
			b, _ = f.String(t.ai)
		case message.ValueBytes:
			b, _ = f.Bytes(t.ai)
		default:
			return false
		}
		return t.bytes(b, st)
	case valNumber:
		var x float64
		switch f.Type() {
		case message.ValueInteger:
			i, _ := f.Integer(t.ai)
			x = float64(i)
		case message.ValueDouble:
			x, _ = f.Double(t.ai)
		default:
			return false
		}
		return compareFloat(t.op, x, t.num)
	}
	// TRUE and FALSE: a bool, or a number compared with 1 or 0.
	var x float64
	switch f.Type() {
	case message.ValueBool:
		if b, _ := f.Bool(t.ai); b {
			x = 1
		}
	case message.ValueInteger:
		i, _ := f.Integer(t.ai)
		x = float64(i)
	case message.ValueDouble:
		x, _ = f.Double(t.ai)
	default:
		return false
	}
	want := 0.0
	if t.val == valTrue {
		want = 1
	}
	return compareFloat(t.op, x, want)
}

// compareFloat applies op to x and y.
func compareFloat(op cmpOp, x, y float64) bool {
	switch op {
	case opEQ:
		return x == y
	case opNE:
		return x != y
	case opLT:
		return x < y
	case opLE:
		return x <= y
	case opGT:
		return x > y
	case opGE:
		return x >= y
	}
	return false
}

// formatUUID writes the canonical lower-case text form of u (16 bytes).
func formatUUID(dst *[36]byte, u []byte) {
	const hex = "0123456789abcdef"
	j := 0
	for i, c := range u[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j] = hex[c>>4]
		dst[j+1] = hex[c&15]
		j += 2
	}
}
