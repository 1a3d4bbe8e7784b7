package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/sandbox/luamsg"
	"github.com/sightline/sightline/sandbox/luatable"
)

// The io library of input and output plugins is the sandbox's own (Lua
// 5.1's functions and file methods), not gopher-lua's: reads are capped by
// the memory limit, writes accept output-capable userdata (zero-copy
// read_message handles), and a file's userdata Value is an io.Reader, which
// the stream reader reads directly.

const fileType = "sightline.file"

// errBadFile is reading a write-only file or writing a read-only one; the
// text is C's strerror(EBADF), what Lua 5.1 reports.
var errBadFile = syscall.EBADF

// luaFile is the Value of a Lua file handle.
type luaFile struct {
	name   string
	f      *os.File
	cmd    *exec.Cmd // popen
	pipe   io.ReadWriteCloser
	r      *bufio.Reader
	w      *bufio.Writer
	std    bool // stdin, stdout, stderr: never closed
	closed bool
	// src, for a read-only file that can seek, is what r reads from: it
	// counts the file offset, so that fh:seek() needs no system call.
	src *offsetReader
}

// offsetReader reads a file and keeps its offset.
type offsetReader struct {
	f   *os.File
	off int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.f.Read(p)
	o.off += int64(n)
	return n, err
}

// newReadOnly returns the luaFile of osf, a file just opened for reading
// only: its offset is kept by an offsetReader when the file can seek (a
// pipe or a terminal cannot, and fh:seek() reports their error).
func newReadOnly(name string, osf *os.File) *luaFile {
	f := &luaFile{name: name, f: osf}
	if off, err := osf.Seek(0, io.SeekCurrent); err == nil {
		f.src = &offsetReader{f: osf, off: off}
		f.r = bufio.NewReaderSize(f.src, readOnlyBuffer)
	} else {
		f.r = bufio.NewReaderSize(osf, readOnlyBuffer)
	}
	return f
}

// readOnlyBuffer is the read buffer of a file opened for reading only:
// inputs read logs through it, a system call per buffer.
const readOnlyBuffer = 32 << 10

// Read reads from the file (through its buffer), so that a stream reader
// given the handle can fill itself.
func (f *luaFile) Read(p []byte) (int, error) {
	if f.closed || f.r == nil {
		return 0, errors.New("file is closed or not readable")
	}
	return f.r.Read(p)
}

// MemSize counts the file's buffers.
func (f *luaFile) MemSize() int {
	n := 0
	if f.r != nil {
		n += f.r.Size()
	}
	if f.w != nil {
		n += f.w.Size()
	}
	return n
}

func (f *luaFile) flush() error {
	if f.w != nil {
		return f.w.Flush()
	}
	return nil
}

func (f *luaFile) close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	err := f.flush()
	if f.pipe != nil {
		if cerr := f.pipe.Close(); err == nil {
			err = cerr
		}
		if werr := f.cmd.Wait(); err == nil {
			err = werr
		}
		return err
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ioState is the io library of one sandbox.
type ioState struct {
	s             *Sandbox
	mt            *lua.LTable
	input, output *lua.LUserData
	stdout        *lua.LUserData
	box           luatable.Boxes // the lines read, the positions of fh:seek()
}

func (s *Sandbox) openIO(L *lua.LState) lua.LValue {
	st := &ioState{s: s}
	mt := L.NewTypeMetatable(fileType)
	methods := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"close":   st.fileClose,
		"flush":   st.fileFlush,
		"lines":   st.fileLines,
		"read":    st.fileRead,
		"seek":    st.fileSeek,
		"setvbuf": st.fileSetvbuf,
		"write":   st.fileWrite,
	} {
		methods.RawSetString(name, L.NewFunction(fn))
	}
	mt.RawSetString("__index", methods)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		if f, ok := ud.Value.(*luaFile); ok && !f.closed {
			L.Push(lua.LString(fmt.Sprintf("file (%p)", f)))
		} else {
			L.Push(lua.LString("file (closed)"))
		}
		return 1
	}))
	st.mt = mt

	mod := L.NewTable()
	stdin := st.newFile(L, &luaFile{name: "stdin", f: os.Stdin, r: bufio.NewReader(os.Stdin), std: true})
	stdout := st.newFile(L, &luaFile{name: "stdout", f: os.Stdout, w: bufio.NewWriter(os.Stdout), std: true})
	stderr := st.newFile(L, &luaFile{name: "stderr", f: os.Stderr, w: bufio.NewWriter(os.Stderr), std: true})
	st.input, st.output, st.stdout = stdin, stdout, stdout
	mod.RawSetString("stdin", stdin)
	mod.RawSetString("stdout", stdout)
	mod.RawSetString("stderr", stderr)
	for name, fn := range map[string]lua.LGFunction{
		"close":   st.ioClose,
		"flush":   st.ioFlush,
		"input":   st.ioInput,
		"lines":   st.ioLines,
		"open":    st.ioOpen,
		"output":  st.ioOutput,
		"popen":   st.ioPopen,
		"read":    st.ioRead,
		"tmpfile": st.ioTmpfile,
		"type":    st.ioType,
		"write":   st.ioWrite,
	} {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	return mod
}

