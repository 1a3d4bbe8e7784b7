package preserve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/internal/atomicfile"
)

// DefaultTimeout is how long a state file's code may run when
// RestoreOptions.Timeout is zero. Restoring a state of a million entries
// takes seconds; the bound is there to stop a damaged or hostile file.
const DefaultTimeout = time.Minute

// RestoreOptions adjusts Restore. The zero value is ready to use.
type RestoreOptions struct {
	// Context is the caller's lifetime: when it is done (the daemon shuts
	// down) the restore stops and fails with its error, and the file is
	// left in place, since nothing is wrong with it. Nil means
	// context.Background().
	Context context.Context

	// Timeout bounds how long the file's code may run. A file that runs
	// longer is treated as damaged (ErrTimeout; moved aside). Zero means
	// DefaultTimeout. It does not bound parsing, which is linear in the
	// file's size.
	Timeout time.Duration
}

// Status is what Restore did.
type Status int

const (
	// Failed: Restore returned an error.
	Failed Status = iota
	// Missing: there is no state file; the plugin starts clean.
	Missing
	// Restored: the file ran; the globals hold the saved values.
	Restored
	// Discarded: the file was saved under another _PRESERVATION_VERSION
	// than the plugin now sets, so its guard line made it assign nothing.
	// The file is left for the next save to replace.
	Discarded
)

func (s Status) String() string {
	switch s {
	case Failed:
		return "failed"
	case Missing:
		return "missing"
	case Restored:
		return "restored"
	case Discarded:
		return "discarded"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Restore runs the state file at path in L, after the plugin's Lua file
// has run (so saved values replace the initial ones), as the reference
// does. The file runs with L's globals and libraries, so the restore code
// of userdata (circular_buffer.new(...)) finds its modules; it is trusted
// like the plugin's own code, with two limits: Timeout, and the caller's
// Context. Restore sets its own context on L while the file runs and puts
// L's previous one back before it returns.
//
// A missing file gives (Missing, nil). Any other failure (unreadable file,
// syntax error, runtime error, timeout) gives (Failed, *RestoreError): the
// file has been moved aside to "<path>.bad-<UTC time>" so it cannot fail
// again, L is partly restored and must be discarded, and the caller logs
// the error as a warning and creates the plugin again without restoring.
// (The reference deletes such a file; keeping it costs nothing and helps
// find out what went wrong.)
//
// When opts.Context ends the restore (shutdown), the error wraps the
// context's error and is not a *RestoreError: nothing is wrong with the
// file, which is left in place, and the plugin must not be started clean,
// since its next Save would replace the good state.
//
// Restore also deletes temp files an interrupted Save left beside path.
func Restore(L *lua.LState, path string, opts RestoreOptions) (Status, error) {
	return restore(atomicfile.OS, L, path, opts)
}

func restore(fsys atomicfile.FS, L *lua.LState, path string, opts RestoreOptions) (Status, error) {
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if err := ctx.Err(); err != nil {
		return Failed, fmt.Errorf("preserve: restore %s: %w", path, err)
	}
	removeTemps(fsys, path)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Missing, nil
	}
	if err != nil {
		return Failed, failed(fsys, path, err)
	}

	budget, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	prev := L.Context()
	L.SetContext(budget)
	defer func() {
		if prev != nil {
			L.SetContext(prev)
		} else {
			L.RemoveContext()
		}
	}()

	if cond := guardCondition(data); cond != "" {
		// Only to report Discarded without running the file: if this
		// fails, the file itself runs and reports the problem.
		if v, err := run(L, []byte("return "+cond), "guard"); err == nil && lua.LVAsBool(v) {
			return Discarded, nil
		}
	}
	_, err = run(L, data, filepath.Base(path))
	switch {
	case err == nil:
		return Restored, nil
	case ctx.Err() != nil:
		return Failed, fmt.Errorf("preserve: restore %s: %w (file left in place)", path, ctx.Err())
	case errors.Is(budget.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("%w after %v: %v", ErrTimeout, timeout, err)
	}
	return Failed, failed(fsys, path, err)
}

// failed moves the state file aside and builds the error for it.
func failed(fsys atomicfile.FS, path string, err error) error {
	bad, merr := moveAside(fsys, path, time.Now())
	if merr != nil {
		err = fmt.Errorf("%w (moving the file aside failed: %v)", err, merr)
	}
	return &RestoreError{File: path, MovedTo: bad, Err: err}
}

// run compiles and calls a chunk in L and returns its first result. The
// chunk is cut into segments first (resegment); if the cut chunk does not
// compile, neither does the original, which is compiled for the error
// message (its columns are not shifted by inserted text). A Go panic
// inside gopher-lua is returned as an error: the state is discarded after
// a failed restore anyway.
func run(L *lua.LState, code []byte, name string) (ret lua.LValue, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in Lua state: %v", r)
		}
	}()
	fn, err := L.Load(bytes.NewReader(resegment(code)), name)
	if err != nil {
		fn, err = L.Load(bytes.NewReader(code), name)
	}
	if err != nil {
		return lua.LNil, luaError(err)
	}
	top := L.GetTop()
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		L.SetTop(top)
		return lua.LNil, luaError(err)
	}
	ret = L.Get(-1)
	L.SetTop(top)
	return ret, nil
}

// luaError makes a gopher-lua error one line for a log warning: it drops
// the stack trace of a runtime error (the message names the file and line;
// the trace of a state file's main chunk adds nothing) and the trailing
// newline of a syntax error.
func luaError(err error) error {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		return errors.New(strings.Join(strings.Fields(ae.Object.String()), " "))
	}
	return err
}

// guardLine matches the first line the reference and Save write:
// "if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 3 then return end".
var guardLine = regexp.MustCompile(`^if\s+(` + VersionGlobal + `\s+and\s+` + VersionGlobal + `\s*~=\s*\S.*?)\s+then\s+return\s+end\s*$`)

// guardCondition returns the condition of the file's guard line, or "" if
// the file does not start with one.
func guardCondition(data []byte) string {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	m := guardLine.FindSubmatch(bytes.TrimSuffix(line, []byte("\r")))
	if m == nil {
		return ""
	}
	return string(m[1])
}
