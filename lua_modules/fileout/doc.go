// Package fileout is the Go module "sightline.fileout" (input and output
// plugins only): a Writer that appends records to a series of files,
// rolled by size and by time, written in batches that are fsynced before
// they are reported durable, and the helpers of the standard file-writing
// outputs (plugins/lua/output/file.lua, heka_debug.lua,
// heka_inject_payload.lua).
//
// # Lua API
//
//	local fileout = require "sightline.fileout"
//	local w = fileout.new{output_dir = "/var/log/x", output_file = "%{Logger}.%{seq}.log",
//	                      format = "heka", Logger = read_config("Logger"), ...}
//	local raw = read_message("raw", nil, nil, true)
//	function process_message() return w:write(raw) end           -- 0, -4, -3 or -1
//	function timer_event(ns, shutdown)
//	    if w:tick(shutdown) then update_checkpoint() end
//	end
//
// The functions:
//
//   - fileout.new(cfg): a writer; cfg holds the options of the file
//     output (see its README entry): output_dir, output_file, format,
//     delimiter, roll_size, roll_interval, roll_clock, perm, folder_perm,
//     flush_count, flush_bytes, flush_interval, max_message_size, and the
//     values of %{Logger}, %{Hostname}, %{Pid}. A bad option raises an
//     error naming the key.
//   - w:write(data[, ts]): data is the current message (a zero-copy
//     read_message("raw") handle or a string of protobuf) for formats
//     heka, payload, json and text, or the bytes to write for format raw;
//     ts its Timestamp (only needed for format raw with roll_clock
//     "message"). Returns the status for process_message: 0 when the
//     batch, this message included, is written and fsynced; -4 when the
//     message waits in the batch; -3 and the error when the batch could
//     not be written (the message was not taken: the host offers it
//     again); -1 and the error for a message that does not decode.
//   - w:tick(final): writes the batch if it is due (flush_interval), or
//     in any case when final, and closes a file whose interval (wall
//     clock) is over. Returns true when everything taken so far is
//     durable and no refused message waits to be offered again, i.e. when
//     update_checkpoint() may be called; false and the error of a failed
//     write otherwise.
//   - w:close(), w:path(), w:stats() (records, bytes, flushes, rolls,
//     failures, repaired, pending).
//   - fileout.format(format, raw): the record of a message as a string
//     (heka, payload with a newline, json, text).
//   - fileout.replace(path, data[, perm]): path atomically replaced
//     (internal/atomicfile: temp file, fsync, rename, directory fsync).
//   - fileout.mkdir(path[, perm]), fileout.list(dir) (sorted names),
//     fileout.remove_temps(dir) (temp files of an interrupted replace).
//
// # Formats
//
//   - heka: each message framed as read_message("framed") returns it
//     (message.AppendFrame: 1e, header with length and CRC-32C, 1f,
//     protobuf). Readable by `sightline cat`, heka_file.lua and the
//     reference's tools.
//   - payload: the Payload (empty when absent) and the delimiter
//     (default "\n").
//   - json: one object per line, exactly what `sightline cat -format
//     json` prints (internal/catcmd): headers by name, absent ones left
//     out but Severity, Timestamp in nanoseconds, Fields an array of
//     {name, value_type, representation, value: [...]} in message order,
//     BYTES in base64.
//   - text: lsb_heka_cat's text form and a blank line, what `sightline
//     cat` prints.
//   - raw: what an encoder_module returned, and the delimiter (default
//     none).
//
// # File names
//
// output_file (joined to output_dir unless absolute) is a pattern:
// strftime conversions %Y %m %d %H %M %S %y %j %s %F %T (UTC), %% for a
// percent sign, %{Logger} %{Hostname} %{Pid} from the plugin's config,
// and %{seq} (or %{seq:N}, zero-padded to N digits), the number of the
// file in its series, which must be in the last path element. Missing
// directories are created with folder_perm.
//
// When the writer starts it appends to the highest-numbered existing
// file of its series, or to the file its name gives, unless that file is
// already roll_size long (then the next number). It rolls:
//
//   - by size: before a record that would take the file over roll_size
//     bytes (a record longer than roll_size gets a file of its own), to
//     the next %{seq};
//   - by time: at each roll_interval boundary, counted from the Unix epoch
//     (a 1 h or 1 day interval starts on the hour or at 00:00 UTC); the
//     name is expanded with the start of the interval, and when that
//     gives the name of the file just finished, the next %{seq}. With
//     roll_clock "wall" a file is finished when its interval ends, even
//     when nothing comes; with "message" the interval follows the
//     messages' Timestamp and never goes back (a late message goes to
//     the current file), which makes replays deterministic.
//
// Without roll_interval the time in names is the time the file was
// opened (roll_clock "wall") or the Timestamp of its first message.
//
// # Durability
//
// A record taken by write stays in memory, in the batch, until the batch
// is written at the end of the file (pwrite at the length the writer
// knows) and the file fsynced, and for a file or directory it created,
// the parent directories fsynced. Only then does write return 0, or tick
// true, and the plugin lets its checkpoint move (spec §4.9: -4 keeps the
// checkpoint, 0 or update_checkpoint() commits it). A batch is written
// when it holds flush_count records or flush_bytes bytes, when its first
// record is flush_interval old (checked at each write and tick), before a
// roll, and at shutdown (tick(true)). So after a crash the cursor never
// covers a message that is not in a file; messages of the unfinished
// batch are replayed, and those of a batch written but not yet
// checkpointed are written a second time.
//
// A failed write, fsync or directory fsync is not retried in place: the
// file's state past the last fsync is unknown, so the writer cuts it back
// to that length, closes it, and before the next write opens it again
// (following a replaced symlink or a recreated file), cuts it again and
// writes the whole batch. The refused record is not in the batch: the
// plugin returns -3 and the host offers it again after a second. Messages
// are never dropped for a write error; the plugin waits until the disk
// has room. Errors are logged at most once a minute while they go on,
// and the recovery once.
//
// A torn record at the end of a file the writer appends to (a crash in
// the middle of a write) is cut before appending, and logged: for heka,
// everything after the last valid frame in the last two max_message_size
// frames; for json and payload, everything after the last delimiter
// (within 8 × max_message_size). A longer tail without a record end is
// not taken for ours and is left. Text files are appended to as they
// are. A payload containing the delimiter can make a cut keep part of a
// torn record.
//
// Files that are not regular (a character device, a pipe) are written
// with write(2), not cut, and a failing fsync with EINVAL is ignored for
// them.
package fileout