func (st *ioState) newFile(L *lua.LState, f *luaFile) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = f
	ud.Metatable = st.mt
	return ud
}

// checkFile returns the open file at argument n.
func (st *ioState) checkFile(L *lua.LState, n int) *luaFile {
	ud, ok := L.Get(n).(*lua.LUserData)
	var f *luaFile
	if ok {
		f, ok = ud.Value.(*luaFile)
	}
	if !ok {
		L.TypeError(n, lua.LTUserData)
	}
	if f.closed {
		L.RaiseError("attempt to use a closed file")
	}
	return f
}

// result pushes Lua's (nil, "name: message", errno) for err, or true.
func result(L *lua.LState, err error, name string) int {
	if err == nil {
		L.Push(lua.LTrue)
		return 1
	}
	L.Push(lua.LNil)
	msg := err.Error()
	var pe *os.PathError
	errno := 0
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
		var en syscall.Errno
		if errors.As(pe.Err, &en) {
			errno = int(en)
		}
	}
	if name != "" {
		msg = name + ": " + msg
	}
	L.Push(lua.LString(msg))
	L.Push(lua.LNumber(errno))
	return 3
}

func (st *ioState) ioOpen(L *lua.LState) int {
	name := L.CheckString(1)
	mode := L.OptString(2, "r")
	m := strings.ReplaceAll(mode, "b", "")
	var flag int
	switch m {
	case "r":
		flag = os.O_RDONLY
	case "w":
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	case "a":
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	case "r+":
		flag = os.O_RDWR
	case "w+":
		flag = os.O_RDWR | os.O_CREATE | os.O_TRUNC
	case "a+":
		flag = os.O_RDWR | os.O_CREATE | os.O_APPEND
	default:
		L.ArgError(2, "invalid mode '"+mode+"'")
	}
	osf, err := os.OpenFile(name, flag, 0o666)
	if err != nil {
		return result(L, err, name)
	}
	if m == "r" {
		L.Push(st.newFile(L, newReadOnly(name, osf)))
		return 1
	}
	f := &luaFile{name: name, f: osf}
	if m != "w" && m != "a" {
		f.r = bufio.NewReader(osf)
	}
	f.w = bufio.NewWriter(osf)
	L.Push(st.newFile(L, f))
	return 1
}

func (st *ioState) ioPopen(L *lua.LState) int {
	prog := L.CheckString(1)
	mode := L.OptString(2, "r")
	cmd := exec.Command("/bin/sh", "-c", prog)
	cmd.Stderr = os.Stderr
	f := &luaFile{name: prog, cmd: cmd}
	switch mode {
	case "r":
		out, err := cmd.StdoutPipe()
		if err != nil {
			return result(L, err, prog)
		}
		f.pipe = readCloser{out}
		f.r = bufio.NewReader(out)
	case "w":
		in, err := cmd.StdinPipe()
		if err != nil {
			return result(L, err, prog)
		}
		f.pipe = writeCloser{in}
		f.w = bufio.NewWriter(in)
	default:
		L.ArgError(2, "invalid mode '"+mode+"'")
	}
	if err := cmd.Start(); err != nil {
		return result(L, err, prog)
	}
	L.Push(st.newFile(L, f))
	return 1
}

type readCloser struct{ io.ReadCloser }

func (readCloser) Write([]byte) (int, error) { return 0, errors.New("not writable") }

type writeCloser struct{ io.WriteCloser }

func (writeCloser) Read([]byte) (int, error) { return 0, errors.New("not readable") }

func (st *ioState) ioTmpfile(L *lua.LState) int {
	osf, err := os.CreateTemp("", "lua_")
	if err != nil {
		return result(L, err, "")
	}
	_ = os.Remove(osf.Name()) // gone when closed, as tmpfile(3)
	L.Push(st.newFile(L, &luaFile{name: osf.Name(), f: osf, r: bufio.NewReader(osf), w: bufio.NewWriter(osf)}))
	return 1
}

