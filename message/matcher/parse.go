package matcher

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sightline/sightline/luapattern"
)

// MaxOperators is the largest number of && and || operators in one
// expression (so at most MaxOperators+1 tests).
const MaxOperators = 127

// MaxIndex is the largest field or array index in Fields[name][fi][ai].
const MaxIndex = 255

// patternSpecials are the characters that make a =~ or !~ string a Lua
// pattern; a string without any of them is searched for as plain text.
// The set is the reference matcher's: unlike string.find's, it lacks '('.
const patternSpecials = "^$*+?.[%-"

// parser turns an expression into the node tree of a Matcher. The and/or
// structure is parsed with explicit stacks (operator precedence), not by
// recursion, so no nesting of parentheses can exhaust the goroutine stack.
type parser struct {
	src   string
	pos   int
	nops  int
	nodes []node
}

// pending is an entry of the operator stack: an operator, or an open
// parenthesis.
type pending struct {
	kind nodeKind // nodeAnd, nodeOr, or nodeTest for '('
	off  int      // offset of the operator or parenthesis
}

func (p *parser) errAt(off int, format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// parse parses the whole expression and returns the index of the root node.
func (p *parser) parse() (int32, error) {
	if i := strings.IndexByte(p.src, 0); i >= 0 {
		return 0, p.errAt(i, "NUL byte not allowed in an expression")
	}
	var operands []int32
	var ops []pending
	reduce := func() {
		op := ops[len(ops)-1]
		ops = ops[:len(ops)-1]
		r := operands[len(operands)-1]
		l := operands[len(operands)-2]
		operands = operands[:len(operands)-2]
		operands = append(operands, p.combine(op.kind, l, r))
	}
	expectTest := true
	for {
		p.skipSpace()
		if expectTest {
			if p.pos < len(p.src) && p.src[p.pos] == '(' {
				ops = append(ops, pending{kind: nodeTest, off: p.pos})
				p.pos++
				continue
			}
			t, err := p.test()
			if err != nil {
				return 0, err
			}
			p.nodes = append(p.nodes, node{kind: nodeTest, test: t})
			operands = append(operands, int32(len(p.nodes)-1))
			expectTest = false
			continue
		}
		if p.pos == len(p.src) {
			break
		}
		off := p.pos
		switch {
		case strings.HasPrefix(p.src[off:], "&&"), strings.HasPrefix(p.src[off:], "||"):
			kind, prec := nodeAnd, 2
			if p.src[off] == '|' {
				kind, prec = nodeOr, 1
			}
			if p.nops++; p.nops > MaxOperators {
				return 0, p.errAt(off, "more than %d && and || operators", MaxOperators)
			}
			for len(ops) > 0 && ops[len(ops)-1].kind != nodeTest && precedence(ops[len(ops)-1].kind) >= prec {
				reduce()
			}
			ops = append(ops, pending{kind: kind, off: off})
			p.pos += 2
			expectTest = true
		case p.src[off] == ')':
			for len(ops) > 0 && ops[len(ops)-1].kind != nodeTest {
				reduce()
			}
			if len(ops) == 0 {
				return 0, p.errAt(off, "unbalanced ')'")
			}
			ops = ops[:len(ops)-1]
			p.pos++
		case p.src[off] == '%':
			return 0, p.errAt(off, "'%%' (plain-text search) must follow the closing quote of a =~ or !~ string directly")
		default:
			return 0, p.errAt(off, "expected '&&', '||', ')' or the end of the expression")
		}
	}
	for len(ops) > 0 {
		if op := ops[len(ops)-1]; op.kind == nodeTest {
			return 0, p.errAt(p.pos, "missing ')' for the '(' at offset %d", op.off)
		}
		reduce()
	}
	return operands[0], nil
}

func precedence(k nodeKind) int {
	if k == nodeAnd {
		return 2
	}
	return 1
}

// combine makes the node "l op r", flattening nested nodes of the same
// operator into one list (both operators are associative).
func (p *parser) combine(kind nodeKind, l, r int32) int32 {
	var kids []int32
	for _, x := range [2]int32{l, r} {
		if n := &p.nodes[x]; n.kind == kind {
			kids = append(kids, n.kids...)
		} else {
			kids = append(kids, x)
		}
	}
	p.nodes = append(p.nodes, node{kind: kind, kids: kids})
	return int32(len(p.nodes) - 1)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

// variables maps the names of the header variables to their kinds.
var variables = map[string]varKind{
	"Type":       varType,
	"Logger":     varLogger,
	"Hostname":   varHostname,
	"EnvVersion": varEnvVersion,
	"Payload":    varPayload,
	"Uuid":       varUuid,
	"Severity":   varSeverity,
	"Pid":        varPid,
	"Timestamp":  varTimestamp,
}

// test parses one test: TRUE, FALSE, or a variable, an operator and a value.
func (p *parser) test() (*test, error) {
	start := p.pos
	if start == len(p.src) {
		return nil, p.errAt(start, "expected a test: TRUE, FALSE, a variable or '('")
	}
	c := p.src[start]
	switch {
	case c == '"' || c == '\'' || c == '-' || c == '+' || isDigit(c):
		return nil, p.errAt(start, "expected a variable: the variable goes on the left of the operator, the value on the right")
	case !isAlnum(c):
		return nil, p.errAt(start, "expected a test: TRUE, FALSE, a variable or '('")
	}
	for p.pos < len(p.src) && isAlnum(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	t := &test{}
	switch name {
	case "TRUE":
		t.v = varTrue
		return t, nil
	case "FALSE":
		t.v = varFalse
		return t, nil
	case "NIL":
		return nil, p.errAt(start, "NIL goes on the right of == or !=")
	case "Fields":
		if err := p.fieldRef(t); err != nil {
			return nil, err
		}
	default:
		v, ok := variables[name]
		if !ok {
			return nil, p.errAt(start, "unknown variable %q", name)
		}
		t.v = v
	}
	p.skipSpace()
	if err := p.operator(t); err != nil {
		return nil, err
	}
	p.skipSpace()
	return t, p.value(t)
}

// fieldRef parses "[name]" ("[fi]" ("[ai]")?)? after "Fields".
func (p *parser) fieldRef(t *test) error {
	t.v = varField
	if p.pos == len(p.src) || p.src[p.pos] != '[' {
		return p.errAt(p.pos, "expected '[' after Fields")
	}
	end := strings.IndexByte(p.src[p.pos+1:], ']')
	if end < 0 {
		return p.errAt(p.pos, "missing ']' after the field name")
	}
	t.field = p.src[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	for i, idx := range [2]*int{&t.fi, &t.ai} {
		if p.pos == len(p.src) || p.src[p.pos] != '[' {
			break
		}
		what := [2]string{"field index", "array index"}[i]
		article := [2]string{"a", "an"}[i]
		open := p.pos
		p.pos++
		j := p.pos
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
		digits := p.src[j:p.pos]
		if digits == "" || p.pos == len(p.src) || p.src[p.pos] != ']' {
			return p.errAt(open, "expected %s %s [0..%d]", article, what, MaxIndex)
		}
		p.pos++
		n := 0
		for k := 0; k < len(digits) && n <= MaxIndex; k++ {
			n = n*10 + int(digits[k]-'0')
		}
		if n > MaxIndex || len(digits) > 1 && digits[0] == '0' {
			return p.errAt(j, "%s %s: must be 0..%d without leading zeros", what, digits, MaxIndex)
		}
		*idx = n
	}
	if p.pos < len(p.src) && p.src[p.pos] == '[' {
		return p.errAt(p.pos, "too many indices: Fields[name][fi][ai] at most")
	}
	return nil
}

// operators lists the comparison operators, longest first where one is a
// prefix of another.
var operators = [...]struct {
	text string
	op   cmpOp
}{{"==", opEQ}, {"!=", opNE}, {">=", opGE}, {"<=", opLE}, {"=~", opRE}, {"!~", opNRE}, {">", opGT}, {"<", opLT}}

// operator parses the comparison operator of t.
func (p *parser) operator(t *test) error {
	off := p.pos
	found := false
	for _, o := range operators {
		if strings.HasPrefix(p.src[off:], o.text) {
			t.op, found = o.op, true
			p.pos += len(o.text)
			break
		}
	}
	if !found {
		return p.errAt(off, "expected a relational operator (== != < <= > >=) or =~ !~ after %s", t.varName())
	}
	if (t.op == opRE || t.op == opNRE) && !t.stringy() {
		return p.errAt(off, "%s does not take =~ or !~ (only string headers and fields do)", t.varName())
	}
	return nil
}

// stringy reports whether t's variable can be compared with a string.
func (t *test) stringy() bool {
	switch t.v {
	case varSeverity, varPid, varTimestamp:
		return false
	}
	return true
}

// value parses the value on the right of t's operator.
func (p *parser) value(t *test) error {
	off := p.pos
	eqne := t.op == opEQ || t.op == opNE
	if p.pos < len(p.src) && isAlnum(p.src[p.pos]) && !isDigit(p.src[p.pos]) {
		for p.pos < len(p.src) && isAlnum(p.src[p.pos]) {
			p.pos++
		}
		word := p.src[off:p.pos]
		switch word {
		case "NIL":
			switch {
			case !eqne:
				return p.errAt(off, "NIL goes only with == or !=")
			case t.v == varUuid || t.v == varSeverity || t.v == varTimestamp:
				return p.errAt(off, "%s is always present: it cannot be compared with NIL", t.varName())
			}
			t.val = valNil
			return nil
		case "TRUE", "FALSE":
			switch {
			case t.v != varField:
				return p.errAt(off, "only Fields compare with TRUE or FALSE")
			case !eqne:
				return p.errAt(off, "TRUE and FALSE go only with == or !=")
			}
			t.val = valTrue
			if word == "FALSE" {
				t.val = valFalse
			}
			return nil
		}
		if _, ok := variables[word]; ok || word == "Fields" {
			return p.errAt(off, "expected a value: the variable goes on the left of the operator, the value on the right")
		}
		return p.errAt(off, "expected a value, found %q", word)
	}
	if p.pos == len(p.src) {
		return p.errAt(off, "expected a value after the operator")
	}
	c := p.src[p.pos]
	if c == '"' || c == '\'' {
		return p.stringValue(t)
	}
	if c == '-' || c == '+' || isDigit(c) {
		switch t.v {
		case varSeverity, varPid, varTimestamp, varField:
		default:
			return p.errAt(off, "%s compares with a quoted string, not a number", t.varName())
		}
		if t.op == opRE || t.op == opNRE {
			return p.errAt(off, "=~ and !~ take a quoted pattern")
		}
		text, err := p.numberLit()
		if err != nil {
			return err
		}
		t.val, t.text = valNumber, text
		if t.v == varTimestamp {
			t.ts = exactNumber(text)
		} else {
			t.num = parseFloat(text)
		}
		return nil
	}
	return p.errAt(off, "expected a value after the operator")
}

// stringValue parses a quoted value of t, and its % modifier after =~ or !~.
func (p *parser) stringValue(t *test) error {
	off := p.pos
	if t.v == varSeverity || t.v == varPid {
		return p.errAt(off, "%s compares with a number, not a string", t.varName())
	}
	s, err := p.stringLit()
	if err != nil {
		return err
	}
	t.val = valString
	switch t.v {
	case varTimestamp:
		t.ts, err = p.rfc3339(s, off+1)
		t.text = s
		return err
	case varUuid:
		// The Uuid test compares the canonical text form; a literal that
		// is a UUID in any case means that UUID.
		if isUUIDText(s) {
			s = strings.ToLower(s)
		}
	}
	t.str = []byte(s)
	if t.op != opRE && t.op != opNRE {
		return nil
	}
	if p.pos < len(p.src) && p.src[p.pos] == '%' {
		t.mod = true
		p.pos++
	}
	if t.mod || !strings.ContainsAny(s, patternSpecials) {
		return nil
	}
	t.pat, err = luapattern.Compile(s)
	if err != nil {
		at := off
		var se *luapattern.SyntaxError
		if errors.As(err, &se) {
			at = literalOffset(p.src, off, se.Offset)
		}
		return p.errAt(at, "bad Lua pattern %q: %s", s, luapattern.LuaMessage(err))
	}
	return nil
}

// isUUIDText reports whether s is a UUID in the 36-character text form,
// hex digits of either case.
func isUUIDText(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
