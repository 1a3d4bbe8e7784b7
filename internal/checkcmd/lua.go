package checkcmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/sandbox"
)

// luaFile is what checking one Lua file found.
type luaFile struct {
	chunk    []ast.Stmt    // nil when the file does not compile
	requires []requireCall // require calls with a constant name, in source order
	// dynamic is set when require is used other than as a direct call
	// with a constant name (pcall(require, "x"), require(name), local
	// r = require): modules the check cannot see may be loaded.
	dynamic bool
	// names holds the entry-point names the file mentions anywhere
	// (as identifiers or string constants).
	names map[string]bool
}

// requireCall is one require("name") of a file.
type requireCall struct {
	name string
	line int
}

// checkLua compiles the Lua file at path (once) and resolves its requires
// for plugins of type typ (once per type), recursing into the module files
// they find on the Lua path.
func (c *checker) checkLua(path string, typ config.PluginType, pending bool) *luaFile {
	lf := c.compileLua(path, pending)
	key := scanKey{path, typ}
	if lf.chunk == nil || c.scanned[key] {
		return lf
	}
	c.scanned[key] = true
	luaPath, pathKey := c.main.IOLuaPath, "io_lua_path"
	if typ == config.Analysis {
		luaPath, pathKey = c.main.AnalysisLuaPath, "analysis_lua_path"
	}
	for _, r := range lf.requires {
		res := resolve(r.name, typ, luaPath, pathKey)
		if res.problem != "" {
			c.add(mark(Problem{File: display(path), Line: r.line, Message: res.problem}, pending))
		}
		if res.file != "" {
			c.checkLua(res.file, typ, false)
		}
	}
	return lf
}

// compileLua compiles the file at path as the sandbox does, once, and
// reports what does not compile.
func (c *checker) compileLua(path string, pending bool) *luaFile {
	if lf, ok := c.lua[path]; ok {
		return lf
	}
	lf := &luaFile{}
	c.lua[path] = lf
	chunk, err := parseLua(path)
	if err != nil {
		c.add(mark(compileProblem(err, path), pending))
		return lf
	}
	lf.chunk = chunk
	w := walker{file: lf}
	w.stmts(chunk)
	return lf
}

// parseLua compiles the Lua file at path with the sandbox
// (sandbox.CompileFile: its size limit, precompiled chunks refused, ...)
// and, when it compiles, parses it again for the syntax tree.
func parseLua(path string) ([]ast.Stmt, error) {
	if err := sandbox.CompileFile(path); err != nil {
		return nil, err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(src) > 0 && src[0] == '#' {
		// The sandbox skipped this first line (a shebang): a comment
		// keeps the line numbers.
		src = append([]byte("--"), src...)
	}
	return parse.Parse(bytes.NewReader(src), path)
}

// compileProblem turns an error of parseLua into a Problem of the file at
// path, with line and column for a syntax error.
func compileProblem(err error, path string) Problem {
	p := Problem{File: display(path)}
	var pe *parse.Error
	var ce *lua.CompileError
	switch {
	case errors.As(err, &pe):
		// The source gives the last line and the token's column; when it
		// cannot be read again, the problem has fewer details.
		src, _ := os.ReadFile(path)
		p.Line, p.Column, p.Message = parseProblem(pe, src)
	case errors.As(err, &ce):
		p.Line, p.Message = ce.Line, ce.Message
	default:
		// The sandbox's messages start with the file's name, which the
		// Problem names already.
		p.Message = strings.TrimPrefix(unwrapPath(err).Error(), path+": ")
	}
	return p
}

// parseProblem returns the line, column and message of a syntax error.
func parseProblem(pe *parse.Error, src []byte) (line, column int, msg string) {
	if pe.Pos.Line == parse.EOF {
		return lineCount(src), 0, pe.Message + " at end of file"
	}
	msg = pe.Message
	if pe.Token != "" {
		msg += fmt.Sprintf(" near '%s'", pe.Token)
	}
	line = pe.Pos.Line
	if pe.Pos.Column == 0 && line > 1 {
		// The scanner stopped just past a newline (an unterminated
		// string): the problem is on the line before.
		line--
	}
	return line, tokenColumn(src, line, pe.Pos.Column, pe.Token), msg
}

// tokenColumn returns the column where the token of a syntax error
// starts. The parser gives the column of the token's last byte; the token
// text is checked against the source there, and 0 (no column) returned
// when it does not match (a string literal, whose text is unescaped).
func tokenColumn(src []byte, line, last int, tok string) int {
	if line < 1 || last < 1 {
		return 0
	}
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			return 0
		}
		src = src[i+1:]
	}
	if i := bytes.IndexByte(src, '\n'); i >= 0 {
		src = src[:i]
	}
	start := last - len(tok)
	if tok == "" || start < 0 || last > len(src) || string(src[start:last]) != tok {
		return 0
	}
	return start + 1
}

