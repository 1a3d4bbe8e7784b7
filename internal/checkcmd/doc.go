// Package checkcmd is `sightline check`: it validates a deployment without
// starting it, so a bad config or plugin is found before the daemon (or a
// reload through the load directory) trips over it.
//
//	sightline check [-config FILE]     (default /etc/sightline/sightline.toml)
//
// # What is checked
//
//  1. The main config, read as the daemon reads it (config.LoadMain), its
//     paths resolved (config.Main.Resolved), and the directories the
//     daemon requires: sandbox_run_path and, when set, sandbox_load_path
//     must each hold input/, analysis/ and output/ (every missing one is
//     reported, not only the first; a missing base directory once).
//  2. Every plugin config of run/<type>/ ("*.cfg" and "*.toml", one per
//     plugin name, as the runner lists them), loaded with the type's
//     [<type>_defaults]: typed keys, a .cfg and a .toml for the same
//     plugin, the message_matcher of analysis and output plugins
//     (compiled; a syntax error's offset is turned into a line and column
//     of the config file when the expression is written there verbatim),
//     and the Lua file, looked up as the runner does (run/<type>/<filename>,
//     then <sandbox_install_path>/<type>/<filename>).
//  3. Every pending file of the load directories, checked the same way
//     and marked "(pending)": a plugin config found there looks for its
//     Lua file in load/<type>/ first, where it may have been dropped with
//     it.
//  4. Every Lua file: the plugins' files, the other "*.lua" of the run and
//     load directories, and the module files they require from the Lua
//     path, recursively (each file once per plugin type). Each is compiled
//     by the sandbox's own compiler (sandbox.CompileFile: its size limit,
//     a leading "#" line skipped, precompiled chunks refused), which gives
//     syntax errors with line and column.
//  5. Each require("name") call with a constant name (require "name" too)
//     is resolved as the sandbox resolves it for the plugin type: standard
//     libraries, Go modules, embedded Lua modules, then the type's Lua path
//     (analysis_lua_path or io_lua_path). A module that would not be found,
//     or that analysis plugins may not use (io, coroutine, IO-only
//     modules), is a problem at the line of the call. Modules built into
//     the binary are neither compiled nor scanned here (their own tests
//     do), so what an embedded module requires is not checked. Calls
//     through pcall (pcall(require, "name")) are optional loads and are
//     not reported; names computed at run time cannot be checked.
//  6. A plugin's Lua file that never mentions process_message (or, for
//     analysis and output plugins, timer_event), and requires only
//     standard libraries, cannot define it: the sandbox would refuse to
//     start the plugin. Files that require other modules are not judged,
//     since a module may define the function.
//
// Where a require leads is asked of the sandbox itself
// (sandbox.FindModule), which searches as require does without running
// anything: no Go module is opened, no module body or file of the
// deployment is run.
//
// # Output
//
// One line per problem on stdout, sorted by file, then line and column:
//
//	/etc/sightline/sightline.toml:7: foo: unknown key
//	run/analysis/counter.toml:2:44: message_matcher: expected a relational operator (== != < <= > >=) or =~ !~ after Severity
//	run/output/out.cfg:2: message_matcher: offset 14: expected a test: TRUE, FALSE, a variable or '('
//	run/output/out.cfg:1: filename: out.lua not found (looked in run/output/out.lua, /usr/share/luasandbox/sandboxes/heka/output/out.lua)
//	run/analysis/counter.lua:3:7: syntax error near '='
//	run/analysis/counter.lua:1: module 'io' disabled for analysis plugins
//	run/input/tail.lua:2: module 'lpeg' not provided for input plugins (no standard library, Go module or embedded module; not on io_lua_path: modules/lpeg.lua)
//	load/analysis/new.cfg:3: memory_limit: wrong type: ... (pending)
//
// A module reached from plugins of two types is reported once per type.
// Files under the working directory are named relative to it. The last
// line is a summary:
//
//	checked 3 plugins, 5 Lua files: 2 problems
//
// # Exit codes
//
//   - 0: no problem;
//   - 1: problems were found (the main config's own problems included,
//     such as an unknown key or a syntax error);
//   - 2: bad arguments, or the main config cannot be read at all (missing,
//     unreadable, neither ".toml" nor ".cfg").
package checkcmd
