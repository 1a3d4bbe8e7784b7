package preserve

// Restore runs every file through resegment before compiling it. A file
// written by the reference is one Lua function holding a constant for
// every distinct key and value, and gopher-lua finds each constant by a
// linear scan of those already seen: a 10,000-entry state takes over a
// second to compile, 100,000 entries five minutes, and compiling cannot be
// interrupted. resegment wraps runs of top-level statements in functions,
// as Save does, so each function has a bounded number of constants.
//
// It only cuts where the result is certain to mean the same: on a line
// whose first token starts a statement (a name or a statement keyword),
// outside any block or bracket, right after a token that ends a statement.
// A name cannot continue an expression, so such a line starts a new
// statement. Wrapping statements in a function changes nothing else unless
// the chunk has a top-level local (its scope would end at the cut), uses
// the chunk's varargs or goto outside functions, or returns from the main
// chunk after the first cut; such a file is compiled as it is. Tokens are
// read the way gopher-lua reads them, since it compiles the result. The wrappers are inserted inside lines
// so error messages keep their line numbers.

const (
	cutFirst = "do local segment = function() "
	cutNext  = "end segment() end do local segment = function() "
	cutLast  = "\nend segment() end\n"
)

// resegment returns src with its top-level statements grouped into
// functions of about segmentCost constants each, or src itself when it is
// small, cannot be cut safely, or does not lex (the compiler then reports
// the error).
func resegment(src []byte) []byte {
	return cutSegments(src, segmentCost)
}

// cutSegments is resegment with the number of constants per segment as a
// parameter, for tests.
func cutSegments(src []byte, limit int) []byte {
	var (
		lx       = lexer{src: src}
		blocks   []bool // open blocks; true for a function body
		funcs    int    // open function bodies
		brackets int
		prevEnds bool // the previous token ends a statement
		cost     int  // names, strings and numbers since the last cut
		cuts     []int
	)
	for {
		tok, start, newline := lx.next()
		switch tok {
		case tokEOF:
			if len(cuts) == 0 {
				return src
			}
			return insertCuts(src, cuts)
		case tokError:
			return src
		}
		if newline && prevEnds && len(blocks) == 0 && brackets == 0 && startsStatement(tok) && cost >= limit {
			cuts = append(cuts, start)
			cost = 0
		}
		prevEnds = false
		switch tok {
		case tokName, tokString, tokNumber:
			cost++
			prevEnds = true
		case tokTrue, tokFalse, tokNil, tokSemicolon:
			prevEnds = true
		case tokClose:
			brackets--
			prevEnds = true
		case tokOpen:
			brackets++
		case tokFunction:
			blocks = append(blocks, true)
			funcs++
		case tokDo, tokIf, tokRepeat:
			blocks = append(blocks, false)
		case tokEnd, tokUntil:
			if len(blocks) == 0 {
				return src // unbalanced: let the compiler say so
			}
			if blocks[len(blocks)-1] {
				funcs--
			}
			blocks = blocks[:len(blocks)-1]
			prevEnds = tok == tokEnd
		case tokLocal:
			if len(blocks) == 0 {
				return src
			}
		case tokVararg:
			if funcs == 0 {
				return src
			}
			prevEnds = true
		case tokGoto, tokLabel:
			if funcs == 0 {
				return src // a jump could cross a cut
			}
		case tokReturn:
			if funcs == 0 && len(cuts) > 0 {
				return src
			}
		}
	}
}

// insertCuts inserts the segment wrappers at the given offsets.
func insertCuts(src []byte, cuts []int) []byte {
	out := make([]byte, 0, len(src)+len(cuts)*len(cutNext)+len(cutLast))
	last := 0
	for i, at := range cuts {
		out = append(out, src[last:at]...)
		if i == 0 {
			out = append(out, cutFirst...)
		} else {
			out = append(out, cutNext...)
		}
		last = at
	}
	out = append(out, src[last:]...)
	return append(out, cutLast...)
}

// startsStatement reports whether a token can only begin a new statement
// when it follows a complete one.
func startsStatement(tok token) bool {
	switch tok {
	case tokName, tokDo, tokIf, tokFunction, tokRepeat, tokWhile, tokFor:
		return true
	}
	return false
}

// token is the lexical class of a Lua 5.1 token, as far as resegment needs
// to know it.
type token uint8

const (
	tokEOF token = iota
	tokError
	tokName
	tokString
	tokNumber
	tokOpen  // ( [ {
	tokClose // ) ] }
	tokOther // operators and punctuation
	tokSemicolon
	tokVararg
	// keywords
	tokDo
	tokEnd
	tokFalse
	tokFor
	tokFunction
	tokIf
	tokLocal
	tokNil
	tokRepeat
	tokReturn
	tokTrue
	tokUntil
	tokWhile
	tokGoto    // gopher-lua has Lua 5.2's goto
	tokLabel   // "::", around a goto label
	tokKeyword // the other keywords
)

var keywords = map[string]token{
	"and": tokKeyword, "break": tokKeyword, "do": tokDo, "else": tokKeyword,
	"elseif": tokKeyword, "end": tokEnd, "false": tokFalse, "for": tokFor,
	"function": tokFunction, "if": tokIf, "in": tokKeyword, "local": tokLocal,
	"nil": tokNil, "not": tokKeyword, "or": tokKeyword, "repeat": tokRepeat,
	"return": tokReturn, "then": tokKeyword, "true": tokTrue, "until": tokUntil,
	"while": tokWhile, "goto": tokGoto,
}

