package luapattern

import (
	"strings"
	"sync"
)

// DefaultSteps is the allowance of a call given a nil *Budget: enough for
// any ordinary match on subjects of a few megabytes, and tens of
// milliseconds of work at most.
const DefaultSteps = 10_000_000

// Budget is an allowance of matching steps shared by every call it is passed
// to, so one Budget can bound a whole string.gsub or a plugin's whole
// process_message. A step is one subject byte examined by one pattern item,
// or one return to an earlier choice (backtracking). Start positions skipped
// by the literal-prefix and first-byte scans, and plain-text searches, are
// not counted: they are linear in the subject.
type Budget struct {
	// Steps is the number of steps still allowed. Each call subtracts the
	// steps it takes; a call that needs more than remain stops with
	// ErrStepBudget and leaves Steps at zero.
	Steps int
}

func (b *Budget) allowance() int {
	if b == nil {
		return DefaultSteps
	}
	return b.Steps
}

// settle records what is left of the allowance and reports an exhausted one.
func (b *Budget) settle(left int) error {
	if left < 0 {
		left = 0
		if b != nil {
			b.Steps = 0
		}
		return ErrStepBudget
	}
	if b != nil {
		b.Steps = left
	}
	return nil
}

// Capture is the value of one capture of a match.
type Capture struct {
	Start int // byte offset in the subject where the capture begins
	// End is the byte offset just past the capture. For a position capture
	// it equals Start.
	End int
	// Position marks a position capture "()". Its Lua value is the number
	// Start+1, not a string.
	Position bool
}

// Text returns the captured substring of s, the subject the match was made
// on. It is empty for a position capture.
func (c Capture) Text(s string) string { return s[c.Start:c.End] }

// Match holds one match: its bounds and its captures. The caller owns it and
// may reuse it across calls, which keeps matching free of allocation.
type Match struct {
	Start int // byte offset of the first byte of the match
	End   int // byte offset just past the match
	n     int
	caps  [MaxCaptures]Capture
}

// NumCaptures returns the number of captures of the pattern matched.
func (m *Match) NumCaptures() int { return m.n }

// Captures returns the captures in pattern order. The slice points into m
// and is valid until m is used again.
func (m *Match) Captures() []Capture { return m.caps[:m.n] }

// Capture returns capture i, counted from 0.
func (m *Match) Capture(i int) Capture { return m.caps[:m.n][i] }

// Values returns what Lua's string.match, string.gmatch and a string.gsub
// function receive: the captures, or the whole match as one capture when
// the pattern has none. The slice points into m.
func (m *Match) Values() []Capture {
	if m.n == 0 {
		return m.caps[:1]
	}
	return m.caps[:m.n]
}

// set records a match of ncap captures from start to end.
func (m *Match) set(start, end, ncap int) {
	m.Start, m.End, m.n = start, end, ncap
	if ncap == 0 {
		m.caps[0] = Capture{Start: start, End: end}
	}
}

// frame is a choice point of the backtracking machine: the quantified item
// at pc, the subject position of its next alternative, and for '*' and '+'
// the lowest position it may back off to.
type frame struct {
	pos, lo int
	pc      int
}

// stackLocal is how many choice points fit the stack array of a call; a
// pattern with more quantified items borrows a stack from stackPool.
const stackLocal = 24

var stackPool sync.Pool // of *[]frame

// getStack returns a pooled backtrack stack of at least n frames, for
// patterns whose stack does not fit the array a call keeps on the Go stack.
func getStack(n int) *[]frame {
	sp, _ := stackPool.Get().(*[]frame)
	if sp == nil || len(*sp) < n {
		s := make([]frame, n)
		sp = &s
	}
	return sp
}

