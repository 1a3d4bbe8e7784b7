package luapattern

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// This file is a second, deliberately naive implementation for the fuzz
// targets to compare against: a direct recursive matcher that reads the
// pattern text on every step, the way Lua 5.1's lstrlib.c does, raising
// faults only when it reaches them. It is slow and recursion-bound, so the
// fuzzers give it small inputs and a step limit.

const (
	refUnfinished = -1
	refPosition   = -2
	refMaxSteps   = 200000
)

// refError is a Lua error raised by the reference (a panic value).
type refError struct{ msg string }

// refBudget is the panic value of a reference run that went on too long.
type refBudget struct{}

type refState struct {
	src     string
	pat     string
	level   int
	capInit [MaxCaptures]int
	capLen  [MaxCaptures]int
	steps   int
}

// pc returns the pattern byte at i, or 0 past the end: Lua's strings end
// with a NUL, and a NUL in the pattern ends it as well.
func (ms *refState) pc(i int) byte {
	if i < len(ms.pat) {
		return ms.pat[i]
	}
	return 0
}

// sc returns the subject byte at i, or the terminating NUL at the end.
func (ms *refState) sc(i int) byte {
	if i < len(ms.src) {
		return ms.src[i]
	}
	return 0
}

func refClass(c, cl byte) bool {
	var res bool
	lower := cl
	if cl >= 'A' && cl <= 'Z' {
		lower = cl + 32
	}
	isLower := c >= 'a' && c <= 'z'
	isUpper := c >= 'A' && c <= 'Z'
	isDigit := c >= '0' && c <= '9'
	switch lower {
	case 'a':
		res = isLower || isUpper
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = isDigit
	case 'l':
		res = isLower
	case 'p':
		res = c >= 33 && c <= 126 && !isLower && !isUpper && !isDigit
	case 's':
		res = c == ' ' || (c >= 9 && c <= 13)
	case 'u':
		res = isUpper
	case 'w':
		res = isLower || isUpper || isDigit
	case 'x':
		res = isDigit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'a' && cl <= 'z' {
		return res
	}
	return !res
}

func (ms *refState) classEnd(p int) int {
	c := ms.pc(p)
	p++
	switch c {
	case '%':
		if ms.pc(p) == 0 {
			panic(refError{"malformed pattern (ends with '%')"})
		}
		return p + 1
	case '[':
		if ms.pc(p) == '^' {
			p++
		}
		for {
			if ms.pc(p) == 0 {
				panic(refError{"malformed pattern (missing ']')"})
			}
			c := ms.pc(p)
			p++
			if c == '%' && ms.pc(p) != 0 {
				p++
			}
			if ms.pc(p) == ']' {
				return p + 1
			}
		}
	}
	return p
}

func (ms *refState) bracket(c byte, p, ec int) bool {
	sig := true
	if ms.pc(p+1) == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case ms.pc(p) == '%':
			p++
			if refClass(c, ms.pc(p)) {
				return sig
			}
		case ms.pc(p+1) == '-' && p+2 < ec:
			p += 2
			if ms.pc(p-2) <= c && c <= ms.pc(p) {
				return sig
			}
		case ms.pc(p) == c:
			return sig
		}
	}
	return !sig
}

func (ms *refState) single(c byte, p, ep int) bool {
	switch ms.pc(p) {
	case '.':
		return true
	case '%':
		return refClass(c, ms.pc(p+1))
	case '[':
		return ms.bracket(c, p, ep-1)
	}
	return ms.pc(p) == c
}

