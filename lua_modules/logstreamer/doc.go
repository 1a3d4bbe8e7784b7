// Package logstreamer is the Go module sightline.logstreamer behind the
// standard input plugin logstreamer.lua: Heka's LogstreamerInput rebuilt
// (shared/spec/logstreamer.md). One plugin follows many log streams under
// log_directory, each a sequence of files (rotated copies, dated files)
// found by file_match and sorted by priority, and keeps every stream's
// position in the plugin's checkpoint.
//
// # Discovery
//
// A relative log_directory (and journal_directory) is taken from the
// directory holding sandbox_run_path, not the working directory (/ under
// systemd). The root is resolved once (symlinks included) and walked
// recursively;
// file_match must match the whole path below it (Heka's anchoring: the
// root, a separator, file_match, "$"). Named groups give the stream name
// (differentiator: group names are replaced by their text, other entries
// are literal) and the sort keys (priority, "^" for descending; translation
// maps, the built-in MonthName and DayName, one-entry "missing" maps,
// digits, else -1). Translation errors are logged once per file, not
// dropped. Files not modified within oldest_duration are left out. A scan
// runs every rescan_interval, and also as soon as a directory it walked
// changes (its modification time is checked every check_data_interval), so
// a new dated file or a rename is seen within check_data_interval. Every
// scan, periodic or triggered by a rotation, starts the streams it finds.
// A stream whose files are all gone (not merely aged out) is retired after
// rescan_interval: its position leaves the checkpoint.
//
// # Reading
//
// One descriptor per stream, on the file being read. Records are cut in Go
// from a shared buffer (256 KiB, or twice max_message_size) at delimiter
// ("\n"), or grouped into multi-line records by record_start (a line
// matching it begins a record) or record_end (a line matching it ends
// one). A record longer than max_message_size is logged and skipped, with
// its remainder. The partial last line of a finished file is a record of
// its own, never joined to the next file's first line; the partial last
// line of the file being written waits for its end. gzip files (magic 1f
// 8b) are read through a decompressor, offsets in decompressed bytes; a
// gzip file read to its end is immutable and never decompressed again; one
// cut short (still being written) is decompressed again only when it grows.
//
// # Positions
//
// A stream's position is the file (relative to the root), the offset after
// the last record handed on, the SHA-1 of the 500 bytes before it
// (zero-left-padded, as Heka's last_hash), and the file's device and
// inode. The checkpoint is every stream's position as JSON,
//
//	{"v":1,"streams":{"<name>":{"file":"access.log","seek":1969,"hash":"72781a...","dev":2049,"ino":131},...}}
//
// set with inject_message's checkpoint-only form after the messages of each
// batch, so the runner saves it (in the cursor file) only once they are
// synced in the input queue. With no checkpoint, Heka journals in
// journal_directory ({"seek","file_name","last_hash"}) are imported.
//
// On restart a stream resumes in the file of its inode if the hash before
// the offset matches (the file may have been renamed); else in the newest
// file whose content matches (copied, compressed); else, when its inode is
// still there with other content (truncated while down), at the start of
// that file; else, when the file was read to its end or not started, at
// the first file sorted after it; else (lost) at the oldest file, logged,
// or at the end of the newest with lost_position = "tail".
//
// While reading, at the end of a file the reader checks the path of the
// file it holds: renamed files are followed by inode (late writes are
// read), then the next file in sort order is opened; a deleted file is
// read to its end and closed. Before reading on from an idle end, the
// size is checked, and after every read, before anything read is handed
// on, the bytes before the read offset: a file truncated in place
// (copytruncate), even between the check and the read, continues in the
// copy that holds the position, else is read again from its start, never
// the whole stream. A file that shrinks is truncated. A read error keeps
// the position and reopens the file later (Heka #1897 reset it to zero).
//
// Opening a file at offset 0 (the next file, or the oldest of a new
// stream) says nothing of what the file holds: by then copytruncate may
// have moved its content to a copy, or the scan, taken in the middle of a
// rotation, may name a path where a new file got the inode number of a
// deleted one. So once the first bytes of such a file are read, before any
// is handed on, a new scan confirms that it still follows the file read
// before (found by its content), or is still the oldest; if not, the file
// that does is read first. Until a record of the new file is handed on,
// the checkpoint keeps naming the file read before, done (a new stream
// stays out of it), and a restart goes on with the file that then follows
// it. Whenever lines may be lost (a truncated file that no copy
// continues, a position or a finished file found nowhere) a warning is
// logged.
package logstreamer
