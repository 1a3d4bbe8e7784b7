package luapattern

import (
	"math/bits"
	"strings"
)

// MaxCaptures is the most captures a pattern may hold (Lua's LUA_MAXCAPTURES).
const MaxCaptures = 32

// specials are the characters whose presence makes string.find treat its
// pattern as a pattern rather than as plain text (Lua 5.1's SPECIALS).
const specials = "^$*+?.([%-"

// charSet is a set of bytes, one bit per byte value.
type charSet [4]uint64

func (cs *charSet) has(c byte) bool { return cs[c>>6]&(1<<(c&63)) != 0 }

// only returns the set's one member, when it has exactly one.
func (cs *charSet) only() (byte, bool) {
	n := 0
	for _, w := range cs {
		n += bits.OnesCount64(w)
	}
	if n != 1 {
		return 0, false
	}
	for i, w := range cs {
		if w != 0 {
			return byte(i*64 + bits.TrailingZeros64(w)), true
		}
	}
	return 0, false
}

func (cs *charSet) add(c byte) { cs[c>>6] |= 1 << (c & 63) }

func (cs *charSet) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		cs.add(byte(c))
	}
}

func (cs *charSet) union(o *charSet) {
	for i := range cs {
		cs[i] |= o[i]
	}
}

func (cs *charSet) invert() {
	for i := range cs {
		cs[i] = ^cs[i]
	}
}

// classSets holds the sets of the lower-case class letters (%a, %d, ...)
// under the C locale, indexed by the letter; a zero set means "not a class".
var classSets = func() (t [256]charSet) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		upper := 'A' <= b && b <= 'Z'
		lower := 'a' <= b && b <= 'z'
		digit := '0' <= b && b <= '9'
		space := b == ' ' || ('\t' <= b && b <= '\r')
		cntrl := b < 32 || b == 127
		punct := b > 32 && b < 127 && !upper && !lower && !digit
		xdigit := digit || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F')
		set := func(letter byte, in bool) {
			if in {
				t[letter].add(b)
			}
		}
		set('a', upper || lower)
		set('c', cntrl)
		set('d', digit)
		set('l', lower)
		set('p', punct)
		set('s', space)
		set('u', upper)
		set('w', upper || lower || digit)
		set('x', xdigit)
		set('z', b == 0)
	}
	return t
}()

// classOf returns the set matched by the escape %cl (Lua's match_class): a
// class letter gives its class, its upper case the complement, and any other
// character stands for itself.
func classOf(cl byte) charSet {
	lower := cl
	if 'A' <= cl && cl <= 'Z' {
		lower = cl + ('a' - 'A')
	}
	set := classSets[lower]
	if set == (charSet{}) {
		var lit charSet
		lit.add(cl)
		return lit
	}
	if lower != cl {
		set.invert()
	}
	return set
}

// Shared sets that instructions point to, so that compiling the common
// items allocates nothing: every escape %x and every single byte.
var (
	escapeSets = func() (t [256]charSet) {
		for c := range t {
			t[c] = classOf(byte(c))
		}
		return t
	}()
	byteSets = func() (t [256]charSet) {
		for c := range t {
			t[c].add(byte(c))
		}
		return t
	}()
	anySet = charSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
)

// shared returns a pointer to set: a shared one when set is a single byte,
// everything, or an escape class, else a new copy.
func shared(set charSet) *charSet {
	if c, ok := set.only(); ok {
		return &byteSets[c]
	}
	if set == anySet {
		return &anySet
	}
	p := new(charSet)
	*p = set
	return p
}

// op is the kind of one instruction.
type op uint8

const (
	opSingle   op = iota // one byte from set, repeated as q says
	opOpen               // start capture n
	opPosition           // position capture n
	opClose              // close capture n
	opBackref            // %1..%9: the text of capture n again
	opBalance            // %bxy
	opFrontier           // %f[set]
	opEOS                // '$' at the end of the pattern
	opEnd                // the pattern has matched
)

