package luapattern

import (
	"strconv"
	"strings"
)

// StartOffset converts the init argument of Lua 5.1's string.find and
// string.match (1-based; negative counts back from the end) into the 0-based
// byte offset in a subject of n bytes where the search starts, clamped to
// [0, n] as Lua 5.1 does. The methods of this package take such offsets.
func StartOffset(init, n int) int {
	if init < 0 {
		init += n + 1
		if init < 0 {
			init = 0
		}
	}
	init--
	switch {
	case init < 0:
		return 0
	case init > n:
		return n
	}
	return init
}

// clamp keeps an offset inside the subject.
func clamp(init, n int) int {
	switch {
	case init < 0:
		return 0
	case init > n:
		return n
	}
	return init
}

// FindPlain is string.find with plain set: the offset of the first
// occurrence of lit in s at or after byte offset init (clamped to [0,
// len(s)]). An empty lit is found at init.
func FindPlain(s, lit string, init int) (start int, ok bool) {
	init = clamp(init, len(s))
	j := strings.Index(s[init:], lit)
	if j < 0 {
		return 0, false
	}
	return init + j, true
}

// Find is Lua 5.1's string.find without plain: the first match of p in s
// starting at or after byte offset init (clamped to [0, len(s)]; see
// StartOffset). A pattern without special characters is searched for as
// plain text, as Lua does. On a match it fills m; Lua returns m.Start+1,
// m.End and then m.Captures().
func (p *Pattern) Find(s string, init int, m *Match, b *Budget) (bool, error) {
	if p.findPlain {
		start, ok := FindPlain(s, p.findLit, init)
		if ok {
			m.set(start, start+len(p.findLit), 0)
		}
		return ok, nil
	}
	return p.search(&p.main, s, init, m, b)
}

// Match is Lua 5.1's string.match: the first match of p in s starting at or
// after byte offset init (clamped; see StartOffset). On a match it fills m;
// Lua returns m.Values().
func (p *Pattern) Match(s string, init int, m *Match, b *Budget) (bool, error) {
	return p.search(&p.main, s, init, m, b)
}

// MatchString reports whether s contains a match of p, as the message
// matcher's =~ asks. It does not allocate.
func (p *Pattern) MatchString(s string, b *Budget) (bool, error) {
	var m Match
	return p.search(&p.main, s, 0, &m, b)
}

// next returns the first position at or after pos where a match of pr can
// start, or -1 when there is none, skipping with the literal prefix or the
// set of first bytes. It must not be used for an anchored prog.
func (pr *prog) next(s string, pos int) int {
	switch {
	case pr.prefix != "":
		j := strings.Index(s[pos:], pr.prefix)
		if j < 0 {
			return -1
		}
		return pos + j
	case pr.first != nil:
		for ; pos < len(s); pos++ {
			if pr.first.has(s[pos]) {
				return pos
			}
		}
		return -1
	}
	return pos
}

// literalAt is matchAt for a prog that is a plain string.
func (pr *prog) literalAt(s string, pos int) (int, bool) {
	end := pos + len(pr.prefix)
	if !strings.HasPrefix(s[pos:], pr.prefix) || (pr.eos && end != len(s)) {
		return 0, false
	}
	return end, true
}

// searchLiteral is search for a prog that is a plain string.
func (pr *prog) searchLiteral(s string, init int) (int, bool) {
	lit := pr.prefix
	switch {
	case pr.anchored:
		if _, ok := pr.literalAt(s, init); ok {
			return init, true
		}
	case pr.eos:
		if start := len(s) - len(lit); start >= init && s[start:] == lit {
			return start, true
		}
	default:
		if j := strings.Index(s[init:], lit); j >= 0 {
			return init + j, true
		}
	}
	return 0, false
}

// search finds the first match of pr in s at or after init, as Lua 5.1's
// str_find_aux tries start positions: only init when anchored, otherwise
// each position up to and including len(s).
func (p *Pattern) search(pr *prog, s string, init int, m *Match, b *Budget) (bool, error) {
	if p.err != nil {
		return false, p.err
	}
	init = clamp(init, len(s))
	if pr.literal {
		start, ok := pr.searchLiteral(s, init)
		if ok {
			m.set(start, start+len(pr.prefix), 0)
		}
		return ok, nil
	}
	var local [stackLocal]frame
	stack := local[:]
	var pooled *[]frame
	if pr.nchoice > stackLocal {
		pooled = getStack(pr.nchoice)
		stack = *pooled
	}
	left := b.allowance()
	found := false
	for pos := init; pos <= len(s); pos++ {
		if !pr.anchored {
			if pos = pr.next(s, pos); pos < 0 {
				break
			}
		}
		end, ok := pr.matchAt(s, pos, &m.caps, stack, &left)
		if ok {
			m.set(pos, end, p.ncap)
			found = true
			break
		}
		if left < 0 || pr.anchored {
			break
		}
	}
	if pooled != nil {
		stackPool.Put(pooled)
	}
	if err := b.settle(left); err != nil {
		return false, err
	}
	return found, nil
}

// Iter walks the matches of Lua 5.1's string.gmatch. A leading '^' in the
// pattern is an ordinary character there, as in Lua 5.1. After an empty
// match the next search starts one byte further on.
type Iter struct {
	p    *Pattern
	s    string
	pos  int
	m    Match
	err  error
	done bool
}

// Gmatch returns an iterator over the matches of p in s.
func (p *Pattern) Gmatch(s string) *Iter {
	return &Iter{p: p, s: s}
}

