package fileout

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/internal/atomicfile"
	"github.com/sightline/sightline/message"
	"github.com/sightline/sightline/sandbox"
	"github.com/sightline/sightline/sandbox/luamsg"
)

// ModuleName is what plugins require.
const ModuleName = "sightline.fileout"

const writerType = "sightline.fileout.writer"

// maxFlushBytes bounds a batch, held in memory outside memory_limit.
const maxFlushBytes = 64 << 20

// errorLogEvery is how often a failure that goes on is logged again.
const errorLogEvery = time.Minute

func init() {
	sandbox.RegisterModule(sandbox.Module{Name: ModuleName, Open: openModule, IOOnly: true})
}

func openModule(L *lua.LState) int {
	mt := L.NewTypeMetatable(writerType)
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"write": luaWrite,
		"tick":  luaTick,
		"close": luaClose,
		"path":  luaPath,
		"stats": luaStats,
	}))
	L.Push(L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"new":          luaNew,
		"format":       luaFormat,
		"replace":      luaReplace,
		"mkdir":        luaMkdir,
		"list":         luaList,
		"remove_temps": luaRemoveTemps,
	}))
	return 1
}

// luaWriter is the Value of a writer userdata.
type luaWriter struct {
	w       *Writer
	format  Format
	delim   []byte
	msgTime bool // MessageClock: the record's Timestamp is needed
	log     *slog.Logger

	scratch []byte // the data or raw message
	rec     []byte // the record
	view    message.View

	failing  bool // the last write or tick failed
	lastLog  time.Time
	failures int // since the last success
}

// luaNew is fileout.new(cfg): a writer configured by the table cfg (the
// option names of the file output plugin).
func luaNew(L *lua.LState) int {
	cfg := L.CheckTable(1)
	lw, err := newLuaWriter(L, cfg)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	ud := L.NewUserData()
	ud.Value = lw
	ud.Metatable = L.GetTypeMetatable(writerType)
	L.Push(ud)
	return 1
}

func newLuaWriter(L *lua.LState, cfg *lua.LTable) (*luaWriter, error) {
	get := func(k string) lua.LValue { return cfg.RawGetString(k) }
	str := func(k, def string) (string, error) {
		switch v := get(k).(type) {
		case *lua.LNilType:
			return def, nil
		case lua.LString:
			return string(v), nil
		default:
			return "", fmt.Errorf("%s: want a string, got %s", k, v.Type())
		}
	}
	lw := &luaWriter{log: sandbox.Logger(L)}
	fname, err := str("format", "heka")
	if err != nil {
		return nil, err
	}
	if lw.format, err = ParseFormat(fname); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	defDelim := ""
	if lw.format == FormatPayload {
		defDelim = "\n"
	}
	delim, err := str("delimiter", defDelim)
	if err != nil {
		return nil, err
	}
	if !lw.format.usesDelim() && delim != defDelim {
		return nil, fmt.Errorf("delimiter: format %s ends its records itself", lw.format)
	}
	lw.delim = []byte(delim)

	dir, err := str("output_dir", "/var/tmp")
	if err != nil {
		return nil, err
	}
	file, err := str("output_file", "%{Logger}.%{seq}.log")
	if err != nil {
		return nil, err
	}
	if file == "" {
		return nil, errors.New("output_file: empty")
	}
	name := file
	if !filepath.IsAbs(file) {
		if dir == "" {
			return nil, errors.New("output_dir: empty")
		}
		name = filepath.Join(dir, file)
	}
	opts := Options{
		Name:   name,
		Vars:   map[string]string{},
		Tail:   lw.format.tail(lw.delim),
		Logger: lw.log,
	}
	for _, k := range []string{"Logger", "Hostname", "Pid"} {
		if v := get(k); v != lua.LNil {
			opts.Vars[k] = lua.LVAsString(v)
		}
	}
	if opts.Perm, err = permOpt(get("perm"), "perm"); err != nil {
		return nil, err
	}
	if opts.DirPerm, err = permOpt(get("folder_perm"), "folder_perm"); err != nil {
		return nil, err
	}
	rollSize, err := sizeOpt(get("roll_size"), "roll_size", -1)
	if err != nil {
		return nil, err
	}
	if rollSize < 0 { // default: the reference's 1e9 for a numbered series
		rollSize = 0
		if strings.Contains(file, "%{seq") {
			rollSize = 1e9
		}
	}
	opts.RollSize = rollSize
	if opts.RollInterval, err = durationOpt(get("roll_interval"), "roll_interval", time.Second); err != nil {
		return nil, err
	}
	clock, err := str("roll_clock", "wall")
	if err != nil {
		return nil, err
	}
	switch clock {
	case "wall":
	case "message":
		opts.MessageClock, lw.msgTime = true, true
	default:
		return nil, fmt.Errorf("roll_clock: %q is neither \"wall\" nor \"message\"", clock)
	}
	count, err := intOpt(get("flush_count"), "flush_count", DefaultFlushCount)
	if err != nil {
		return nil, err
	}
	if count < 1 {
		return nil, errors.New("flush_count: must be at least 1")
	}
	opts.FlushCount = int(count)
	fb, err := sizeOpt(get("flush_bytes"), "flush_bytes", DefaultFlushBytes)
	if err != nil {
		return nil, err
	}
	if fb < 1 || fb > maxFlushBytes {
		return nil, errors.New("flush_bytes: must be 1 B to 64 MiB")
	}
	opts.FlushBytes = int(fb)
	fi, err := durationOpt(get("flush_interval"), "flush_interval", time.Millisecond)
	if err != nil {
		return nil, err
	}
	if get("flush_interval") == lua.LNil {
		fi = DefaultFlushInterval
	} else if fi == 0 {
		fi = -1 // 0 disables, as in Heka
	}
	opts.FlushInterval = fi
	mms, err := intOpt(get("max_message_size"), "max_message_size", int64(sandbox.MaxMessageSize(L)))
	if err != nil {
		return nil, err
	}
	opts.MaxRecord = int(mms)
	switch lw.format {
	case FormatJSON, FormatText, FormatPayload:
		opts.MaxRecord = 8*opts.MaxRecord + len(lw.delim) // escapes make records longer than messages
	}
	if lw.w, err = New(opts); err != nil {
		return nil, err
	}
	return lw, nil
}

