// Package preserve implements preserve_data: a plugin's global data is
// written to a file when its sandbox is destroyed cleanly (stop, reload,
// shutdown) and run again when the plugin is next created, after the
// plugin's Lua file, so the saved values replace the initial ones. The
// file format is the reference's (lua_sandbox): a Lua 5.1 chunk. Files
// written by Hindsight restore here, and files written here restore in
// Hindsight (the tests restore them with a stock Lua 5.1 when one is
// installed).
//
// # Files
//
// One file per plugin, "<output_path>/<type>.<name>.data" (Path). Example:
//
//	if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 2 then return end
//	_G["count"] = 50
//	_G["cyclea"] = {}
//	_G["cyclea"]["b"] = {}
//	_G["cyclea"]["b"]["a"] = _G["cyclea"]
//	_G["cyclea"]["type"] = "a"
//	_G["cycleb"] = _G["cyclea"]["b"]
//	_G["hosts"] = {}
//	_G["hosts"][1] = "db1"
//	_G["hosts"][3] = "db3"
//	_G["hosts"]["web\n"] = -"0"
//	_G["hosts"][true] = 0.1
//	_G["nan"] = 0/0
//
// Line 1, the guard, holds the plugin's _PRESERVATION_VERSION (a number or
// a string; 0 when unset or of another type). When the plugin sets a
// different version when the file runs, the file returns before assigning
// anything: changing the version discards the old state. The global itself
// is never saved as data.
//
// Then, one statement per line, every value reachable from the global
// table through plain data, depth first:
//
//   - path = literal for strings, numbers and booleans; path = {} for a
//     table the first time it is reached, followed by its entries;
//     path = <earlier path> each later time, so shared tables and cycles
//     come back as shared tables and cycles;
//   - the path is _G followed by one [key] per level; keys are strings,
//     numbers or booleans;
//   - entries are sorted (number keys ascending, then string keys
//     bytewise, then false, true), so equal states give equal files;
//   - numbers: integers below 1e21 in plain digits, other finite values in
//     the shortest form that reads back to the same float64, infinities
//     and NaN as 1/0, -1/0, 0/0, and negative zero as -"0" (a literal -0
//     loses its sign in both Lua compilers; a negated string does not);
//   - strings in double quotes, escaping \" \\ \n \r \t, the other
//     control bytes as three-digit \ddd, and bytes 0x80-0xFF as \ddd
//     unless the string is valid UTF-8. Lua 5.1's %q, which the reference
//     uses, differs (a backslash before a raw newline, other bytes raw)
//     but both read back byte for byte in Lua 5.1 and gopher-lua;
//   - a userdata whose Value implements Serializer writes its own restore
//     code at its path (the first time it is reached).
//
// Each statement repeats the full path, as in the reference, so a deeply
// nested structure (a long linked list) makes a file that grows with the
// square of its depth.
//
// Not saved, as in the reference: functions, coroutines, channels,
// userdata without a Serializer, tables with a metatable (the reference
// gives required modules an empty one; the sandbox must do the same or
// name them in Skip), the global table itself, entries whose key
// is of another type (a table key cannot be written as a path), and the
// host's globals (SaveOptions.Skip). Unlike the reference, a non-empty
// table all of whose entries are skipped is skipped as well: it holds code
// (handlers, a library), and the reference's "t = {}" would replace the
// functions the plugin's file just defined with an empty table.
//
// # Segments
//
// A large state is split into segments wrapped as
//
//	do local segment = function()
//	...
//	end segment() end
//
// each starting a new Lua function with its own constants, every ~1024
// constants: gopher-lua looks constants up by a linear scan (a single
// function of a million entries would compile in quadratic time) and both
// compilers refuse more than 262143 constants per function. The first
// segment is not wrapped, so a small state has exactly the reference's
// shape.
//
// # Saving and crashes
//
// Save streams the file to "<file>.tmp-<random>" in the same directory,
// fsyncs and closes it, renames it over the file and fsyncs the directory
// (internal/atomicfile).
// A crash leaves the old file or the new one, plus perhaps a temp file,
// which is never read and which the next Save or Restore deletes. State is
// saved only on a clean stop: after a crash, or for a plugin terminated by
// an error or abandoned at a shutdown deadline, the caller does not call
// Save and the previous file stays.
// A failed save removes the previous file (as the reference does), so the
// plugin starts clean rather than from an outdated state.
//
// # Restoring
//
// Restore runs the file in the plugin's Lua state under a time limit. A
// missing file means a clean start. A file that fails (unreadable, syntax
// error, runtime error such as a missing module, time limit) is renamed to
// "<file>.bad-<UTC time>" and reported as a *RestoreError; the caller logs
// it as a warning, discards the partly restored state and creates the
// plugin again without restoring (the reference's retry with clean state).
//
// Before compiling, Restore cuts the file into segments in the same way,
// at line starts where that cannot change its meaning, so a file the
// reference wrote (all in one function) restores as fast as one Save
// wrote: 100,000 entries in about a second instead of five minutes.
//
// Memory and instruction limits are the caller's: it lifts them while
// saving and restoring, as the reference does.
package preserve
