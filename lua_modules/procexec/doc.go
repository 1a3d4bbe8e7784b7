// Package procexec is the Lua module "procexec", for input and output
// plugins only (IOOnly): running a command and reading sightline's own
// standard input, the two kinds of process I/O the standard inputs
// process.lua, stdin.lua and heka_file.lua need and the sandbox's io
// library does not give safely (io.popen goes through a shell and cannot
// be timed out; a read of io.stdin blocks past shutdown).
//
//	local procexec = require "procexec"
//
//	-- Run a command: argv is an array, run without a shell.
//	local r, err = procexec.run({"df", "-P"}, {
//	    timeout    = 10,            -- seconds; 0 or absent: none
//	    env        = {LANG = "C"},  -- added to the inherited environment
//	                                -- (or {"LANG=C"}); inherit_env = false
//	                                -- starts from an empty one
//	    dir        = "/",           -- working directory
//	    stdin      = "data",        -- the command's standard input
//	                                -- (default: none, /dev/null)
//	    max_stdout = 65536,         -- bytes kept (default max_message_size)
//	    max_stderr = 4096,          -- bytes kept (default 4096)
//	})
//	-- r.stdout, r.stderr: what was kept of each; r.stdout_bytes and
//	-- r.stderr_bytes: how much the command wrote; r.exit_status (-1 when
//	-- it did not exit by itself: a signal, a timeout, a stop); r.signal
//	-- ("killed", ...) or nil; r.duration (ns); r.timed_out; r.stopped.
//	-- err: the command could not be started (not found, not executable).
//
//	-- Read this process's standard input.
//	local stdin = procexec.stdin{delimiter = "\n", max_record = 65536}
//	local rec, err = stdin:read_record()
//	-- rec: the next record without its delimiter; at the end of the input
//	-- a last record without a delimiter, then nil. err (rec nil): a
//	-- record longer than max_record was skipped; reading goes on after it.
//	-- stdin is also a file for a stream reader: hsr:find_message(stdin).
//
// A command runs in a process group of its own, with /dev/null (or the
// stdin option) as its standard input, never sightline's. At its timeout,
// when the plugin is stopped (is_running() turns false) or killed, the
// whole group gets SIGKILL; run returns once the command has exited and
// its output pipes are closed (at most one second after it exits, for
// children it left running with the pipes open). Output beyond the
// max_ sizes is read and dropped, so the command never blocks on a full
// pipe.
//
// Standard input is read with poll(2) and read(2) on file descriptor 0,
// waking every 100 ms to see whether the plugin was stopped: a stopped
// plugin's read ends as at the end of the input, so an input blocked on a
// quiet pipe still shuts down at once. Data read but not yet returned is
// lost when the plugin stops (standard input cannot be replayed). One
// plugin at a time should read standard input.
package procexec