// lineCount returns the number of the last line of src.
func lineCount(src []byte) int {
	n := 1 + bytes.Count(src, []byte{'\n'})
	if len(src) > 0 && src[len(src)-1] == '\n' {
		n--
	}
	return max(n, 1)
}

// entryPoints are the functions the sandbox requires of each plugin type.
func entryPoints(typ config.PluginType) []string {
	if typ == config.Input {
		return []string{"process_message"}
	}
	return []string{"process_message", "timer_event"}
}

// missingEntryPoints returns the entry points a plugin's file surely does
// not define: the file never mentions them and loads no module that could
// define them (only standard libraries, by constant name).
func missingEntryPoints(lf *luaFile, typ config.PluginType) []string {
	if lf.dynamic {
		return nil
	}
	for _, r := range lf.requires {
		if !isStdLib(r.name) {
			return nil
		}
	}
	var missing []string
	for _, fn := range entryPoints(typ) {
		if !lf.names[fn] {
			missing = append(missing, fn)
		}
	}
	return missing
}

// walker visits a chunk's syntax tree, collecting require calls and the
// entry-point names mentioned.
type walker struct {
	file *luaFile
}

func (w *walker) stmts(list []ast.Stmt) {
	for _, s := range list {
		w.stmt(s)
	}
}

func (w *walker) exprs(list []ast.Expr) {
	for _, e := range list {
		w.expr(e)
	}
}

func (w *walker) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		w.exprs(s.Lhs)
		w.exprs(s.Rhs)
	case *ast.LocalAssignStmt:
		for _, n := range s.Names {
			w.name(n)
		}
		w.exprs(s.Exprs)
	case *ast.FuncCallStmt:
		w.expr(s.Expr)
	case *ast.DoBlockStmt:
		w.stmts(s.Stmts)
	case *ast.WhileStmt:
		w.expr(s.Condition)
		w.stmts(s.Stmts)
	case *ast.RepeatStmt:
		w.stmts(s.Stmts)
		w.expr(s.Condition)
	case *ast.IfStmt:
		w.expr(s.Condition)
		w.stmts(s.Then)
		w.stmts(s.Else)
	case *ast.NumberForStmt:
		w.expr(s.Init)
		w.expr(s.Limit)
		w.expr(s.Step)
		w.stmts(s.Stmts)
	case *ast.GenericForStmt:
		w.exprs(s.Exprs)
		w.stmts(s.Stmts)
	case *ast.FuncDefStmt:
		if s.Name != nil {
			w.expr(s.Name.Func)
			w.expr(s.Name.Receiver)
			w.name(s.Name.Method)
		}
		w.expr(s.Func)
	case *ast.ReturnStmt:
		w.exprs(s.Exprs)
	}
}

func (w *walker) expr(e ast.Expr) {
	switch e := e.(type) {
	case *ast.IdentExpr:
		if e.Value == "require" {
			w.file.dynamic = true
		}
		w.name(e.Value)
	case *ast.StringExpr:
		w.name(e.Value)
	case *ast.AttrGetExpr:
		w.expr(e.Object)
		w.expr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			w.expr(f.Key)
			w.expr(f.Value)
		}
	case *ast.FuncCallExpr:
		if name, line, ok := constantRequire(e); ok {
			w.file.requires = append(w.file.requires, requireCall{name: name, line: line})
			w.exprs(e.Args[1:])
			return
		}
		w.expr(e.Func)
		w.expr(e.Receiver)
		w.name(e.Method)
		w.exprs(e.Args)
	case *ast.LogicalOpExpr:
		w.expr(e.Lhs)
		w.expr(e.Rhs)
	case *ast.RelationalOpExpr:
		w.expr(e.Lhs)
		w.expr(e.Rhs)
	case *ast.StringConcatOpExpr:
		w.expr(e.Lhs)
		w.expr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		w.expr(e.Lhs)
		w.expr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		w.expr(e.Expr)
	case *ast.UnaryNotOpExpr:
		w.expr(e.Expr)
	case *ast.UnaryLenOpExpr:
		w.expr(e.Expr)
	case *ast.FunctionExpr:
		w.stmts(e.Stmts)
	}
}

// name records a mention of an entry point's name.
func (w *walker) name(n string) {
	if n == "process_message" || n == "timer_event" {
		if w.file.names == nil {
			w.file.names = make(map[string]bool)
		}
		w.file.names[n] = true
	}
}

// constantRequire recognises require("name") and require "name".
func constantRequire(e *ast.FuncCallExpr) (name string, line int, ok bool) {
	id, isIdent := e.Func.(*ast.IdentExpr)
	if !isIdent || id.Value != "require" || e.Receiver != nil || len(e.Args) == 0 {
		return "", 0, false
	}
	s, isString := e.Args[0].(*ast.StringExpr)
	if !isString {
		return "", 0, false
	}
	line = s.Line()
	if line <= 0 {
		line = e.Line()
	}
	return s.Value, line, true
}