// match returns the end of a match of pat[p:] at src[s:], or -1.
func (ms *refState) match(s, p int) int {
	if ms.steps++; ms.steps > refMaxSteps {
		panic(refBudget{})
	}
	switch ms.pc(p) {
	case '(':
		if ms.pc(p+1) == ')' {
			return ms.startCapture(s, p+2, refPosition)
		}
		return ms.startCapture(s, p+1, refUnfinished)
	case ')':
		l := ms.captureToClose()
		ms.capLen[l] = s - ms.capInit[l]
		res := ms.match(s, p+1)
		if res < 0 {
			ms.capLen[l] = refUnfinished
		}
		return res
	case 0:
		return s
	case '$':
		if ms.pc(p+1) == 0 {
			if s == len(ms.src) {
				return s
			}
			return -1
		}
	case '%':
		switch e := ms.pc(p + 1); {
		case e == 'b':
			if ms.pc(p+2) == 0 || ms.pc(p+3) == 0 {
				panic(refError{"unbalanced pattern"})
			}
			if ms.sc(s) != ms.pc(p+2) {
				return -1
			}
			cont := 1
			for s++; s < len(ms.src); s++ {
				if ms.src[s] == ms.pc(p+3) {
					if cont--; cont == 0 {
						return ms.match(s+1, p+4)
					}
				} else if ms.src[s] == ms.pc(p+2) {
					cont++
				}
			}
			return -1
		case e == 'f':
			p += 2
			if ms.pc(p) != '[' {
				panic(refError{"missing '[' after '%f' in pattern"})
			}
			ep := ms.classEnd(p)
			var prev byte
			if s > 0 {
				prev = ms.src[s-1]
			}
			if ms.bracket(prev, p, ep-1) || !ms.bracket(ms.sc(s), p, ep-1) {
				return -1
			}
			return ms.match(s, ep)
		case e >= '0' && e <= '9':
			l := int(e) - '1'
			if l < 0 || l >= ms.level || ms.capLen[l] == refUnfinished {
				panic(refError{"invalid capture index"})
			}
			n := ms.capLen[l]
			if n >= 0 && len(ms.src)-s >= n && ms.src[ms.capInit[l]:ms.capInit[l]+n] == ms.src[s:s+n] {
				return ms.match(s+n, p+2)
			}
			return -1
		}
	}
	ep := ms.classEnd(p)
	m := s < len(ms.src) && ms.single(ms.src[s], p, ep)
	switch ms.pc(ep) {
	case '?':
		if m {
			if res := ms.match(s+1, ep+1); res >= 0 {
				return res
			}
		}
		return ms.match(s, ep+1)
	case '*':
		return ms.maxExpand(s, p, ep)
	case '+':
		if !m {
			return -1
		}
		return ms.maxExpand(s+1, p, ep)
	case '-':
		for {
			if res := ms.match(s, ep+1); res >= 0 {
				return res
			}
			if s < len(ms.src) && ms.single(ms.src[s], p, ep) {
				s++
			} else {
				return -1
			}
		}
	}
	if !m {
		return -1
	}
	return ms.match(s+1, ep)
}

func (ms *refState) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(ms.src) && ms.single(ms.src[s+i], p, ep) {
		i++
	}
	for ; i >= 0; i-- {
		if res := ms.match(s+i, ep+1); res >= 0 {
			return res
		}
	}
	return -1
}

func (ms *refState) startCapture(s, p, what int) int {
	if ms.level >= MaxCaptures {
		panic(refError{"too many captures"})
	}
	ms.capInit[ms.level] = s
	ms.capLen[ms.level] = what
	ms.level++
	res := ms.match(s, p)
	if res < 0 {
		ms.level--
	}
	return res
}

func (ms *refState) captureToClose() int {
	for l := ms.level - 1; l >= 0; l-- {
		if ms.capLen[l] == refUnfinished {
			return l
		}
	}
	panic(refError{"invalid pattern capture"})
}

// capture returns capture i of a match from s to e as Lua pushes it: a
// string, or a position rendered as a number.
func (ms *refState) capture(i, s, e int) (text string, isPos bool) {
	if i >= ms.level {
		if i != 0 {
			panic(refError{"invalid capture index"})
		}
		return ms.src[s:e], false
	}
	switch l := ms.capLen[i]; l {
	case refUnfinished:
		panic(refError{"unfinished capture"})
	case refPosition:
		return strconv.Itoa(ms.capInit[i] + 1), true
	default:
		return ms.src[ms.capInit[i] : ms.capInit[i]+l], false
	}
}

