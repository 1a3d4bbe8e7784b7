// Package migrate switches a Hindsight node to sightline without replaying
// its queues or re-reading its logs: it turns the reference's checkpoint
// file, "<output_path>/hindsight.cp", into sightline cursor files (package
// cursor) once, when the daemon starts. Call Import before anything else
// touches output_path: before the queues are opened and, above all, before
// the first pruning, which with no cursors would delete unread segments.
//
// # What is left as it is
//
// The queue files "<output_path>/{input,analysis}/<id>.log" have the
// reference's layout and are read in place; sightline's writer starts a new
// segment above the highest id. Preserved plugin state,
// "<output_path>/<type>.<name>.data", is the reference's format at the
// reference's path (package sandbox/preserve), so it needs nothing either;
// Report.Data lists the files found. The ".rtc" files are only read.
//
// # When Import acts
//
//   - No hindsight.cp: nothing to do (Outcome NoCheckpointFile).
//   - Any sightline cursor file ("<output_path>/cursors/*.cp") exists:
//     nothing is done and hindsight.cp is left in place (Outcome
//     CursorsExist, logged as a warning), since the cursors are newer than
//     anything Hindsight wrote. Temp files of an interrupted cursor save do
//     not count. The one exception is an import of our own that a crash
//     interrupted (see Crashes).
//   - Otherwise hindsight.cp is imported and renamed to
//     "hindsight.cp.imported" (Outcome Imported), so it is not imported
//     twice and the operator sees what happened.
//
// Hindsight rewrites hindsight.cp every second while it runs. When the file
// is younger than two seconds, Import waits until it is two seconds old and
// refuses (ErrHindsightRunning) if it was replaced meanwhile: two daemons
// must never share an output_path. Stop Hindsight first.
//
// # hindsight.cp
//
// The reference writes one assignment per line (§2.4 of the reference
// notes):
//
//	_G['input'] = '3:725'
//	_G['input->analysis0'] = '3:725'
//	_G['input->output.out'] = '3:725'
//	_G['analysis->output.out'] = '0:411'
//	_G['input.gen'] = 50
//	_G['input.tail'] = '1234567:8910'
//
// The file is read line by line, not run as Lua, so every error names its
// line. A line is blank, a "--" comment, or _G[<string>] = <value>,
// optionally followed by ";" and a "--" comment. Strings are Lua 5.1 short
// strings in single or double quotes with Lua's escapes (the reference
// escapes \n, \r, " and \ and writes every other byte raw). Values are such
// strings or Lua numerals, optionally negated. Anything else is refused
// with a *LineError naming the file and line, and the daemon should not
// start: guessing would replay or skip data. In particular:
//
//   - An input checkpoint holding a "'" makes the reference write a broken
//     line (it does not escape that quote) that Hindsight itself cannot
//     load: ErrUnescapedQuote. Fix the line by hand (escape the quote as
//     \') and start again.
//   - A key the reference never writes (ErrUnknownKey) or a key assigned
//     twice (ErrDuplicateKey), which Lua would accept, is refused as well:
//     such a file was edited by hand and its meaning is not certain.
//   - The reference writes a checkpoint that is infinite or NaN as
//     inf, -inf, nan or -nan, which Lua reads as nil (or fails on): the
//     plugin loses its checkpoint, or Hindsight cannot start. Here the
//     plugin gets the number it set.
//
// # From keys to cursor files
//
//   - input.<name> = <number or string>: input plugin <name>'s own
//     checkpoint; cursor file input.<name> with that Checkpoint.
//   - input->output.<name>, analysis->output.<name> = '<id>:<offset>':
//     output plugin <name>'s committed positions; one cursor file
//     output.<name> holding the queues "input" and/or "analysis".
//   - input->analysis<N> = '<id>:<offset>': the position of analysis
//     thread N in the input queue. sightline keeps one cursor per analysis
//     plugin, so each plugin the caller is about to run gets the position
//     of the thread it ran on, read from the last "thread = N" of
//     "<output_path>/analysis.<name>.rtc" (the config text Hindsight gave
//     it; the host's value comes last). A plugin with no .rtc, no thread in
//     it, or a thread hindsight.cp has no position for gets the lowest
//     position of all threads: it may see records again, never miss one.
//     When hindsight.cp has no thread position at all, analysis plugins get
//     no cursor and start at the oldest segment, as the reference does. An
//     .rtc that cannot be read or parsed is an error naming it.
//   - input, analysis = '<id>:<offset>': the writer positions, checked and
//     ignored (sightline's writer always starts a new segment).
//
// A reference cursor is "the next unread byte", and a queue.Position is
// the byte after the last record processed: the same number. Keys of
// plugins that are no longer configured are imported too (Hindsight would
// drop them at its next start); their cursor files are listed in the
// report. An output's would keep its queue from being pruned below it.
//
// # Crashes
//
// The import is a short journal, each step durable before the next:
//
//  1. read and check hindsight.cp and the .rtc files (nothing written);
//  2. write "<output_path>/hindsight.cp.importing" (the marker: the
//     SHA-256 of hindsight.cp and the cursor files about to be written)
//     through internal/atomicfile, which fsyncs it and output_path;
//  3. create "<output_path>/cursors" (fsync output_path) and save each
//     cursor file with cursor.Save (temp file, fsync, rename, fsync the
//     directory);
//  4. rename hindsight.cp to hindsight.cp.imported and fsync output_path;
//  5. remove the marker and fsync output_path.
//
// At start, the marker is looked at before anything else. A marker means an
// import of ours was interrupted, and the cursor files present are that
// import's (no cursor file is written before the marker is durable, and
// the daemon does not run while Import fails):
//
//   - hindsight.cp is still there (crash in steps 2-4): the whole import
//     runs again, rewriting every cursor file; temp files are deleted, and
//     so is a file the old marker lists that is not planned any more (the
//     new marker lists it too until then, in case of another crash).
//   - hindsight.cp is gone and hindsight.cp.imported has the marker's
//     SHA-256 (crash between steps 4 and 5): all files were durable before
//     the rename, so only the marker is removed.
//   - neither: someone removed the file the import came from;
//     ErrInterrupted, and the operator decides.
//
// Report.Resumed says an interrupted import was completed.
package migrate