// quant is the repetition of an opSingle.
type quant uint8

const (
	qOne  quant = iota // exactly once
	qOpt               // '?'
	qStar              // '*', longest first
	qPlus              // '+', longest first
	qMin               // '-', shortest first
)

// inst is one instruction of a compiled pattern.
type inst struct {
	set *charSet // opSingle, opFrontier; read only, may be shared
	// fset, when not nil: a quantified opSingle is followed by an item that
	// must match a byte of fset first, so only positions holding one are
	// worth trying; fcLit when that is the single byte fc.
	fset  *charSet
	op    op
	q     quant
	lit   bool  // opSingle: set holds exactly the byte c
	c, d  byte  // opSingle literal: c; opBalance: open c, close d
	n     uint8 // capture index
	fcLit bool
	fc    byte
	any   bool // the set holds every byte ('.')
}

// prog is a pattern compiled for one reading of a leading '^'.
type prog struct {
	insts    []inst
	anchored bool // the match must start at the initial position
	nchoice  int  // quantified items: the deepest the backtrack stack gets
	// prefix is the literal text every match starts with.
	prefix string
	// literal: the pattern is prefix alone (plus '$' when eos) with no
	// captures, so a match is a string comparison.
	literal bool
	eos     bool
	// first, when not nil, holds every byte a match can start with.
	first *charSet
}

// Pattern is a compiled Lua 5.1 pattern. It is immutable after Compile and
// safe for concurrent use.
type Pattern struct {
	src  string
	ncap int
	main prog  // string.find, match and gsub: a leading '^' anchors
	gm   *prog // string.gmatch: a leading '^' is an ordinary character
	// findPlain: string.find searches for findLit as plain text because the
	// pattern has no special characters (Lua tests this up to the first NUL).
	findPlain bool
	findLit   string
	// err is the fault of a pattern that is valid only for Find.
	err error
}

