package config

import (
	"fmt"
	"strings"
)

// The light scan of Lua-syntax configs. gopher-lua does not say which line
// assigned a global, so the lines of keys are found in the source text:
// the scan tokenizes the file (skipping strings, long strings and
// comments) and follows its nesting, recording
//
//   - "name = ..." and "a, b = ..." statements of the main chunk (also
//     inside if/do/while blocks, never inside function bodies, never after
//     "local", never fields such as "t.x = ...");
//   - the items of a table constructor assigned directly to such a name,
//     recursively: "name = value" items by name and positional items by
//     index ("[expr] = value" items are not tracked).
//
// The last assignment to a name wins, as it does when the chunk runs. The
// result is only used for error messages, so anything the scan does not
// understand just has no line.
//
// The same pass refuses, before gopher-lua compiles anything, sources its
// compiler would chew on for seconds or minutes (see scanLua).

const (
	tkName byte = iota + 1
	tkKeyword
	tkString
	tkNumber
	tkOp
)

type luaTok struct {
	kind byte
	text string // the token as written
	line int
}

func (t luaTok) isOp(s string) bool { return t.kind == tkOp && t.text == s }

var luaKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true,
	"end": true, "false": true, "for": true, "function": true, "if": true,
	"in": true, "local": true, "nil": true, "not": true, "or": true,
	"repeat": true, "return": true, "then": true, "true": true,
	"until": true, "while": true,
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) }

// longBracket reports whether a long bracket "[", "="*level, "[" opens at
// src[i], and its level.
func longBracket(src string, i int) (level int, ok bool) {
	if i >= len(src) || src[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// skipLong skips the long string or comment whose opening bracket of the
// given level starts at src[i]; it returns the index after the closing
// bracket (or the end of src) and the line count advanced over it.
func skipLong(src string, i, level, line int) (int, int) {
	i += level + 2
	for i < len(src) {
		switch src[i] {
		case '\n':
			line++
		case ']':
			j := i + 1
			for j < len(src) && src[j] == '=' {
				j++
			}
			if j < len(src) && src[j] == ']' && j-i-1 == level {
				return j + 1, line
			}
		}
		i++
	}
	return i, line
}

// luaTokens splits Lua source into the tokens the scan needs. It never
// fails: malformed text yields some tokens, and gopher-lua reports the
// syntax error.
func luaTokens(src string) []luaTok {
	var toks []luaTok
	line := 1
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			i += 2
			if level, ok := longBracket(src, i); ok {
				i, line = skipLong(src, i, level, line)
				continue
			}
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '[':
			if level, ok := longBracket(src, i); ok {
				start, from := line, i
				i, line = skipLong(src, i, level, line)
				toks = append(toks, luaTok{kind: tkString, text: src[from:i], line: start})
				continue
			}
			toks = append(toks, luaTok{kind: tkOp, text: "[", line: line})
			i++
		case c == '"' || c == '\'':
			start, from := line, i
			i++
			for i < len(src) && src[i] != c && src[i] != '\n' {
				if src[i] == '\\' && i+1 < len(src) {
					if src[i+1] == '\n' {
						line++
					}
					i += 2
					continue
				}
				i++
			}
			if i < len(src) && src[i] == c {
				i++
			}
			toks = append(toks, luaTok{kind: tkString, text: src[from:i], line: start})
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			from := i
			i++
			for i < len(src) {
				d := src[i]
				exp := (d == '+' || d == '-') && (src[i-1] == 'e' || src[i-1] == 'E')
				if !isNameChar(d) && d != '.' && !exp {
					break
				}
				i++
			}
			toks = append(toks, luaTok{kind: tkNumber, text: src[from:i], line: line})
		case isNameStart(c):
			j := i + 1
			for j < len(src) && isNameChar(src[j]) {
				j++
			}
			kind := tkName
			if luaKeywords[src[i:j]] {
				kind = tkKeyword
			}
			toks = append(toks, luaTok{kind: kind, text: src[i:j], line: line})
			i = j
		default:
			n := 1
			switch {
			case i+2 < len(src) && src[i:i+3] == "...":
				n = 3
			case i+1 < len(src):
				switch src[i : i+2] {
				case "..", "==", "~=", "<=", ">=":
					n = 2
				}
			}
			toks = append(toks, luaTok{kind: tkOp, text: src[i : i+n], line: line})
			i += n
		}
	}
	return toks
}

