// Package config reads sightline's config files, the main config and the
// plugin configs, in either of two formats that give the same values.
//
//   - Lua syntax ("*.cfg"), Hindsight's format, so its configs drop in
//     unchanged. The file is run as a Lua 5.1 chunk (gopher-lua) in a
//     fresh state with no library loaded, as the reference does: literals,
//     arithmetic, ".." and references to earlier globals work; math.floor
//     or os.getenv fail ("attempt to index a non-table object(nil) with key
//     'floor'"). The chunk runs under a budget of VM instructions
//     (DefaultBudget), so "while true do end" fails with ErrBudget within a
//     fraction of a second. A string the chunk builds may not exceed
//     MaxStringLen (checked before every instruction, on the registers
//     that ".." writes). Before compiling, a scan refuses what would make
//     gopher-lua's compiler take seconds or minutes and what Lua 5.1
//     refuses anyway: nesting over 200 levels, chains of over 250 ".." or
//     "^", over 1000 elseif branches, over MaxConstants distinct names and
//     literals (large data belongs in TOML). The resulting globals are the
//     config.
//   - TOML ("*.toml"), read with github.com/pelletier/go-toml/v2.
//
// # Values
//
// Both formats produce a *Table whose values are string, float64 (the Lua
// number), bool or *Table. Lua functions (and other Lua values) are
// dropped, as the reference drops them, and so are table keys that are
// neither strings nor integers. TOML integers become float64 and are
// refused (ErrRange) beyond ±2^53, where float64 would round them; TOML
// arrays become tables with the integer keys 1..n, as a Lua sequence does;
// TOML dates and times become strings. A table's entries are kept sorted,
// integer keys first in ascending order, then string keys in byte order, so
// iteration is deterministic and the same for both formats (Lua gives no
// source order for globals anyway). Tables nest at most MaxDepth deep and
// hold at most MaxValues values; a Lua table that contains itself is
// refused (ErrCycle); files are at most MaxFileSize bytes.
//
// # Lines
//
// Every Entry carries the line its key was written on, so errors can point
// at it. For TOML the lines come from go-toml's AST parser (package
// unstable), which keeps byte ranges: keys of key/value pairs, dotted keys,
// table and array-of-tables headers, inline tables and array items. For
// Lua, gopher-lua does not tell which line assigned a global, so a light
// scan of the source finds them: top-level "name = ..." and "a, b = ..."
// statements (not inside function bodies, not after "local", the last
// assignment winning), and the items of a table constructor written right
// after such a "=" ("name = value" items and positional items,
// recursively). That is good enough for error messages, not more: a key
// set in some other way has line 0, and errors then name file and key
// only. Syntax and runtime errors in a Lua-syntax file carry the line
// gopher-lua reports; for a syntax error at end of file, which gopher-lua
// reports without one, the line of the last token (and the global that
// line assigns, if any). A TOML syntax error names the key assigned on its
// line, under the table header in force, when the line holds "key =".
//
// # Sizes
//
// ParseSize reads byte counts such as "64KiB": KB, MB, GB, TB are powers
// of 1000 and KiB, MiB, GiB, TiB powers of 1024 (the difference matters:
// "64KB" is 64000, "64KiB" 65536); "100" and "100B" are bytes; the bare K,
// M, G are refused as ambiguous. Size strings are converted only for keys
// whose schema type is a size (output_limit and memory_limit of a plugin,
// via GetSize; output_size, max_message_size and max_queue_size of the
// main config), and only in tables read from TOML: a Lua-syntax config
// stays exactly what the reference accepts, and user keys are never
// touched, since their meaning is the plugin's business. Durations
// (checkpoint_interval) follow the same rule: "500ms" in TOML, a number of
// seconds in either format.
//
// # Plugin configs
//
// LoadPlugin reads "<name>.cfg" or "<name>.toml" (having both is
// ErrBothFormats) and NewPlugin applies the schema of the reference
// (§3.2): each typed key takes the plugin's value, else the value in the
// main config's [<type>_defaults] table, else the reference default.
// Typed keys are checked: filename (required, a ".lua" file name without
// '/' or '\'), the limits and intervals (non-negative integers),
// preserve_data, restricted_headers, shutdown_on_terminate (booleans),
// message_matcher (required, non-empty, for analysis and output plugins),
// thread and the inject limits (analysis), async_buffer_size,
// remove_checkpoints_on_terminate and read_queue ("both", "input" or
// "analysis"; output). Keys typed only for other plugin types, and every
// other key, pass through untouched: user keys are free, as in the
// reference. The [<type>_defaults] table is strict (DefaultsKeys).
// Plugin.Table is what read_config shows: the user's keys and the typed
// keys with their final values; the host adds its reserved keys (Logger,
// Hostname, Pid, path, cpath, ...) with Table.Set.
//
// # Main config
//
// LoadMain reads the daemon's config, "sightline.toml" or a reference
// "hindsight.cfg" (Lua syntax, same bare state and budget), and NewMain
// checks it into a Main. Both formats take the same keys, the reference's
// (§3.1) and sightline's own; MainKeys lists them. Any other key is an
// error (ErrUnknownKey) naming file, line and key, at the top level and
// inside the [input_defaults], [analysis_defaults] and [output_defaults]
// tables ("input_defaults.foo"), which are checked as NewPlugin checks
// them and handed out by DefaultsFor with size strings turned into
// numbers. The reference's defaults and ranges hold: output_size 64 MiB
// (at least 1), analysis_threads 1 (1..64), analysis_utilization_limit 95
// (0..100), max_message_size 64 KiB (1024..64 MiB, the largest message a
// queue reader accepts, and at least every output_limit of the defaults
// tables), backpressure 0, backpressure_disk_free 4, hostname the
// machine's, cut to 64 bytes. Where sightline differs:
//
//   - Required are only output_path and sandbox_run_path. The Lua paths
//     default to "", meaning the modules built into sightline only (see
//     package sandbox), so a sightline config needs no module paths; a
//     reference config's paths are kept and searched after the built-in
//     modules. The *_defaults tables may be left out.
//   - analysis_lua_cpath and io_lua_cpath are accepted (they must be
//     strings, as in the reference) and have no effect: sightline loads no
//     C modules. Main.Ignored lists them so the daemon can say so.
//   - sandbox_install_path keeps the reference's default,
//     /usr/share/luasandbox/sandboxes/heka, where the
//     lua_sandbox_extensions packages install their plugins; "" turns the
//     fallback off.
//   - Relative paths are relative to the config file's directory, not to
//     the working directory as in the reference. The two agree when the
//     daemon starts in its config's directory, as the reference is usually
//     run; a service, whose working directory is "/", gets what its config
//     means. Main keeps the paths as written; Resolve, ResolveLuaPath and
//     Resolved apply the rule, and the daemon should log the resolved
//     paths.
//   - NewMain does not look at the file system; CheckDirs makes the
//     reference's startup check that sandbox_run_path (and
//     sandbox_load_path, if set) hold input/, analysis/ and output/.
//   - sightline's own keys: sync ("none", "checkpoint" (default) or
//     "always": when queues are fsynced), checkpoint_interval (1 s; 1 ms
//     to 1 h), metrics_listen (host:port with a numeric port, "" = off,
//     the default), log_format ("text" or "json"), log_level (syslog 0..7
//     or a name such as "info"; default 6 as the reference's command line,
//     whose level, when given, overrides the key), max_queue_size (bytes
//     per queue, 0 = unlimited, the default; else at least twice
//     output_size) and queue_full ("block", the default, or
//     "drop_oldest").
//
// # Errors
//
// Every error about a file is an *Error naming the file, the line (where
// the format gives it), the key (where there is one) and a reason wrapping
// one of the sentinels (ErrSyntax, ErrRuntime, ErrBudget, ErrType,
// ErrInvalid, ErrMissing, ...). It prints as
//
//	run/analysis/counter.toml:3: output_limit: wrong type: want a non-negative integer or a size string like "64KiB", got boolean true
package config