// permOpt reads a mode written as an octal string ("644").
func permOpt(v lua.LValue, key string) (fs.FileMode, error) {
	if v == lua.LNil {
		return 0, nil
	}
	s, ok := v.(lua.LString)
	if !ok {
		return 0, fmt.Errorf("%s: want an octal string such as \"644\", got %s", key, v.Type())
	}
	n, err := strconv.ParseUint(string(s), 8, 32)
	if err != nil || n == 0 || n > 0o777 {
		return 0, fmt.Errorf("%s: %q is not a mode from \"1\" to \"777\"", key, string(s))
	}
	return fs.FileMode(n), nil
}

// sizeOpt reads a byte count: a number, or a string such as "64MiB".
func sizeOpt(v lua.LValue, key string, def int64) (int64, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return def, nil
	case lua.LNumber:
		f := float64(v)
		if f < 0 || f != math.Trunc(f) || f > 1<<53 {
			return 0, fmt.Errorf("%s: %v is not a whole number of bytes", key, f)
		}
		return int64(f), nil
	case lua.LString:
		n, err := config.ParseSize(string(v))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s: want a number or a size string, got %s", key, v.Type())
}

// intOpt reads a whole number.
func intOpt(v lua.LValue, key string, def int64) (int64, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return def, nil
	case lua.LNumber:
		f := float64(v)
		if f != math.Trunc(f) || f < 0 || f > 1<<53 {
			return 0, fmt.Errorf("%s: %v is not a whole number", key, f)
		}
		return int64(f), nil
	}
	return 0, fmt.Errorf("%s: want a number, got %s", key, v.Type())
}

// durationOpt reads a duration: a number of units, or a string such as
// "1h30m".
func durationOpt(v lua.LValue, key string, unit time.Duration) (time.Duration, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return 0, nil
	case lua.LNumber:
		f := float64(v)
		if f < 0 || math.IsNaN(f) || f*float64(unit) > math.MaxInt64/2 {
			return 0, fmt.Errorf("%s: %v is out of range", key, f)
		}
		return time.Duration(f * float64(unit)), nil
	case lua.LString:
		d, err := time.ParseDuration(string(v))
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s: %q is not a duration such as \"90s\" or \"1h\"", key, string(v))
		}
		return d, nil
	}
	return 0, fmt.Errorf("%s: want a number or a duration string, got %s", key, v.Type())
}

