package fileout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tokKind is what one piece of a name pattern stands for.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokTime                // a strftime conversion, in verb
	tokSeq                 // %{seq}, zero-padded to width
)

type token struct {
	kind  tokKind
	lit   string // tokLit
	verb  byte   // tokTime
	width int    // tokSeq
}

// pattern is a parsed output_file: literal text, strftime conversions
// (UTC) and at most one %{seq}, which must be in the last path element.
// %{Logger}, %{Hostname} and %{Pid} are replaced when it is parsed.
type pattern struct {
	toks    []token
	hasSeq  bool
	hasTime bool
}

// timeVerbs are the strftime conversions a pattern may hold.
const timeVerbs = "YmdHMSyjsFT"

// parsePattern parses a name pattern; vars replace %{name}.
func parsePattern(s string, vars map[string]string) (*pattern, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	p := &pattern{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return nil, errors.New("NUL byte in the name")
		}
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return nil, errors.New("'%' at the end (write %% for a percent sign)")
		}
		i++
		switch v := s[i]; {
		case v == '%':
			lit.WriteByte('%')
		case v == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed %%{ at offset %d", i-1)
			}
			name := s[i+1 : i+end]
			i += end
			if name == "seq" || strings.HasPrefix(name, "seq:") {
				if p.hasSeq {
					return nil, errors.New("%{seq} more than once")
				}
				w := 0
				if name != "seq" {
					n, err := strconv.Atoi(name[4:])
					if err != nil || n < 1 || n > 20 {
						return nil, fmt.Errorf("%%{%s}: the width must be 1 to 20", name)
					}
					w = n
				}
				flush()
				p.toks = append(p.toks, token{kind: tokSeq, width: w})
				p.hasSeq = true
				continue
			}
			val, ok := vars[name]
			if !ok {
				return nil, fmt.Errorf("unknown %%{%s} (known: seq, seq:N, Logger, Hostname, Pid)", name)
			}
			lit.WriteString(val)
		case strings.IndexByte(timeVerbs, v) >= 0:
			flush()
			p.toks = append(p.toks, token{kind: tokTime, verb: v})
			p.hasTime = true
		default:
			return nil, fmt.Errorf("unknown conversion %%%c (known: %%Y %%m %%d %%H %%M %%S %%y %%j %%s %%F %%T %%%% %%{seq})", v)
		}
	}
	flush()
	if p.hasSeq {
		// %{seq} must be in the file name, so that one directory listing
		// finds every file of a series.
		seen := false
		for _, t := range p.toks {
			if t.kind == tokSeq {
				seen = true
			} else if seen && t.kind == tokLit && strings.ContainsRune(t.lit, os.PathSeparator) {
				return nil, errors.New("%{seq} must be in the file name, not in a directory")
			}
		}
	}
	return p, nil
}

// expand returns the name for time t (UTC) and sequence number seq.
func (p *pattern) expand(t time.Time, seq int) string {
	pre, post := p.split(t)
	if !p.hasSeq {
		return pre
	}
	return pre + p.seqString(seq) + post
}

// split expands the pattern for t into the text before and after %{seq}
// (all of it in pre when there is none).
func (p *pattern) split(t time.Time) (pre, post string) {
	t = t.UTC()
	var b strings.Builder
	for _, tok := range p.toks {
		switch tok.kind {
		case tokLit:
			b.WriteString(tok.lit)
		case tokTime:
			b.WriteString(strftime(tok.verb, t))
		case tokSeq:
			pre = b.String()
			b.Reset()
		}
	}
	if !p.hasSeq {
		return b.String(), ""
	}
	return pre, b.String()
}

func (p *pattern) seqString(seq int) string {
	s := strconv.Itoa(seq)
	for _, t := range p.toks {
		if t.kind == tokSeq && len(s) < t.width {
			s = strings.Repeat("0", t.width-len(s)) + s
		}
	}
	return s
}

// seqOf returns the sequence number of name if it is a file of the series
// whose expansion is pre, post.
func seqOf(name, pre, post string) (int, bool) {
	if len(name) <= len(pre)+len(post) || !strings.HasPrefix(name, pre) || !strings.HasSuffix(name, post) {
		return 0, false
	}
	digits := name[len(pre) : len(name)-len(post)]
	if len(digits) > 18 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// lastSeq returns the highest sequence number among the existing files of
// the series pre, post (full paths), and false when there is none.
func lastSeq(fsys FS, pre, post string) (int, bool, error) {
	dir, base := filepath.Split(pre)
	if dir == "" {
		dir = "."
	}
	names, err := fsys.ReadDirNames(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	best, found := 0, false
	for _, n := range names {
		if s, ok := seqOf(n, base, post); ok && (!found || s > best) {
			best, found = s, true
		}
	}
	return best, found, nil
}

// strftime formats one conversion of t as C's strftime does in the C
// locale.
func strftime(verb byte, t time.Time) string {
	switch verb {
	case 'Y':
		return fmt.Sprintf("%04d", t.Year())
	case 'm':
		return fmt.Sprintf("%02d", int(t.Month()))
	case 'd':
		return fmt.Sprintf("%02d", t.Day())
	case 'H':
		return fmt.Sprintf("%02d", t.Hour())
	case 'M':
		return fmt.Sprintf("%02d", t.Minute())
	case 'S':
		return fmt.Sprintf("%02d", t.Second())
	case 'y':
		return fmt.Sprintf("%02d", t.Year()%100)
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay())
	case 's':
		return strconv.FormatInt(t.Unix(), 10)
	case 'F':
		return t.Format("2006-01-02")
	case 'T':
		return t.Format("15:04:05")
	}
	return ""
}