// scanFrame is one level of nesting: 'c' the main chunk, 'b' a block,
// 'i' an if statement, 'f' a function body, '(' '[' '{' brackets. A '{'
// frame may track the table it builds.
type scanFrame struct {
	kind      byte
	node      *lineNode // lines of the table built by a '{', or nil
	index     int64     // positional items seen so far
	itemStart bool      // the next token starts an item of the '{'
	concats   int       // ".." operators in the current expression
	group     bool      // a '(' that groups an expression (not a call)
	elseifs   int       // "elseif" branches of an 'i'
}

const (
	// maxSyntaxLevels is Lua 5.1's limit of nested syntax levels
	// (LUAI_MAXCCALLS). Each nested block, function or bracket takes at
	// least one level, so anything deeper fails in the reference too.
	maxSyntaxLevels = 200

	// maxConcats bounds the operators of one chain of the
	// right-associative ".." and "^". Lua 5.1 nests a syntax level per
	// operator, and gopher-lua refuses ".." chains of about 200 operands
	// (register overflow), but only after compiling them in quadratic
	// time; the scan refuses longer chains up front, so a hostile file
	// cannot stall the compiler.
	maxConcats = 250

	// maxElseifs bounds the branches of one if statement, which
	// gopher-lua compiles in more than linear time.
	maxElseifs = 1000
)

// errScan is a problem the scan finds before gopher-lua sees the source.
type errScan struct {
	line int
	msg  string
}

func (e *errScan) Error() string { return e.msg }

// addConcats counts n more ".." in the expression of frame f.
func addConcats(f *scanFrame, n, line int) error {
	f.concats += n
	if f.concats > maxConcats {
		return &errScan{line, fmt.Sprintf("expression too complex (more than %d '..' or '^' in one chain)", maxConcats)}
	}
	return nil
}

// continuesConcat reports whether a token can sit inside a chain of ".."
// without ending the expression (operands and operators binding tighter).
func continuesConcat(tk luaTok) bool {
	switch tk.kind {
	case tkName, tkString, tkNumber:
		return true
	case tkKeyword:
		return tk.text == "not" || tk.text == "nil" || tk.text == "true" || tk.text == "false"
	}
	switch tk.text {
	case ".", ":", "...", "+", "-", "*", "/", "%", "^", "#", "(", ")", "[", "]", "{", "}":
		return true
	}
	return false
}

