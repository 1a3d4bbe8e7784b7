// Package cursor keeps each plugin's durable place in the queues: the
// position up to which it has fully handled every record of each queue it
// reads, and an input plugin's own checkpoint. After a crash every plugin
// restarts from its last saved cursor, so a record may be handled twice
// (about one Interval's worth) but is never skipped.
//
// # Files
//
// One file per plugin, "<output_path>/cursors/<type>.<name>.cp" (see Path),
// type being input, analysis or output. The file is UTF-8 text, one item per
// line, each line ending in "\n":
//
//	# sightline cursor
//	version 1
//	queue analysis 0:411
//	queue input 3:725
//	checkpoint string "tail.log\x00\xff"
//	end
//
// The lines:
//
//   - Line 1 is exactly "# sightline cursor"; line 2 is "version 1". Another
//     version is refused (ErrVersion).
//   - "queue <name> <segment>:<offset>": the committed position in queue
//     <name> (queue.Position's form; names are [A-Za-z0-9_.-]{1,64}), each
//     queue at most once, written sorted by name.
//   - "checkpoint number <n>": integers below 1e21 in plain digits, other
//     finite numbers in the shortest form that parses back to the same
//     float64, and NaN, +Inf, -Inf by name; negative zero is "-0".
//   - "checkpoint string <s>": s is Go-quoted (strconv.Quote), so any bytes
//     survive, at most MaxCheckpointSize of them. At most one checkpoint
//     line; none means no checkpoint.
//   - "end" closes the file; nothing may follow. A file cut short anywhere
//     lacks it and is refused.
//   - From line 3 on, empty lines and lines starting with "#" are ignored,
//     so an operator may annotate a file by hand.
//
// Any other content is a *CorruptError naming the file and line. Load
// reports a missing file as "not found" (the caller starts at its default)
// and never replaces a damaged one with a default: that would silently
// replay or skip data.
//
// # Writes and crashes
//
// Every write replaces the whole file through internal/atomicfile: write a
// temp file "<file>.tmp-<random>" in the same directory, fsync it, close
// it, rename it over the file, fsync the directory (a tick renames all its
// files first, then fsyncs the directory once). A crash leaves the old
// file or the new one, plus perhaps a temp file, which Load never reads
// and OpenStore deletes. A failed save is not sticky: the old file is
// intact, and an older cursor only means more replay, so the next tick
// simply tries again.
//
// # Store and the checkpoint tick
//
// A Store takes Put calls (one per processed message, cheap: a mutex and an
// overwrite in memory) and saves on a tick, every Interval (1 s) and on
// Close. A state may depend on records the plugin appended to queues (an
// input's checkpoint, the cursor of a plugin that injects): it is saved only
// once those records are durable ("write before you acknowledge"). Put
// takes them as Deps, the writer position after the plugin's last Append
// per queue. One tick:
//
//  1. copies the states put since their last save (the snapshot);
//  2. then calls Sync on each queue writer they depend on and reads its
//     Synced position;
//  3. writes each snapshotted state whose Deps are all at or below their
//     queue's synced position, then fsyncs the directory once.
//
// Why step 2 comes after step 1: a Put is made after the Appends it depends
// on returned, and each Sync starts after the snapshot, so when Sync
// succeeds every snapshotted state is saveable. When a Sync fails, nothing
// depending on that queue is written this tick: those states stay pending,
// their old files stay, and the error goes to the caller of Flush or Close,
// or to Options.OnError for a background tick. A Put arriving during a tick
// stays pending for the next one; the tick records only the version it
// snapshotted as saved. A state whose file already holds the same bytes is
// not rewritten.
package cursor