func (st *ioState) ioType(L *lua.LState) int {
	L.CheckAny(1)
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if f, ok := ud.Value.(*luaFile); ok {
			if f.closed {
				L.Push(lua.LString("closed file"))
			} else {
				L.Push(lua.LString("file"))
			}
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

// ioInput and ioOutput get or set the default files.
func (st *ioState) ioInput(L *lua.LState) int  { return st.defaultFile(L, &st.input, "r") }
func (st *ioState) ioOutput(L *lua.LState) int { return st.defaultFile(L, &st.output, "w") }

func (st *ioState) defaultFile(L *lua.LState, slot **lua.LUserData, mode string) int {
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
	case lua.LString:
		top := L.GetTop()
		L.Push(L.NewFunction(st.ioOpen))
		L.Push(v)
		L.Push(lua.LString(mode))
		L.Call(2, 1)
		ud, ok := L.Get(-1).(*lua.LUserData)
		if !ok {
			L.RaiseError("%s: cannot open file", string(v))
		}
		*slot = ud
		L.SetTop(top)
	case *lua.LUserData:
		st.checkFile(L, 1)
		*slot = v
	default:
		L.TypeError(1, lua.LTUserData)
	}
	L.Push(*slot)
	return 1
}

func (st *ioState) ioClose(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(st.output)
		L.Replace(1, st.output)
	}
	return st.fileClose(L)
}

func (st *ioState) ioFlush(L *lua.LState) int {
	f, _ := st.output.Value.(*luaFile)
	return result(L, f.flush(), "")
}

func (st *ioState) ioRead(L *lua.LState) int {
	L.Insert(st.input, 1)
	return st.fileRead(L)
}

func (st *ioState) ioWrite(L *lua.LState) int {
	L.Insert(st.output, 1)
	return st.fileWrite(L)
}

func (st *ioState) ioLines(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		if f, _ := st.input.Value.(*luaFile); f.closed {
			L.RaiseError("default input file is closed")
		}
		L.Push(st.linesIter(L, st.input, false))
		return 1
	}
	name := L.CheckString(1)
	osf, err := os.Open(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		L.RaiseError("%s: %s", name, err.Error())
	}
	ud := st.newFile(L, newReadOnly(name, osf))
	L.Push(st.linesIter(L, ud, true))
	return 1
}

func (st *ioState) fileClose(L *lua.LState) int {
	f := st.checkFile(L, 1)
	if f.std {
		L.Push(lua.LNil)
		L.Push(lua.LString("cannot close standard file"))
		return 2
	}
	return result(L, f.close(), "")
}

func (st *ioState) fileFlush(L *lua.LState) int {
	return result(L, st.checkFile(L, 1).flush(), "")
}

func (st *ioState) fileSetvbuf(L *lua.LState) int {
	st.checkFile(L, 1)
	L.CheckOption(2, []string{"no", "full", "line"})
	L.Push(lua.LTrue)
	return 1
}