// scanLua returns the lines of the globals a Lua-syntax config sets. It
// refuses sources beyond maxSyntaxLevels, maxConcats, maxElseifs or
// MaxConstants (an *errScan); any other text, even invalid Lua, is scanned
// as well as it goes, and gopher-lua reports the syntax errors.
func scanLua(src []byte) (*lineNode, error) {
	toks := luaTokens(string(src))
	root := &lineNode{}
	stack := []scanFrame{{kind: 'c'}}
	fnDepth := 0
	forHeader := false
	var pending *lineNode // the node a '{' right at this token would fill
	constants := make(map[string]bool)
	unary := 0 // unary operators in a row

	push := func(f scanFrame, line int) error {
		if len(stack) > maxSyntaxLevels {
			return &errScan{line, fmt.Sprintf("chunk has too many syntax levels (more than %d nested blocks, functions or brackets)", maxSyntaxLevels)}
		}
		stack = append(stack, f)
		if f.kind == 'f' {
			fnDepth++
		}
		return nil
	}
	pop := func(kinds string) error {
		top := stack[len(stack)-1]
		if len(stack) > 1 && strings.IndexByte(kinds, top.kind) >= 0 {
			if top.kind == 'f' {
				fnDepth--
			}
			stack = stack[:len(stack)-1]
			if top.group {
				// gopher-lua flattens "a .. (b .. c)" into one chain.
				return addConcats(&stack[len(stack)-1], top.concats, 0)
			}
		}
		return nil
	}

	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		if tk.kind == tkName || tk.kind == tkString || tk.kind == tkNumber {
			k := string(tk.kind) + tk.text
			if !constants[k] {
				constants[k] = true
				if len(constants) > MaxConstants {
					return nil, &errScan{tk.line, fmt.Sprintf("more than %d distinct names and literals (gopher-lua compiles them in quadratic time; put large data in a TOML config)", MaxConstants)}
				}
			}
		}

		p := pending
		pending = nil
		top := &stack[len(stack)-1]

		if top.kind == '{' && top.itemStart && !tk.isOp("}") {
			top.itemStart = false
			switch {
			case tk.kind == tkName && i+1 < len(toks) && toks[i+1].isOp("="):
				pending = top.node.replace(StringKey(tk.text), tk.line)
				i++ // the "="
				continue
			case tk.isOp("["):
				// "[expr] = value": the key is not known here.
			default:
				top.index++
				p = top.node.replace(IntKey(top.index), tk.line)
			}
		}

		var err error
		switch {
		case tk.isOp("..") || tk.isOp("^"):
			err = addConcats(top, 1, tk.line)
		case tk.kind == tkKeyword:
			switch tk.text {
			case "function":
				err = push(scanFrame{kind: 'f'}, tk.line)
			case "do":
				forHeader = false
				err = push(scanFrame{kind: 'b'}, tk.line)
			case "if":
				err = push(scanFrame{kind: 'i'}, tk.line)
			case "repeat":
				err = push(scanFrame{kind: 'b'}, tk.line)
			case "elseif":
				if top.kind == 'i' {
					if top.elseifs++; top.elseifs > maxElseifs {
						err = &errScan{tk.line, fmt.Sprintf("more than %d elseif branches in one if statement", maxElseifs)}
					}
				}
			case "for":
				forHeader = true
			case "end", "until":
				err = pop("bif")
			}
		case tk.isOp("{"):
			err = push(scanFrame{kind: '{', node: p, itemStart: true}, tk.line)
		case tk.isOp("("):
			call := i > 0 && (toks[i-1].kind == tkName || toks[i-1].kind == tkString || toks[i-1].isOp(")") || toks[i-1].isOp("]"))
			err = push(scanFrame{kind: '(', group: !call}, tk.line)
		case tk.isOp("["):
			err = push(scanFrame{kind: '['}, tk.line)
		case tk.isOp("}"):
			err = pop("{")
		case tk.isOp(")"):
			err = pop("(")
			if e, ok := err.(*errScan); ok {
				e.line = tk.line
			}
		case tk.isOp("]"):
			err = pop("[")
		case tk.isOp(",") || tk.isOp(";"):
			if top.kind == '{' {
				top.itemStart = true
			}
		case tk.isOp("="):
			if (top.kind == 'c' || top.kind == 'b' || top.kind == 'i') && fnDepth == 0 && !forHeader {
				pending = recordAssignment(root, toks, i)
			}
		}
		if err != nil {
			return nil, err
		}
		if tk.isOp("-") || tk.isOp("#") || (tk.kind == tkKeyword && tk.text == "not") {
			// Each unary operator nests one syntax level deeper.
			if unary++; unary > maxSyntaxLevels {
				return nil, &errScan{tk.line, fmt.Sprintf("chunk has too many syntax levels (more than %d unary operators in a row)", maxSyntaxLevels)}
			}
		} else {
			unary = 0
		}
		if !continuesConcat(tk) && !tk.isOp("..") && !tk.isOp("^") {
			stack[len(stack)-1].concats = 0
		}
	}
	return root, nil
}

// recordAssignment records the global names assigned by the "=" at
// toks[eq]. It returns the node of the name when there is exactly one,
// so a table constructor right after the "=" can fill it.
func recordAssignment(root *lineNode, toks []luaTok, eq int) *lineNode {
	var names []luaTok
	j := eq - 1
	for j >= 0 && toks[j].kind == tkName {
		if j > 0 && (toks[j-1].isOp(".") || toks[j-1].isOp(":")) {
			break // a field, "t.x = ..."
		}
		names = append(names, toks[j])
		if j > 1 && toks[j-1].isOp(",") {
			j -= 2
			continue
		}
		j--
		break
	}
	if j >= 0 && toks[j].kind == tkKeyword && toks[j].text == "local" {
		return nil
	}
	var last *lineNode
	for _, n := range names {
		last = root.replace(StringKey(n.text), n.line)
	}
	if len(names) == 1 {
		return last
	}
	return nil
}