func checkWriter(L *lua.LState) *luaWriter {
	ud := L.CheckUserData(1)
	lw, ok := ud.Value.(*luaWriter)
	if !ok {
		L.ArgError(1, "fileout writer expected")
	}
	return lw
}

// dataArg appends the bytes of argument n (a string or output-capable
// userdata, such as a zero-copy read_message handle) to dst.
func dataArg(L *lua.LState, n int, dst []byte) []byte {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return append(dst, v...)
	case *lua.LUserData:
		o, ok := v.Value.(luamsg.Outputter)
		if !ok {
			L.ArgError(n, "string or read_message handle expected, got userdata")
		}
		out, err := o.Output(dst)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		return out
	default:
		L.ArgError(n, "string or read_message handle expected, got "+v.Type().String())
	}
	return dst
}

// luaWrite is w:write(data[, ts]): data is the message (raw protobuf: a
// read_message("raw", nil, nil, true) handle or a string) for the
// message formats, the bytes to write for format raw; ts the message's
// Timestamp (needed with roll_clock "message" and format raw). It returns
// the status for process_message: 0 (written and fsynced with everything
// before), -4 (in the batch), -3 and the error (not taken: offer it
// again), -1 and the error (a message that does not decode).
func luaWrite(L *lua.LState) int {
	lw := checkWriter(L)
	lw.scratch = dataArg(L, 2, lw.scratch[:0])
	var ts int64
	if v, ok := L.Get(3).(lua.LNumber); ok {
		ts = int64(v)
	} else if L.Get(3) != lua.LNil {
		L.ArgError(3, "number expected, got "+L.Get(3).Type().String())
	}
	rec := lw.rec[:0]
	switch {
	case lw.format == FormatRaw:
		if lw.msgTime && L.Get(3) == lua.LNil {
			L.ArgError(3, "the message Timestamp is needed with roll_clock \"message\"")
		}
		rec = append(append(rec, lw.scratch...), lw.delim...)
	case lw.format == FormatHeka && !lw.msgTime:
		if len(lw.scratch) == 0 {
			L.RaiseError("no message to write")
		}
		rec = message.AppendFrame(rec, lw.scratch)
	default:
		if len(lw.scratch) == 0 {
			L.RaiseError("no message to write")
		}
		if err := lw.view.Reset(lw.scratch); err != nil {
			L.Push(lua.LNumber(sandbox.StatusFail))
			L.Push(lua.LString("message does not decode: " + err.Error()))
			return 2
		}
		if L.Get(3) == lua.LNil {
			ts = lw.view.Timestamp()
		}
		rec = AppendRecord(rec, lw.format, &lw.view, lw.delim)
	}
	lw.rec = rec
	flushed, err := lw.w.Write(rec, ts)
	if err != nil {
		lw.failed("write failed; the message will be offered again", err)
		L.Push(lua.LNumber(sandbox.StatusRetry))
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if flushed {
		lw.recovered()
		L.Push(lua.LNumber(sandbox.StatusOK))
		return 1
	}
	L.Push(lua.LNumber(sandbox.StatusBatch))
	return 1
}

// luaTick is w:tick(final): it writes the batch when it is due (or when
// final) and closes a file whose interval ended. It returns true when a
// checkpoint may cover everything written (call update_checkpoint()),
// false otherwise, and the error of a failed write.
func luaTick(L *lua.LState) int {
	lw := checkWriter(L)
	final := lua.LVAsBool(L.Get(2))
	before := lw.w.Stats().Flushes
	ok, err := lw.w.Tick(final)
	L.Push(lua.LBool(ok))
	if err != nil {
		lw.failed("write failed; will try again", err)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if lw.w.Stats().Flushes > before {
		lw.recovered()
	}
	return 1
}

func (lw *luaWriter) failed(msg string, err error) {
	lw.failures++
	now := time.Now()
	if !lw.failing || now.Sub(lw.lastLog) >= errorLogEvery {
		lw.log.Error(msg, "file", lw.w.Path(), "err", err, "failures", lw.failures)
		lw.lastLog = now
	}
	lw.failing = true
}

func (lw *luaWriter) recovered() {
	if lw.failing {
		lw.log.Info("writes work again", "file", lw.w.Path(), "failures", lw.failures)
	}
	lw.failing, lw.failures = false, 0
}

// luaClose is w:close(): write and fsync the batch, close the file.
func luaClose(L *lua.LState) int {
	lw := checkWriter(L)
	if err := lw.w.Close(); err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// luaPath is w:path(): the current file, nil when none is open.
func luaPath(L *lua.LState) int {
	lw := checkWriter(L)
	if p := lw.w.Path(); p != "" {
		L.Push(lua.LString(p))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// luaStats is w:stats(): the Writer's counters and pending records.
func luaStats(L *lua.LState) int {
	lw := checkWriter(L)
	s := lw.w.Stats()
	t := L.NewTable()
	for k, v := range map[string]int64{
		"records": s.Records, "bytes": s.Bytes, "flushes": s.Flushes, "rolls": s.Rolls,
		"failures": s.Failures, "repaired": s.Repaired, "pending": int64(lw.w.Pending()),
	} {
		t.RawSetString(k, lua.LNumber(v))
	}
	L.Push(t)
	return 1
}

// luaFormat is fileout.format(format, raw): the record of the message raw
// (a string or read_message handle) in format heka, payload (with a
// newline), json or text, as a string; nil when there is no message.
func luaFormat(L *lua.LState) int {
	f, err := ParseFormat(L.CheckString(1))
	if err != nil || f == FormatRaw {
		L.ArgError(1, "heka, payload, json or text expected")
	}
	raw := dataArg(L, 2, nil)
	if len(raw) == 0 {
		L.Push(lua.LNil)
		return 1
	}
	var v message.View
	if err := v.Reset(raw); err != nil {
		L.RaiseError("message does not decode: %s", err.Error())
	}
	L.Push(lua.LString(AppendRecord(nil, f, &v, []byte("\n"))))
	return 1
}

// luaReplace is fileout.replace(path, data[, perm]): path atomically
// replaced by data (a string or output-capable userdata), perm an octal
// string (default "644"). It returns true, or nil and the error.
func luaReplace(L *lua.LState) int {
	path := L.CheckString(1)
	data := dataArg(L, 2, nil)
	perm, err := permOpt(L.Get(3), "perm")
	if err != nil {
		L.ArgError(3, err.Error())
	}
	if perm == 0 {
		perm = DefaultPerm
	}
	return result(L, atomicfile.WriteFile(path, data, perm))
}

// luaMkdir is fileout.mkdir(path[, perm]): path and its missing parents
// created with perm (default "700"). It returns true, or nil and the
// error.
func luaMkdir(L *lua.LState) int {
	path := L.CheckString(1)
	perm, err := permOpt(L.Get(2), "perm")
	if err != nil {
		L.ArgError(2, err.Error())
	}
	if perm == 0 {
		perm = DefaultDirPerm
	}
	return result(L, os.MkdirAll(path, perm))
}

// luaList is fileout.list(dir): the sorted names in dir, or nil and the
// error.
func luaList(L *lua.LState) int {
	names, err := OS.ReadDirNames(L.CheckString(1))
	if err != nil {
		return result(L, err)
	}
	sort.Strings(names)
	t := L.CreateTable(len(names), 0)
	for _, n := range names {
		t.Append(lua.LString(n))
	}
	L.Push(t)
	return 1
}

// luaRemoveTemps is fileout.remove_temps(dir): removes the temp files a
// crash during fileout.replace left in dir. It returns the number
// removed, or nil and the error.
func luaRemoveTemps(L *lua.LState) int {
	removed, err := atomicfile.RemoveTemps(atomicfile.OS, L.CheckString(1), func(string) bool { return true })
	if err != nil {
		return result(L, err)
	}
	L.Push(lua.LNumber(len(removed)))
	return 1
}

func result(L *lua.LState, err error) int {
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}
