package checkcmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/sightline/sightline/message/matcher"
)

// matcherProblem reports a message_matcher that does not compile. The
// matcher's byte offset becomes a line and column of the config file when
// the expression is written there verbatim (no escapes) on or after the
// key's line; otherwise the key's line and the offset are given.
func matcherProblem(file string, keyLine int, err error) Problem {
	p := Problem{File: display(file), Line: keyLine}
	var se *matcher.SyntaxError
	if !errors.As(err, &se) {
		p.Message = "message_matcher: " + err.Error()
		return p
	}
	if line, col, ok := locate(file, keyLine, se.Expr, se.Offset); ok {
		p.Line, p.Column = line, col
		p.Message = "message_matcher: " + se.Msg
		return p
	}
	p.Message = fmt.Sprintf("message_matcher: offset %d: %s", se.Offset, se.Msg)
	return p
}

// locate finds expr in file at or after the start of line keyLine and
// returns the line and column of its byte offset.
func locate(file string, keyLine int, expr string, offset int) (line, col int, ok bool) {
	if keyLine <= 0 || expr == "" || offset < 0 || offset > len(expr) {
		return 0, 0, false
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, false
	}
	start := 0
	for l := 1; l < keyLine; l++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return 0, 0, false
		}
		start += i + 1
	}
	i := bytes.Index(src[start:], []byte(expr))
	if i < 0 {
		return 0, 0, false
	}
	pos := start + i + offset
	line = 1 + bytes.Count(src[:pos], []byte{'\n'})
	col = pos - (bytes.LastIndexByte(src[:pos], '\n') + 1) + 1
	return line, col, true
}