// Next advances to the next match, spending steps from b, and reports
// whether there is one. It returns false at the end or on an error.
func (it *Iter) Next(b *Budget) bool {
	if it.done || it.pos > len(it.s) {
		it.done = true
		return false
	}
	ok, err := it.p.search(it.p.gm, it.s, it.pos, &it.m, b)
	if err != nil || !ok {
		it.err, it.done = err, true
		return false
	}
	it.pos = it.m.End
	if it.m.End == it.m.Start {
		it.pos++
	}
	return true
}

// Match returns the current match. Lua's iterator returns Match().Values().
func (it *Iter) Match() *Match { return &it.m }

// Pos returns the byte offset where the next search starts.
func (it *Iter) Pos() int { return it.pos }

// Err returns the error that ended the iteration, if any.
func (it *Iter) Err() error { return it.err }

// ReplaceFunc appends the replacement of the match m to dst and returns the
// extended slice. string.gsub with a table or function replacement supplies
// one: Lua 5.1 indexes the table with m.Values()[0] and calls the function
// with m.Values(); when that gives false or nil it keeps the match,
// s[m.Start:m.End].
type ReplaceFunc func(dst []byte, m *Match) ([]byte, error)

// Gsub is Lua 5.1's string.gsub: it appends to dst the subject s with at
// most max matches of p replaced by repl, and returns the extended slice and
// the number of replacements. max is Lua's n argument: the sandbox passes
// len(s)+1 when n is absent, and max <= 0 replaces nothing. m is the storage
// handed to repl for each match. After a non-empty match the next one is
// tried where it ended; after an empty one (or none) one byte further on,
// including once at the end of s.
func (p *Pattern) Gsub(dst []byte, s string, max int, m *Match, b *Budget, repl ReplaceFunc) ([]byte, int, error) {
	return p.gsub(dst, s, 0, max, m, b, repl, "")
}

// GsubString is string.gsub with a replacement string (see AppendReplace).
// When nothing is replaced it returns s without allocating.
func (p *Pattern) GsubString(s, repl string, max int, b *Budget) (string, int, error) {
	if p.err != nil {
		return s, 0, p.err
	}
	if max <= 0 {
		return s, 0, nil
	}
	var first Match
	ok, err := p.search(&p.main, s, 0, &first, b)
	if err != nil || !ok {
		return s, 0, err
	}
	// Positions before first.Start do not match: start the loop there.
	dst := make([]byte, 0, len(s)+len(repl))
	dst = append(dst, s[:first.Start]...)
	dst, n, err := p.gsub(dst, s, first.Start, max, new(Match), b, nil, repl)
	if err != nil {
		return s, 0, err
	}
	return string(dst), n, nil
}

// gsub runs Lua 5.1's str_gsub loop from byte offset src, replacing through
// fn, or through AppendReplace with repl when fn is nil. dst already holds
// s[:src].
func (p *Pattern) gsub(dst []byte, s string, src, max int, m *Match, b *Budget, fn ReplaceFunc, repl string) ([]byte, int, error) {
	if p.err != nil {
		return dst, 0, p.err
	}
	pr := &p.main
	var local [stackLocal]frame
	stack := local[:]
	if pr.nchoice > stackLocal {
		pooled := getStack(pr.nchoice)
		defer stackPool.Put(pooled)
		stack = *pooled
	}
	left := b.allowance()
	last, n := src, 0
	for n < max {
		if !pr.anchored {
			if src = pr.next(s, src); src < 0 {
				break
			}
		}
		var end int
		var ok bool
		if pr.literal {
			end, ok = pr.literalAt(s, src)
		} else {
			end, ok = pr.matchAt(s, src, &m.caps, stack, &left)
		}
		if left < 0 {
			return dst, n, b.settle(left)
		}
		if ok {
			n++
			m.set(src, end, p.ncap)
			dst = append(dst, s[last:src]...)
			var err error
			if fn != nil {
				dst, err = fn(dst, m)
			} else {
				dst, err = AppendReplace(dst, s, m, repl)
			}
			if err != nil {
				_ = b.settle(left) // left is not negative here
				return dst, n, err
			}
			last = end
		}
		if ok && end > src {
			src = end
		} else if src < len(s) {
			src++
		} else {
			break
		}
		if pr.anchored {
			break
		}
	}
	dst = append(dst, s[last:]...)
	return dst, n, b.settle(left)
}

// AppendReplace appends to dst the replacement string repl of Lua 5.1's
// string.gsub for the match m of subject s: %0 is the whole match, %1..%9
// a capture (a position capture as its number; %1 is the whole match when
// the pattern has no captures), and '%' before any other character is that
// character. A '%' at the very end appends a NUL byte, as Lua 5.1 does. A
// capture the pattern does not have is ErrInvalidCaptureIndex.
func AppendReplace(dst []byte, s string, m *Match, repl string) ([]byte, error) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '%' {
			dst = append(dst, c)
			continue
		}
		i++
		var d byte // Lua reads the terminating NUL after a final '%'
		if i < len(repl) {
			d = repl[i]
		}
		switch {
		case d < '0' || d > '9':
			dst = append(dst, d)
		case d == '0':
			dst = append(dst, s[m.Start:m.End]...)
		default:
			k := int(d - '1')
			if k >= m.n {
				if k != 0 {
					return dst, ErrInvalidCaptureIndex
				}
				dst = append(dst, s[m.Start:m.End]...)
				continue
			}
			if cp := m.caps[k]; cp.Position {
				dst = strconv.AppendInt(dst, int64(cp.Start+1), 10)
			} else {
				dst = append(dst, s[cp.Start:cp.End]...)
			}
		}
	}
	return dst, nil
}