// Compile parses a Lua 5.1 pattern. Every fault Lua 5.1 would raise while
// matching is reported here instead, as a *SyntaxError, even where Lua would
// raise it only once a match reached the faulty item.
//
// As in Lua 5.1's C implementation, a NUL byte ends the pattern (write %z to
// match NUL); only string.find's plain-text search sees the whole string.
//
// A pattern without special characters that is nevertheless faulty (the
// only such fault is an unmatched ')', as in "a)") compiles, because
// string.find searches for it as plain text; Find works and every other
// method returns the fault.
func Compile(pat string) (*Pattern, error) {
	p := &Pattern{src: pat}
	p.gm = &p.main
	body := pat
	if i := strings.IndexByte(body, 0); i >= 0 {
		body = body[:i]
	}
	if !strings.ContainsAny(body, specials) {
		p.findPlain, p.findLit = true, pat
		if !strings.Contains(body, ")") {
			// Plain text for every use: nothing to compile.
			p.main = prog{literal: true, prefix: body}
			return p, nil
		}
	}
	anchored := strings.HasPrefix(body, "^")
	start := 0
	if anchored {
		start = 1
	}
	ncap, err := compileProg(&p.main, pat, body, start)
	if err != nil {
		if !p.findPlain {
			return nil, err
		}
		// string.find never parses it ("a)" is searched as text), so only
		// the other uses fail.
		p.err = err
		return p, nil
	}
	p.ncap = ncap
	p.main.anchored = anchored
	if anchored {
		p.gm = new(prog)
		if _, err := compileProg(p.gm, pat, body, 0); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// MustCompile is Compile that panics on a faulty pattern, for patterns that
// are constants of the program.
func MustCompile(pat string) *Pattern {
	p, err := Compile(pat)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as given to Compile.
func (p *Pattern) String() string { return p.src }

// NumCaptures returns the number of captures in the pattern, position
// captures included.
func (p *Pattern) NumCaptures() int { return p.ncap }

// compiler holds the state of one compileProg.
type compiler struct {
	src    string // the whole pattern, for errors
	pat    string // the pattern up to its first NUL
	insts  []inst
	level  int                // captures started so far
	closed [MaxCaptures]bool  // capture closed (or a position capture)
	opens  [MaxCaptures]uint8 // open captures, innermost last
	nopen  int
}

func (c *compiler) fail(off int, err error) error {
	return &SyntaxError{Pattern: c.src, Offset: off, Err: err}
}

// compileProg compiles body[start:] into pr and returns the capture count.
func compileProg(pr *prog, src, body string, start int) (int, error) {
	c := &compiler{src: src, pat: body}
	for i := start; i < len(body); {
		next, err := c.item(i)
		if err != nil {
			return 0, err
		}
		i = next
	}
	if c.nopen > 0 {
		return 0, c.fail(len(body), ErrUnfinishedCapture)
	}
	c.insts = append(c.insts, inst{op: opEnd})
	pr.insts = c.insts
	pr.analyse()
	return c.level, nil
}

// item compiles the pattern item at offset i and returns the offset after it.
// It follows the order of Lua 5.1's do_match: captures, %b, %f, back-references,
// the final '$', then single-character items with their quantifier.
func (c *compiler) item(i int) (int, error) {
	pat := c.pat
	switch pat[i] {
	case '(':
		if c.level >= MaxCaptures {
			return 0, c.fail(i, ErrTooManyCaptures)
		}
		n := uint8(c.level)
		c.level++
		if i+1 < len(pat) && pat[i+1] == ')' {
			c.closed[n] = true
			c.insts = append(c.insts, inst{op: opPosition, n: n})
			return i + 2, nil
		}
		c.opens[c.nopen] = n
		c.nopen++
		c.insts = append(c.insts, inst{op: opOpen, n: n})
		return i + 1, nil
	case ')':
		if c.nopen == 0 {
			return 0, c.fail(i, ErrInvalidPatternCapture)
		}
		c.nopen--
		n := c.opens[c.nopen]
		c.closed[n] = true
		c.insts = append(c.insts, inst{op: opClose, n: n})
		return i + 1, nil
	case '$':
		if i+1 == len(pat) {
			c.insts = append(c.insts, inst{op: opEOS})
			return i + 1, nil
		}
	case '%':
		if i+1 >= len(pat) {
			break // a single item, which reports the lone '%'
		}
		switch e := pat[i+1]; {
		case e == 'b':
			if i+3 >= len(pat) {
				return 0, c.fail(i, ErrUnbalancedPattern)
			}
			c.insts = append(c.insts, inst{op: opBalance, c: pat[i+2], d: pat[i+3]})
			return i + 4, nil
		case e == 'f':
			j := i + 2
			if j >= len(pat) || pat[j] != '[' {
				return 0, c.fail(i, ErrMissingFrontierBracket)
			}
			end, err := c.classEnd(j)
			if err != nil {
				return 0, err
			}
			c.insts = append(c.insts, inst{op: opFrontier, set: shared(c.bracket(j, end-1))})
			return end, nil
		case '0' <= e && e <= '9':
			n := int(e) - '1'
			if n < 0 || n >= c.level || !c.closed[n] {
				return 0, c.fail(i, ErrInvalidCaptureIndex)
			}
			c.insts = append(c.insts, inst{op: opBackref, n: uint8(n)})
			return i + 2, nil
		}
	}
	return c.single(i)
}

// single compiles a single-character class at i and its quantifier.
func (c *compiler) single(i int) (int, error) {
	pat := c.pat
	end, err := c.classEnd(i)
	if err != nil {
		return 0, err
	}
	in := inst{op: opSingle}
	switch pat[i] {
	case '.':
		in.set = &anySet
	case '%':
		in.set = &escapeSets[pat[i+1]]
	case '[':
		in.set = shared(c.bracket(i, end-1))
	default:
		in.set = &byteSets[pat[i]]
	}
	in.c, in.lit = in.set.only()
	in.any = in.set == &anySet
	if end < len(pat) {
		switch pat[end] {
		case '?':
			in.q = qOpt
		case '*':
			in.q = qStar
		case '+':
			in.q = qPlus
		case '-':
			in.q = qMin
		}
		if in.q != qOne {
			end++
		}
	}
	c.insts = append(c.insts, in)
	return end, nil
}

// classEnd returns the offset just past the single-character class at i
// (Lua's classEnd): a '%' escape, a '[' set, or one character.
func (c *compiler) classEnd(i int) (int, error) {
	pat := c.pat
	switch pat[i] {
	case '%':
		if i+1 >= len(pat) {
			return 0, c.fail(i, ErrEndsWithPercent)
		}
		return i + 2, nil
	case '[':
		j := i + 1
		if j < len(pat) && pat[j] == '^' {
			j++
		}
		// The first character is always a member, so "[]]" is the set of ']'.
		for {
			if j >= len(pat) {
				return 0, c.fail(i, ErrMissingBracket)
			}
			ch := pat[j]
			j++
			if ch == '%' && j < len(pat) {
				j++ // skip the escaped character, which may be ']'
			}
			if j < len(pat) && pat[j] == ']' {
				return j + 1, nil
			}
		}
	}
	return i + 1, nil
}

// bracket returns the set of the class pat[open:close+1], where pat[open] is
// '[' and pat[close] its ']'. It reads the set the way Lua's
// matchbracketclass does: %x escapes, a-z ranges (a '-' first or last is
// itself), and a leading '^' for the complement.
func (c *compiler) bracket(open, close int) charSet {
	pat := c.pat
	var set charSet
	neg := false
	j := open
	if pat[j+1] == '^' {
		neg = true
		j++
	}
	for j++; j < close; j++ {
		switch {
		case pat[j] == '%':
			j++
			cl := classOf(pat[j])
			set.union(&cl)
		case pat[j+1] == '-' && j+2 < close:
			set.addRange(pat[j], pat[j+2])
			j += 2
		default:
			set.add(pat[j])
		}
	}
	if neg {
		set.invert()
	}
	return set
}

// analyse fills in the search shortcuts of pr from its instructions.
func (pr *prog) analyse() {
	var prefix []byte
	literal := true
	for i := range pr.insts {
		in := &pr.insts[i]
		if in.op != opSingle {
			continue
		}
		if in.q == qOne {
			continue
		}
		pr.nchoice++
		if next := &pr.insts[i+1]; next.op == opSingle && (next.q == qOne || next.q == qPlus) {
			in.fset = next.set
			in.fc, in.fcLit = next.c, next.lit
		}
	}
	i := 0
	for ; i < len(pr.insts); i++ {
		in := &pr.insts[i]
		if in.op == opSingle && in.q == qOne && in.lit {
			prefix = append(prefix, in.c)
			continue
		}
		if in.op == opOpen || in.op == opPosition || in.op == opClose {
			literal = false
			continue
		}
		break
	}
	pr.prefix = string(prefix)
	rest := pr.insts[i:]
	switch {
	case literal && len(rest) == 1:
		pr.literal = true
	case literal && len(rest) == 2 && rest[0].op == opEOS:
		pr.literal, pr.eos = true, true
	}
	// The bytes a match can start with, when its first consuming item must
	// consume one.
	for j := range pr.insts {
		in := &pr.insts[j]
		if in.op == opOpen || in.op == opPosition || in.op == opClose {
			continue
		}
		if in.op == opSingle && (in.q == qOne || in.q == qPlus) {
			pr.first = in.set
		}
		if in.op == opBalance {
			pr.first = &byteSets[in.c]
		}
		break
	}
}