func (ms *refState) captures(whole bool, s, e int) string {
	n := ms.level
	if n == 0 && whole {
		n = 1
	}
	parts := make([]string, n)
	for i := range parts {
		text, isPos := ms.capture(i, s, e)
		if !isPos {
			text = quote(text)
		}
		parts[i] = text
	}
	return strings.Join(parts, " ")
}

// refRun runs fn, turning a Lua error into "err <message>" and a run over
// the step limit into ok=false.
func refRun(fn func() string) (out string, ok bool) {
	defer func() {
		switch v := recover().(type) {
		case nil:
		case refError:
			out, ok = "err "+quote(v.msg), true
		case refBudget:
			out, ok = "", false
		default:
			panic(v)
		}
	}()
	return fn(), true
}

// refCall runs the corpus case c on the reference and renders the result as
// ours does. ok is false when the reference ran out of steps.
func refCall(c tcase) (string, bool) {
	return refRun(func() string {
		ms := &refState{src: c.s, pat: c.pat}
		switch c.fn {
		case "find", "match":
			init := 1
			if c.init != 0 {
				init = c.init
			}
			i := StartOffset(init, len(c.s))
			pat, body := c.pat, c.pat
			if nul := strings.IndexByte(pat, 0); nul >= 0 {
				body = pat[:nul]
			}
			if c.fn == "find" && !strings.ContainsAny(body, specials) {
				j := strings.Index(c.s[i:], pat)
				if j < 0 {
					return "nil"
				}
				return fmt.Sprintf("%d %d", i+j+1, i+j+len(pat))
			}
			p := 0
			anchor := ms.pc(0) == '^'
			if anchor {
				p = 1
			}
			for s := i; ; s++ {
				ms.level = 0
				if e := ms.match(s, p); e >= 0 {
					if c.fn == "find" {
						out := fmt.Sprintf("%d %d", s+1, e)
						if caps := ms.captures(false, s, e); caps != "" {
							out += " " + caps
						}
						return out
					}
					return ms.captures(true, s, e)
				}
				if s >= len(c.s) || anchor {
					return "nil"
				}
			}
		case "gsub":
			maxN := c.max
			if maxN == noMax {
				maxN = len(c.s) + 1
			}
			p := 0
			anchor := ms.pc(0) == '^'
			if anchor {
				p = 1
			}
			var b strings.Builder
			src, n := 0, 0
			for n < maxN {
				ms.level = 0
				e := ms.match(src, p)
				if e >= 0 {
					n++
					ms.addString(&b, c.repl, src, e)
				}
				if e >= 0 && e > src {
					src = e
				} else if src < len(c.s) {
					b.WriteByte(c.s[src])
					src++
				} else {
					break
				}
				if anchor {
					break
				}
			}
			b.WriteString(c.s[src:])
			return fmt.Sprintf("%s %d", quote(b.String()), n)
		}
		panic("reference: unsupported fn " + c.fn)
	})
}

// addString is Lua 5.1's add_s.
func (ms *refState) addString(b *strings.Builder, repl string, s, e int) {
	for i := 0; i < len(repl); i++ {
		if repl[i] != '%' {
			b.WriteByte(repl[i])
			continue
		}
		i++
		var d byte
		if i < len(repl) {
			d = repl[i]
		}
		switch {
		case d < '0' || d > '9':
			b.WriteByte(d)
		case d == '0':
			b.WriteString(ms.src[s:e])
		default:
			text, _ := ms.capture(int(d-'1'), s, e)
			b.WriteString(text)
		}
	}
}

// TestReferenceAgreesWithLua51 checks the fuzzers' reference implementation
// against the recorded Lua 5.1 answers, so that it is a trustworthy oracle.
func TestReferenceAgreesWithLua51(t *testing.T) {
	golden := readGolden(t)
	n := 0
	for _, c := range corpus() {
		if c.fn != "find" && c.fn != "match" && c.fn != "gsub" {
			continue
		}
		got, ok := refCall(c)
		if !ok {
			t.Errorf("%s: reference ran out of steps", c.key())
			continue
		}
		n++
		if real := golden[c.key()]; got != real {
			t.Errorf("%s: reference gives %s, Lua 5.1 %s", c.key(), got, real)
		}
	}
	t.Logf("%d cases", n)
}
