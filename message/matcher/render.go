package matcher

import (
	"strconv"
	"strings"
)

// String returns the expression in canonical form: one space around each
// operator, parentheses only where || sits inside &&, strings in double
// quotes (escaping only \ and "), field indices only where not zero, and
// numbers and timestamps as written. Compiling the canonical form gives an
// equivalent Matcher with the same canonical form.
func (m *Matcher) String() string {
	var b strings.Builder
	m.render(&b, m.root, false)
	return b.String()
}

func (m *Matcher) render(b *strings.Builder, i int32, paren bool) {
	n := &m.nodes[i]
	if n.kind == nodeTest {
		n.test.render(b)
		return
	}
	sep := " || "
	if n.kind == nodeAnd {
		sep = " && "
	}
	if paren {
		b.WriteByte('(')
	}
	for j, k := range n.kids {
		if j > 0 {
			b.WriteString(sep)
		}
		m.render(b, k, n.kind == nodeAnd && m.nodes[k].kind == nodeOr)
	}
	if paren {
		b.WriteByte(')')
	}
}

var opText = [...]string{opEQ: "==", opNE: "!=", opLT: "<", opLE: "<=", opGT: ">", opGE: ">=", opRE: "=~", opNRE: "!~"}

var varText = [...]string{
	varTrue: "TRUE", varFalse: "FALSE", varType: "Type", varLogger: "Logger",
	varHostname: "Hostname", varEnvVersion: "EnvVersion", varPayload: "Payload",
	varUuid: "Uuid", varSeverity: "Severity", varPid: "Pid", varTimestamp: "Timestamp",
}

// varName returns the variable of t as written in canonical form.
func (t *test) varName() string {
	if t.v != varField {
		return varText[t.v]
	}
	var b strings.Builder
	b.WriteString("Fields[")
	b.WriteString(t.field)
	b.WriteByte(']')
	if t.fi != 0 || t.ai != 0 {
		b.WriteString("[" + strconv.Itoa(t.fi) + "]")
	}
	if t.ai != 0 {
		b.WriteString("[" + strconv.Itoa(t.ai) + "]")
	}
	return b.String()
}

func (t *test) render(b *strings.Builder) {
	b.WriteString(t.varName())
	if t.v == varTrue || t.v == varFalse {
		return
	}
	b.WriteByte(' ')
	b.WriteString(opText[t.op])
	b.WriteByte(' ')
	switch t.val {
	case valNil:
		b.WriteString("NIL")
	case valTrue:
		b.WriteString("TRUE")
	case valFalse:
		b.WriteString("FALSE")
	case valNumber:
		b.WriteString(t.text)
	case valString:
		s := string(t.str)
		if t.v == varTimestamp {
			s = t.text
		}
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte('"')
		if t.mod {
			b.WriteByte('%')
		}
	}
}