// matchAt tries pr at exactly byte offset pos of s. It returns the end of
// the match, and whether there was one. Captures go into caps; *left is the
// remaining step allowance, negative when it ran out (then ok is false).
// stack must have room for pr.nchoice frames. The machine keeps no state
// besides the stack: the pattern has no alternation, so the instructions of
// every path run in order, each at most once, and a capture written on a
// path that fails is always rewritten on the path that succeeds.
func (pr *prog) matchAt(s string, pos int, caps *[MaxCaptures]Capture, stack []frame, left *int) (end int, ok bool) {
	insts := pr.insts
	budget := *left
	n := len(s)
	pc, sp := 0, 0
	for {
		budget--
		if budget < 0 {
			*left = budget
			return 0, false
		}
		in := &insts[pc]
		matched := true
		switch in.op {
		case opSingle:
			switch in.q {
			case qOne:
				if pos < n && in.set.has(s[pos]) {
					pos++
				} else {
					matched = false
				}
			case qOpt:
				if pos < n && in.set.has(s[pos]) {
					stack[sp] = frame{pc: pc, pos: pos}
					sp++
					pos++
				}
			case qStar, qPlus:
				i := pos
				for i < n && in.set.has(s[i]) {
					i++
				}
				budget -= i - pos
				lo := pos
				if in.q == qPlus {
					lo++
				}
				switch {
				case i < lo:
					matched = false
				case i > lo:
					stack[sp] = frame{pc: pc, pos: i, lo: lo}
					sp++
				}
				pos = i
			case qMin:
				stack[sp] = frame{pc: pc, pos: pos}
				sp++
			}
		case opOpen:
			caps[in.n] = Capture{Start: pos, End: pos}
		case opPosition:
			caps[in.n] = Capture{Start: pos, End: pos, Position: true}
		case opClose:
			caps[in.n].End = pos
		case opBackref:
			c := caps[in.n]
			l := c.End - c.Start
			budget -= l
			if c.Position || n-pos < l || s[pos:pos+l] != s[c.Start:c.End] {
				matched = false
			} else {
				pos += l
			}
		case opBalance:
			matched = false
			if pos < n && s[pos] == in.c {
				depth := 1
				i := pos + 1
				for ; i < n; i++ {
					if s[i] == in.d {
						if depth--; depth == 0 {
							break
						}
					} else if s[i] == in.c {
						depth++
					}
				}
				budget -= i - pos
				if i < n {
					pos, matched = i+1, true
				}
			}
		case opFrontier:
			var prev, cur byte
			if pos > 0 {
				prev = s[pos-1]
			}
			if pos < n {
				cur = s[pos]
			}
			matched = !in.set.has(prev) && in.set.has(cur)
		case opEOS:
			matched = pos == n
		case opEnd:
			*left = budget
			return pos, true
		}
		if matched {
			pc++
			continue
		}
		// Back off to the latest choice point that has an alternative left.
	backtrack:
		for {
			if sp == 0 {
				*left = budget
				return 0, false
			}
			budget--
			f := &stack[sp-1]
			q := &insts[f.pc]
			pc = f.pc + 1
			switch q.q {
			case qMin:
				// One more repetition, if the item matches here.
				if f.pos < n && q.set.has(s[f.pos]) {
					f.pos++
					if q.fset != nil && !q.skipTo(s, f, &budget) {
						sp--
						continue
					}
					pos = f.pos
					break backtrack
				}
				sp--
			case qOpt:
				// Without the optional item.
				pos = f.pos
				sp--
				break backtrack
			default:
				// One repetition fewer.
				f.pos--
				if q.fset != nil {
					start := f.pos
					for f.pos > f.lo && !q.fset.has(s[f.pos]) {
						f.pos--
					}
					budget -= start - f.pos
				}
				pos = f.pos
				if f.pos == f.lo {
					sp--
				}
				break backtrack
			}
		}
	}
}

// skipTo moves the choice point f of a '-' item forward, repetition by
// repetition, to the next position holding a byte the next item can start
// with. It reports false when the item stops matching or the subject ends
// first.
func (in *inst) skipTo(s string, f *frame, budget *int) bool {
	start := f.pos
	if in.any && in.fcLit {
		j := strings.IndexByte(s[f.pos:], in.fc)
		if j < 0 {
			*budget -= len(s) - start
			return false
		}
		f.pos += j
		*budget -= j
		return true
	}
	for f.pos < len(s) && !in.fset.has(s[f.pos]) {
		if !in.set.has(s[f.pos]) {
			break
		}
		f.pos++
	}
	*budget -= f.pos - start
	return f.pos < len(s) && in.fset.has(s[f.pos])
}
