package sandbox

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// The .. operator is the one place besides the built-ins where one VM
// instruction can allocate without bound: s = s .. s doubles a string per
// instruction, so 30 instructions reach gigabytes, long before any periodic
// check runs. gopher-lua has no hook in its CONCAT opcode, so the sandbox
// compiles every concatenation chain a .. b .. c as a call of a Go
// function with the operands, concat(a, b, c), which checks the size of
// the result against the plugin's memory limit before building it.
//
// The function is not reached through a name a plugin could change (a
// global breaks under setfenv, used by many modules): the call's function
// is a string constant, concatSentinel, which compileChunk replaces in the
// compiled constants by the function itself. Constants are immutable and
// shared by every state that runs the chunk; the function finds its
// sandbox through the state's context (the budget). Operands and results
// are those of Lua 5.1: strings and numbers are joined (numbers formatted
// as %.14g), anything else goes through the __concat metamethod, pairwise
// from the right.

// concatSentinel is the constant replaced by the concat function. It holds
// NUL bytes, so no Lua source can contain it as written.
const concatSentinel = "\x00sightline.concat\x00"

// concatFunction is the function concatenations call. Its Env is never
// used (it reads no globals) but must not be nil.
var concatFunction = &lua.LFunction{IsG: true, GFunction: luaConcat, Env: &lua.LTable{}}

// rewriteConcat replaces every concatenation chain in chunk by a call.
func rewriteConcat(chunk []ast.Stmt) {
	var r concatRewriter
	r.stmts(chunk)
}

type concatRewriter struct{}

func (r *concatRewriter) stmts(list []ast.Stmt) {
	for _, st := range list {
		r.stmt(st)
	}
}

func (r *concatRewriter) stmt(st ast.Stmt) {
	switch st := st.(type) {
	case *ast.AssignStmt:
		r.exprs(st.Lhs)
		r.exprs(st.Rhs)
	case *ast.LocalAssignStmt:
		r.exprs(st.Exprs)
	case *ast.FuncCallStmt:
		st.Expr = r.expr(st.Expr)
	case *ast.DoBlockStmt:
		r.stmts(st.Stmts)
	case *ast.WhileStmt:
		st.Condition = r.expr(st.Condition)
		r.stmts(st.Stmts)
	case *ast.RepeatStmt:
		st.Condition = r.expr(st.Condition)
		r.stmts(st.Stmts)
	case *ast.IfStmt:
		st.Condition = r.expr(st.Condition)
		r.stmts(st.Then)
		r.stmts(st.Else)
	case *ast.NumberForStmt:
		st.Init = r.expr(st.Init)
		st.Limit = r.expr(st.Limit)
		st.Step = r.expr(st.Step)
		r.stmts(st.Stmts)
	case *ast.GenericForStmt:
		r.exprs(st.Exprs)
		r.stmts(st.Stmts)
	case *ast.FuncDefStmt:
		if st.Name != nil {
			st.Name.Func = r.expr(st.Name.Func)
			st.Name.Receiver = r.expr(st.Name.Receiver)
		}
		if st.Func != nil {
			r.stmts(st.Func.Stmts)
		}
	case *ast.ReturnStmt:
		r.exprs(st.Exprs)
	}
}

func (r *concatRewriter) exprs(list []ast.Expr) {
	for i, e := range list {
		list[i] = r.expr(e)
	}
}

func (r *concatRewriter) expr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *ast.StringConcatOpExpr:
		return r.concat(e)
	case *ast.AttrGetExpr:
		e.Object = r.expr(e.Object)
		e.Key = r.expr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			f.Key = r.expr(f.Key)
			f.Value = r.expr(f.Value)
		}
	case *ast.FuncCallExpr:
		e.Func = r.expr(e.Func)
		e.Receiver = r.expr(e.Receiver)
		r.exprs(e.Args)
	case *ast.LogicalOpExpr:
		e.Lhs = r.expr(e.Lhs)
		e.Rhs = r.expr(e.Rhs)
	case *ast.RelationalOpExpr:
		e.Lhs = r.expr(e.Lhs)
		e.Rhs = r.expr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		e.Lhs = r.expr(e.Lhs)
		e.Rhs = r.expr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.UnaryNotOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.UnaryLenOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.FunctionExpr:
		r.stmts(e.Stmts)
	}
	return e
}

