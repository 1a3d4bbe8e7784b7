package config

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// tomlKeyAt returns the key path assigned on line (1-based) of src, a TOML
// document with a syntax error there, or "" when that line holds no
// "key =" assignment. It is a light scan for error messages: the line is
// read on its own (bare, quoted and dotted keys), and the table header in
// force comes from go-toml's AST parser, which parses the expressions
// before the error.
func tomlKeyAt(src []byte, line int) string {
	if line <= 0 {
		return ""
	}
	text := sourceLine(src, line)
	parts, ok := tomlAssignedKey(text)
	if !ok {
		return ""
	}
	header := tomlHeaderBefore(src, line)
	return strings.Join(append(header, parts...), ".")
}

// sourceLine returns line n (1-based) of src, without its newline.
func sourceLine(src []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimSuffix(string(src), "\r")
}

// tomlAssignedKey parses the "key =" at the start of a TOML line: bare,
// "basic" and 'literal' keys joined by dots.
func tomlAssignedKey(s string) ([]string, bool) {
	var parts []string
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return nil, false
		}
		switch c := s[i]; {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, false
			}
			k, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				k = s[i+1 : j]
			}
			parts = append(parts, k)
			i = j + 1
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			parts = append(parts, s[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(s) && (isNameChar(s[j]) || s[j] == '-') {
				j++
			}
			if j == i {
				return nil, false
			}
			parts = append(parts, s[i:j])
			i = j
		}
		skip()
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case '.':
			i++
		case '=':
			return parts, true
		default:
			return nil, false
		}
	}
}

// tomlHeaderBefore returns the key of the last table or array-of-tables
// header of src above line, as far as go-toml's parser gets.
func tomlHeaderBefore(src []byte, line int) (header []string) {
	defer func() {
		if recover() != nil {
			header = nil
		}
	}()
	var p unstable.Parser
	p.Reset(bytes.Clone(src))
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		var parts []string
		first := -1
		for it := e.Key(); it.Next(); {
			n := it.Node()
			if first < 0 {
				first = int(n.Raw.Offset)
			}
			parts = append(parts, string(n.Data))
		}
		if first < 0 || bytes.Count(src[:first], []byte{'\n'})+1 >= line {
			break
		}
		header = parts
	}
	return header
}

// luaEOFLine returns, for a Lua-syntax source whose syntax error is at
// end of file, the line of its last token and the global assigned on that
// line, if any (the last top-level "name =" of the line, as the scan
// recorded it in lines).
func luaEOFLine(src []byte, lines *lineNode) (int, string) {
	toks := luaTokens(string(src))
	if len(toks) == 0 {
		return 0, ""
	}
	last := toks[len(toks)-1].line
	for i := len(toks) - 1; i > 0 && toks[i].line == last; i-- {
		if !toks[i].isOp("=") || toks[i-1].kind != tkName || toks[i-1].line != last {
			continue
		}
		if lines.lineOf(StringKey(toks[i-1].text)) == last {
			return last, toks[i-1].text
		}
	}
	return last, ""
}