func (st *ioState) fileSeek(L *lua.LState) int {
	f := st.checkFile(L, 1)
	whence := 1 // "cur", Lua's default
	if L.Get(2) != lua.LNil {
		whence = L.CheckOption(2, []string{"set", "cur", "end"})
	}
	off := L.OptInt64(3, 0)
	if f.f == nil {
		return result(L, errors.New("cannot seek on a pipe"), "")
	}
	if whence == 1 && off == 0 && (f.w == nil || f.w.Buffered() == 0) {
		// Where am I: the common fh:seek() after reading a line. The
		// read buffer stays (gopher-lua's own seek drops it every call).
		var pos int64
		if f.src != nil {
			pos = f.src.off
		} else {
			var err error
			if pos, err = f.f.Seek(0, io.SeekCurrent); err != nil {
				return result(L, err, "")
			}
		}
		if f.r != nil {
			pos -= int64(f.r.Buffered())
		}
		L.Push(st.box.Number(float64(pos)))
		return 1
	}
	if err := f.flush(); err != nil {
		return result(L, err, "")
	}
	if whence == 1 && f.r != nil {
		off -= int64(f.r.Buffered())
	}
	pos, err := f.f.Seek(off, whence)
	if err != nil {
		return result(L, err, "")
	}
	if f.src != nil {
		f.src.off = pos
		f.r.Reset(f.src)
	} else if f.r != nil {
		f.r.Reset(f.f)
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func (st *ioState) fileWrite(L *lua.LState) int {
	f := st.checkFile(L, 1)
	if f.w == nil {
		return result(L, errBadFile, "")
	}
	var scratch []byte
	for i, top := 2, L.GetTop(); i <= top; i++ {
		var err error
		switch v := L.Get(i).(type) {
		case lua.LString:
			_, err = f.w.WriteString(string(v))
		case lua.LNumber:
			_, err = f.w.WriteString(numberString(float64(v)))
		case *lua.LUserData:
			o, ok := v.Value.(luamsg.Outputter)
			if !ok {
				L.ArgError(i-1, "string expected, got userdata")
			}
			scratch, err = o.Output(scratch[:0])
			if err == nil {
				_, err = f.w.Write(scratch)
			}
		default:
			L.ArgError(i-1, "string expected, got "+v.Type().String())
		}
		if err != nil {
			return result(L, err, "")
		}
	}
	if f.std {
		if err := f.flush(); err != nil {
			return result(L, err, "")
		}
	}
	L.Push(lua.LTrue)
	return 1
}

// readLimit is the most one read may return.
func (st *ioState) readLimit() int64 {
	if st.s.mem.limit > 0 {
		return st.s.mem.limit
	}
	return hardStringCap
}

func (st *ioState) fileRead(L *lua.LState) int {
	f := st.checkFile(L, 1)
	if f.r == nil {
		return result(L, errBadFile, "")
	}
	top := L.GetTop()
	if top == 1 {
		L.Push(lua.LString("*l"))
		top = 2
	}
	n := 0
	for i := 2; i <= top; i++ {
		v, err := st.readOne(L, f, L.Get(i), i-1)
		if err != nil {
			return result(L, err, "")
		}
		L.Push(v)
		n++
		if v == lua.LNil {
			break
		}
	}
	return n
}

// readOne reads one item of a read format; nil at the end of the file.
func (st *ioState) readOne(L *lua.LState, f *luaFile, format lua.LValue, argn int) (lua.LValue, error) {
	limit := st.readLimit()
	if n, ok := format.(lua.LNumber); ok {
		size := int64(n)
		if size <= 0 {
			if _, err := f.r.Peek(1); err != nil {
				return lua.LNil, nil
			}
			return lua.LString(""), nil
		}
		if size > limit {
			L.RaiseError("not enough memory")
		}
		checkAlloc(L, size)
		buf := make([]byte, size)
		got, err := io.ReadFull(f.r, buf)
		if got == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			return lua.LNil, nil
		}
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return lua.LNil, err
		}
		return lua.LString(buf[:got]), nil
	}
	opt, ok := format.(lua.LString)
	if !ok || len(opt) < 2 || opt[0] != '*' {
		L.ArgError(argn, "invalid format")
	}
	switch opt[1] {
	case 'n':
		return readNumber(f.r), nil
	case 'a':
		data, err := io.ReadAll(io.LimitReader(f.r, limit+1))
		if err != nil {
			return lua.LNil, err
		}
		if int64(len(data)) > limit {
			L.RaiseError("not enough memory")
		}
		checkAlloc(L, int64(len(data)))
		return lua.LString(data), nil
	case 'l':
		chunk, err := f.r.ReadSlice('\n')
		if err == nil {
			// The common case: the whole line is in the buffer.
			if int64(len(chunk)) > limit {
				L.RaiseError("not enough memory")
			}
			checkAlloc(L, int64(len(chunk)-1))
			return st.box.String(string(chunk[:len(chunk)-1])), nil
		}
		line := append([]byte(nil), chunk...)
		if int64(len(line)) > limit {
			L.RaiseError("not enough memory")
		}
		for err == bufio.ErrBufferFull {
			chunk, err = f.r.ReadSlice('\n')
			line = append(line, chunk...)
			if int64(len(line)) > limit {
				L.RaiseError("not enough memory")
			}
		}
		if err == io.EOF {
			if len(line) == 0 {
				return lua.LNil, nil
			}
		} else if err != nil {
			return lua.LNil, err
		} else {
			line = line[:len(line)-1]
		}
		checkAlloc(L, int64(len(line)))
		return lua.LString(line), nil
	}
	L.ArgError(argn, "invalid format")
	return lua.LNil, nil
}

// readNumber reads a number as fscanf("%lf") does: skip white space, take
// the longest prefix that looks like a number.
func readNumber(r *bufio.Reader) lua.LValue {
	for {
		c, err := r.ReadByte()
		if err != nil {
			return lua.LNil
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' {
			_ = r.UnreadByte()
			break
		}
	}
	var b []byte
	for len(b) < 200 {
		c, err := r.ReadByte()
		if err != nil {
			break
		}
		if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' || c == 'x' || c == 'X' ||
			(c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			b = append(b, c)
			continue
		}
		_ = r.UnreadByte()
		break
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		return lua.LNumber(f)
	}
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		if u, err := strconv.ParseUint(string(b[2:]), 16, 64); err == nil {
			return lua.LNumber(float64(u))
		}
	}
	return lua.LNil
}

// fileLines is file:lines(): an iterator over lines; it raises on errors.
func (st *ioState) fileLines(L *lua.LState) int {
	ud := L.CheckUserData(1)
	st.checkFile(L, 1)
	L.Push(st.linesIter(L, ud, false))
	return 1
}

func (st *ioState) linesIter(L *lua.LState, ud *lua.LUserData, closeAtEOF bool) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		f, _ := ud.Value.(*luaFile)
		if f == nil || f.closed {
			L.RaiseError("file is already closed")
		}
		v, err := st.readOne(L, f, lua.LString("*l"), 1)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if v == lua.LNil && closeAtEOF {
			_ = f.close()
		}
		L.Push(v)
		return 1
	})
}
