package config

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ParseTOML reads src, a config in TOML, into a Table. name is the file
// name used in errors. Integers become float64 (the Lua number type),
// refused with ErrRange beyond ±2^53; arrays become tables with the keys
// 1..n; dates and times become strings (RFC 3339, as written for local
// ones). Size strings stay strings here: only the typed getter GetSize,
// used for the size keys of the schema, turns them into numbers. Errors
// are *Error values.
func ParseTOML(name string, src []byte) (*Table, error) {
	if len(src) > MaxFileSize {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(src), MaxFileSize)}
	}
	var m map[string]any
	if err := toml.Unmarshal(src, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			key := strings.Join(de.Key(), ".")
			if key == "" {
				key = tomlKeyAt(src, line)
			}
			return nil, &Error{File: name, Line: line, Key: key,
				Err: fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(de.Error(), "toml: "))}
		}
		return nil, &Error{File: name, Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
	}
	c := &tomlConverter{file: name}
	return c.table(m, "", scanTOMLLines(src), 0)
}

type tomlConverter struct {
	file   string
	values int
}

func (c *tomlConverter) table(m map[string]any, path string, lines *lineNode, depth int) (*Table, error) {
	t := &Table{file: c.file, path: path, toml: true}
	if depth > MaxDepth {
		return nil, &Error{File: c.file, Key: path, Err: fmt.Errorf("%w: tables nested more than %d deep", ErrTooLarge, MaxDepth)}
	}
	for k, v := range m {
		if err := c.put(t, StringKey(k), v, lines, depth); err != nil {
			return nil, err
		}
	}
	sortEntries(t.entries)
	return t, nil
}

func (c *tomlConverter) array(a []any, path string, lines *lineNode, depth int) (*Table, error) {
	t := &Table{file: c.file, path: path, toml: true}
	if depth > MaxDepth {
		return nil, &Error{File: c.file, Key: path, Err: fmt.Errorf("%w: tables nested more than %d deep", ErrTooLarge, MaxDepth)}
	}
	for i, v := range a {
		if err := c.put(t, IntKey(int64(i+1)), v, lines, depth); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// put converts v and appends it to t under key k.
func (c *tomlConverter) put(t *Table, k Key, v any, lines *lineNode, depth int) error {
	line := lines.lineOf(k)
	var val Value
	switch v := v.(type) {
	case string, bool, float64:
		val = v
	case int64:
		if v > maxExact || v < -maxExact {
			return t.errAt(k, line, fmt.Errorf("%w: %d cannot be held exactly by a Lua number (the limit is ±2^53)", ErrRange, v))
		}
		val = float64(v)
	case time.Time:
		val = v.Format(time.RFC3339Nano)
	case toml.LocalDate:
		val = v.String()
	case toml.LocalTime:
		val = v.String()
	case toml.LocalDateTime:
		val = v.String()
	case map[string]any:
		sub, err := c.table(v, t.keyPath(k), lines.child(k), depth+1)
		if err != nil {
			return err
		}
		val = sub
	case []any:
		sub, err := c.array(v, t.keyPath(k), lines.child(k), depth+1)
		if err != nil {
			return err
		}
		val = sub
	default:
		return t.errAt(k, line, fmt.Errorf("%w: unsupported TOML value %T", ErrType, v))
	}
	c.values++
	if c.values > MaxValues {
		return t.errAt(k, line, fmt.Errorf("%w: more than %d values", ErrTooLarge, MaxValues))
	}
	t.entries = append(t.entries, Entry{Key: k, Value: val, Line: line})
	return nil
}

// scanTOMLLines walks the document with go-toml's AST parser (its
// "unstable" package, which keeps byte ranges) and records the line of
// every key: keys of key/value pairs (dotted keys too), of table headers
// and array-of-tables headers, of inline tables, and the lines of array
// items. It runs after a successful decode, so the document is valid; the
// result only feeds error messages, so a failure here loses lines, never
// values.
func scanTOMLLines(src []byte) (root *lineNode) {
	root = &lineNode{}
	defer func() {
		if recover() != nil {
			root = &lineNode{}
		}
	}()
	var newlines []int
	for i, b := range src {
		if b == '\n' {
			newlines = append(newlines, i)
		}
	}
	lineAt := func(off uint32) int { return sort.SearchInts(newlines, int(off)) + 1 }
	nodeLine := func(n *unstable.Node) int {
		for n != nil && n.Valid() {
			if n.Raw.Length > 0 {
				return lineAt(n.Raw.Offset)
			}
			n = n.Child()
		}
		return 0
	}

	var keyValue func(cur *lineNode, kv *unstable.Node)
	var value func(n *lineNode, v *unstable.Node)
	keyValue = func(cur *lineNode, kv *unstable.Node) {
		var parts []*unstable.Node
		for it := kv.Key(); it.Next(); {
			parts = append(parts, it.Node())
		}
		for i, p := range parts {
			k := StringKey(string(p.Data))
			if i < len(parts)-1 {
				cur = cur.ensure(k, lineAt(p.Raw.Offset))
			} else {
				cur = cur.replace(k, lineAt(p.Raw.Offset))
			}
		}
		value(cur, kv.Value())
	}
	value = func(n *lineNode, v *unstable.Node) {
		switch v.Kind {
		case unstable.InlineTable:
			for it := v.Children(); it.Next(); {
				if kv := it.Node(); kv.Kind == unstable.KeyValue {
					keyValue(n, kv)
				}
			}
		case unstable.Array:
			var i int64
			for it := v.Children(); it.Next(); {
				item := it.Node()
				if item.Kind == unstable.Comment {
					continue
				}
				i++
				value(n.replace(IntKey(i), nodeLine(item)), item)
			}
		}
	}
	header := func(h *unstable.Node, array bool) *lineNode {
		var parts []*unstable.Node
		for it := h.Key(); it.Next(); {
			parts = append(parts, it.Node())
		}
		n := root
		for i, p := range parts {
			line := lineAt(p.Raw.Offset)
			c := n.ensure(StringKey(string(p.Data)), line)
			switch {
			case i == len(parts)-1 && array:
				c.arrayTable = true
				c.count++
				n = c.replace(IntKey(c.count), line)
			case c.arrayTable:
				n = c.ensure(IntKey(c.count), line)
			default:
				n = c
			}
		}
		return n
	}

	var p unstable.Parser
	p.Reset(bytes.Clone(src))
	cur := root
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			cur = header(e, false)
		case unstable.ArrayTable:
			cur = header(e, true)
		case unstable.KeyValue:
			keyValue(cur, e)
		}
	}
	return root
}