// concat turns the chain a .. (b .. (c .. d)) into concat(a, b, c, d). Each
// operand is truncated to one value, as in the operator.
func (r *concatRewriter) concat(e *ast.StringConcatOpExpr) ast.Expr {
	var args []ast.Expr
	var cur ast.Expr = e
	for {
		c, ok := cur.(*ast.StringConcatOpExpr)
		if !ok {
			args = append(args, r.expr(cur))
			break
		}
		args = append(args, r.expr(c.Lhs))
		cur = c.Rhs
	}
	for _, a := range args {
		switch a := a.(type) {
		case *ast.FuncCallExpr:
			a.AdjustRet = true
		case *ast.Comma3Expr:
			a.AdjustRet = true
		}
	}
	fn := &ast.StringExpr{Value: concatSentinel}
	fn.SetLine(e.Line())
	fn.SetLastLine(e.LastLine())
	call := &ast.FuncCallExpr{Func: fn, Args: args}
	call.SetLine(e.Line())
	call.SetLastLine(e.LastLine())
	return call
}

// bindConcat replaces the sentinel constant by the concat function in p
// and the functions nested in it.
func bindConcat(p *lua.FunctionProto) {
	for i, c := range p.Constants {
		if s, ok := c.(lua.LString); ok && s == concatSentinel {
			p.Constants[i] = concatFunction
		}
	}
	for _, sub := range p.FunctionPrototypes {
		bindConcat(sub)
	}
}

// luaConcat is the concatenation of its arguments, checked against the
// memory limit of the calling plugin.
func luaConcat(L *lua.LState) int {
	top := L.GetTop()
	size := 0
	plain := true
	for i := 1; i <= top; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			size += 24
		default:
			plain = false
		}
	}
	if plain {
		checkAlloc(L, int64(size))
		var b strings.Builder
		b.Grow(size)
		for i := 1; i <= top; i++ {
			b.WriteString(concatString(L.Get(i)))
		}
		L.Push(lua.LString(b.String()))
		return 1
	}
	// Lua 5.1's order: from the right, joining the longest run of strings
	// and numbers, calling __concat for any other pair.
	rhs := L.Get(top)
	for i := top - 1; i >= 1; {
		lhs := L.Get(i)
		if isConcatable(lhs) && isConcatable(rhs) {
			j := i
			n := len(concatString(rhs))
			for j > 1 && isConcatable(L.Get(j-1)) {
				j--
			}
			for k := j; k <= i; k++ {
				n += len(concatString(L.Get(k)))
			}
			checkAlloc(L, int64(n))
			var b strings.Builder
			b.Grow(n)
			for k := j; k <= i; k++ {
				b.WriteString(concatString(L.Get(k)))
			}
			b.WriteString(concatString(rhs))
			rhs = lua.LString(b.String())
			i = j - 1
			continue
		}
		mm := L.GetMetaField(lhs, "__concat")
		if mm == lua.LNil {
			mm = L.GetMetaField(rhs, "__concat")
		}
		if mm == lua.LNil {
			bad := lhs
			if isConcatable(lhs) {
				bad = rhs
			}
			L.RaiseError("attempt to concatenate a %s value", bad.Type().String())
		}
		if b, ok := L.Context().(*budget); ok {
			b.charge(callbackCost)
		}
		L.Push(mm)
		L.Push(lhs)
		L.Push(rhs)
		L.Call(2, 1)
		rhs = L.Get(-1)
		L.Pop(1)
		i--
	}
	L.Push(rhs)
	return 1
}

func isConcatable(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// concatString is the text of a string or number operand; numbers as Lua
// 5.1 writes them (%.14g).
func concatString(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return numberString(float64(v))
	}
	return ""
}
