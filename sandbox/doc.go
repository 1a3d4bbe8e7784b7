// Package sandbox runs one plugin: a gopher-lua state with the Lua 5.1 API
// of Hindsight's input, analysis or output sandboxes (spec:
// shared/spec/hindsight-reference.md §3.5, §3.6, §4), under the plugin's
// limits. It knows nothing of queues, cursors or directories: the runner
// gives it a Host to inject into, calls its entry points and saves what it
// reports.
//
// # Using a sandbox
//
//	s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: path, Host: h, Logger: log, StateFile: state})
//	// input:    status, msg, err := s.ProcessInput(s.LastCheckpoint())
//	// analysis: status, msg, err := s.ProcessMessage(&view)   (the runner evaluated the matcher)
//	// output:   res, err := s.ProcessOutput(&view, pos); s.SkipOutput(pos); pos, ok := s.Committable()
//	// analysis, output: err = s.TimerEvent(ns, shutdown)
//	s.Stop()          // is_running() returns false from now on
//	s.Kill()          // the Lua code stops at its next instruction ("shutting down")
//	s.Abandon()       // Kill, and never touch or save the plugin again
//	err = s.Close(true) // save preserve_data (unless terminated or abandoned)
//
// A non-nil error from an entry point is the plugin's termination: a
// *TerminatedError whose Reason is what the reference writes to the .err
// file, "process_message() run/analysis/inj.lua:2: inject_message()
// failed: injection limit exceeded", at most 255 bytes, and whose Err is a
// sentinel (ErrLua, ErrInstructionLimit, ErrMemoryLimit, ErrGoPanic,
// ErrBadReturn, ErrMissingFunction, ErrShutdown, ErrSyntax). Bad returns
// are those of §3.5: a status that is not a number, a message that is
// neither nil nor a string, a status above zero ("process_message()
// received a termination status code", followed by ": <message>" when the
// plugin gave one), -5 without async_buffer_size. Every later call returns
// the same error. Other plugins and the process are never affected: Lua
// errors, limits and Go panics in modules all end here.
//
// Calls into a sandbox come from one goroutine at a time (ErrBusy
// otherwise). Stop, Kill, Abandon, Close, Stats, Committable,
// Terminated and LastCheckpoint may be called from any goroutine.
//
// Host.Inject is called on the calling goroutine, during the call that
// injects; with Options.Relay, an input plugin's table injections reach
// it from a goroutine of the sandbox instead, in order and all before
// the call returns (relay.go).
//
// # Environment
//
// Only the base library is loaded, without dofile, load, loadfile,
// loadstring, newproxy and module (and, for analysis plugins,
// collectgarbage); _VERSION is "Lua 5.1". string, table, math, os, io and
// coroutine come through require (and then are globals too). Analysis
// plugins get no io and no coroutine ("module 'io' disabled") and an os
// with only clock, date, difftime and time; os.exit and os.setlocale are
// gone everywhere, and string.dump. os.date and os.time work in UTC.
// math.erf and math.erfc are added, math.huge is infinity. Numbers print
// as Lua 5.1 prints them (%.14g) in tostring, .., string.format's %s,
// table.concat and io.write. The API of each type is that of §4.2:
// read_config (an absent max_message_size reads as the default, 65536),
// print (to Options.Logger at debug level; every print clears the payload
// buffer, logging or not, as the reference's does), decode_message;
// input: inject_message(msg[, checkpoint]), is_running,
// create_stream_reader; analysis: read_message, inject_message,
// add_to_payload, inject_payload; output: read_message, encode_message,
// inject_message, create_message_matcher, update_checkpoint. Message
// tables, read_message, payloads and stream readers are sandbox/luamsg's.
//
// string.find, match, gmatch and gsub run on the luapattern engine, each
// call with a budget of luapattern.DefaultSteps steps: a pattern that
// backtracks for longer raises "pattern too complex".
//
// The io library is the sandbox's own, with Lua 5.1's functions and file
// methods; a file handle's userdata Value is an io.Reader (stream readers
// read it directly), and writes accept zero-copy read_message handles.
//
// # require
//
// require(name) looks, in order, for a standard library; a Go module
// registered with RegisterModule; an embedded Lua module registered with
// RegisterLuaModules ("a.b" is "a/b.lua"; package lua_modules registers
// the binary's own); a file on the plugin's Lua path (the config's path
// key, "?" templates separated by ";"). Modules marked IOOnly are
// "disabled" for analysis plugins. A module found nowhere fails with
// "module 'x' not found: not provided by sightline (...)" listing where it
// looked. A module's table gets an empty metatable, so preserve_data skips
// it. Compiled chunks (*lua.FunctionProto) are cached for the process and
// shared by every state running the same file (a file on disk is compiled
// again when its modification time or size changes).
//
// # Limits
//
// output_limit: a message injected or encoded, and the payload buffer, may
// not be longer; going over raises an error the plugin can catch with
// pcall ("inject_message() failed: exceeded output_limit").
//
// instruction_limit: every Lua state of a plugin (coroutines included)
// runs under the plugin's budget, a context.Context whose Done method
// gopher-lua's context-aware VM loop calls before each VM instruction.
// The unit is one gopher-lua VM instruction (opcodes differ from Lua 5.1's,
// so counts do not match the reference's), plus callbackCost (16) for each
// call from Go back into Lua (pcall, a gsub replacement function, a
// __concat metamethod, a coroutine resume), so loops of failing nested
// callbacks are bounded too. Going over closes the budget: the next
// instruction raises "instruction_limit exceeded", and so does every one
// after it, so pcall cannot keep the plugin alive. 0 means no limit: a
// continuous input stops when it sees is_running() false, or when Kill
// closes its budget. The budget costs about 10% of the VM's speed. Go
// modules must not pass L.Context() to goroutines of their own; they use
// Context(L), cancelled when the plugin is killed or closed.
//
// memory_limit: gopher-lua has no allocator hook; see memory.go for the
// three-part scheme (size caps on the built-ins that can build large
// values in one step, the .. operator included; a heap estimate walked
// when the heap grows; SetProcessMemoryLimit as a process-wide backstop).
// A single over-sized value raises "not enough memory", which pcall can
// catch; a heap estimate over the limit terminates the plugin with
// "not enough memory (memory_limit exceeded)". The estimate is within about
// 25% of the Go heap the values take; a walk costs about 50 ns per value
// the plugin holds. 0 means no limit (single values are still capped at
// 1 GiB).
//
// The collector: PaceGC (which the daemon calls unless GOGC or GOMEMLIMIT
// is set) keeps the Go runtime's soft memory limit at twice the live heap
// plus the runtime's own memory, at least 16 MiB and at most
// SetProcessMemoryLimit's backstop, with GOGC at 400 (see gcpace.go): a
// daemon of plugins that churn through short-lived tables collects a few
// times less often than with GOGC=100's 4 MiB floor.
//
// # Output checkpoints
//
// ProcessOutput, SkipOutput and Committable implement the checkpoint state
// machine of §4.9 over positions the runner supplies (any value; never
// compared): see outputState for the exact rules, including the return
// codes, batching (-4, update_checkpoint()), async acknowledgement (-5,
// update_checkpoint(seq[, failures]), cumulative, with a ring of
// async_buffer_size in flight) and retries (-3, or a full ring:
// OutputResult.Retry asks the runner to offer the same message again).
//
// # preserve_data
//
// With Plugin.PreserveData and Options.StateFile, New restores the state
// file after the plugin's file ran (sandbox/preserve), and Close(true)
// saves it, unless the plugin was terminated by an error or abandoned. A
// state file that fails to restore is moved aside with a warning and the
// plugin starts clean. Limits are lifted while saving and restoring, as in
// the reference.
//
// # Differences from the reference
//
//   - A Go panic inside a coroutine surfaces as an error from
//     coroutine.resume (gopher-lua recovers it there); anywhere else a Go
//     panic terminates the plugin, even inside pcall.
//   - The call depth is 256 frames (Lua 5.1: about 16000 Lua frames, 200
//     nested C calls); deeper recursion raises "stack overflow".
//   - collectgarbage("count") returns the heap estimate; collecting is
//     Go's business (a real collection would stop every plugin).
//   - Error messages of the Lua core are gopher-lua's, which differ in
//     wording from Lua 5.1's in places.
//   - Sequence ids given to an output's process_message are numbers (the
//     reference passes opaque light userdata); plugins only pass them back.
//   - A heap estimate over memory_limit terminates the plugin with "not
//     enough memory (memory_limit exceeded)" (the reference: "not enough
//     memory"), which tells it from a single value refused as too large.
//   - create_message_matcher's error for an invalid expression carries the
//     parser's detail: "invalid message matcher expression: matcher:
//     offset 7: ..." (the reference: "invalid message matcher
//     expression").
//   - A status above zero: the plugin's message, if any, follows the
//     reference's reason (see above).
//   - Integer keys from 2^20 (maxArrayIndex) up live in a table's hash
//     part, as in Lua 5.1 when sparse; gopher-lua's array part would pad
//     them with nils (t[23200846] = 1 allocated 370 MB with its default
//     of 2^26). But gopher-lua's # and ipairs only see the array part, so
//     a sequence stops at 2^20-1 elements: t[#t+1] = v past that stores v
//     at index 2^20 and # does not grow, and elements appended with
//     table.insert past it are not found by t[i]. Such a sequence takes
//     16 MiB of Go heap, more than a default memory_limit allows.
package sandbox