// lexer splits Lua 5.1 source into tokens, skipping comments.
type lexer struct {
	src []byte
	pos int
}

// next returns the next token, its offset, and whether a line break
// (outside any token) precedes it.
func (lx *lexer) next() (tok token, start int, newline bool) {
	src := lx.src
	for lx.pos < len(src) {
		c := src[lx.pos]
		switch {
		case c == '\n' || c == '\r':
			newline = true
			lx.pos++
		case c == ' ' || c == '\t' || c == '\v' || c == '\f':
			lx.pos++
		case c == '-' && lx.pos+1 < len(src) && src[lx.pos+1] == '-':
			lx.pos += 2
			if level, ok := longBracket(src, lx.pos); ok {
				if !lx.skipLong(level) {
					return tokError, lx.pos, newline
				}
				continue
			}
			for lx.pos < len(src) && src[lx.pos] != '\n' && src[lx.pos] != '\r' {
				lx.pos++
			}
		default:
			start = lx.pos
			return lx.token(), start, newline
		}
	}
	return tokEOF, lx.pos, newline
}

// token scans the token at lx.pos, which is not space or a comment.
func (lx *lexer) token() token {
	src := lx.src
	c := src[lx.pos]
	switch {
	case isNameStart(c):
		end := lx.pos + 1
		for end < len(src) && (isNameStart(src[end]) || isDigit(src[end])) {
			end++
		}
		kw, ok := keywords[string(src[lx.pos:end])]
		lx.pos = end
		if ok {
			return kw
		}
		return tokName
	case isDigit(c) || (c == '.' && lx.pos+1 < len(src) && isDigit(src[lx.pos+1])):
		lx.number()
		return tokNumber
	case c == '"' || c == '\'':
		return lx.shortString(c)
	case c == '[':
		if level, ok := longBracket(src, lx.pos); ok {
			if !lx.skipLong(level) {
				return tokError
			}
			return tokString
		}
		lx.pos++
		return tokOpen
	case c == '(' || c == '{':
		lx.pos++
		return tokOpen
	case c == ')' || c == ']' || c == '}':
		lx.pos++
		return tokClose
	case c == ';':
		lx.pos++
		return tokSemicolon
	case c == ':':
		if lx.pos+1 < len(src) && src[lx.pos+1] == ':' {
			lx.pos += 2
			return tokLabel
		}
	case c == '.':
		if lx.pos+2 < len(src) && src[lx.pos+1] == '.' && src[lx.pos+2] == '.' {
			lx.pos += 3
			return tokVararg
		}
		if lx.pos+1 < len(src) && src[lx.pos+1] == '.' {
			lx.pos += 2
			return tokOther
		}
	case c == '=' || c == '~' || c == '<' || c == '>':
		if lx.pos+1 < len(src) && src[lx.pos+1] == '=' {
			lx.pos += 2
			return tokOther
		}
	}
	lx.pos++
	return tokOther
}

// number skips a number the way gopher-lua's scanner, which compiles the
// result, reads one: "0x" and hex digits; or digits, an optional "." and
// digits, an optional exponent ("e", an optional sign, one byte whatever
// it is, digits). For valid Lua 5.1 numbers this is Lua 5.1's reading too.
func (lx *lexer) number() {
	src := lx.src
	i := lx.pos
	if src[i] == '0' && i+1 < len(src) && (src[i+1] == 'x' || src[i+1] == 'X') {
		i += 2
		for i < len(src) && isHexDigit(src[i]) {
			i++
		}
		lx.pos = i
		return
	}
	i++ // a digit, or the "." before one
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i < len(src) && src[i] == '.' {
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i < len(src) {
			i++
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	lx.pos = i
}

// shortString skips a quoted string; a raw line break in it is an error.
func (lx *lexer) shortString(quote byte) token {
	src := lx.src
	for i := lx.pos + 1; i < len(src); i++ {
		switch src[i] {
		case quote:
			lx.pos = i + 1
			return tokString
		case '\n', '\r':
			return tokError
		case '\\':
			i++ // the escaped byte, a line break included; \ddd digits are plain bytes
			if i+1 < len(src) && ((src[i] == '\r' && src[i+1] == '\n') || (src[i] == '\n' && src[i+1] == '\r')) {
				i++
			}
		}
	}
	return tokError
}

// longBracket reports whether a long bracket "[", "="*level, "[" opens at i.
func longBracket(src []byte, i int) (level int, ok bool) {
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

// skipLong skips a long string or comment opening at lx.pos; false if it
// is not closed.
func (lx *lexer) skipLong(level int) bool {
	src := lx.src
	for i := lx.pos + level + 2; i < len(src); i++ {
		if src[i] != ']' {
			continue
		}
		j := i + 1
		for j < len(src) && src[j] == '=' {
			j++
		}
		if j-i-1 == level && j < len(src) && src[j] == ']' {
			lx.pos = j + 1
			return true
		}
	}
	return false
}

func isNameStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
