// Package queue is sightline's segmented, append-only disk queue: the only
// hand-off between pipeline stages.
//
// # Layout
//
// A queue is a directory of segments named "<id>.log", ids decimal and
// increasing by one (the reference's naming, so a Hindsight output_path
// reads as it is). A segment is a sequence of frames (see package message):
//
//	1e hlen [08 varint(len)] [3d crc32c(4 bytes LE)] 1f <message>
//
// Reference readers read message_length and skip the rest of the header;
// our readers verify the CRC-32C of the message bytes when present. The
// directory also holds "lock", flocked by the one writer.
//
// # Writing
//
// OpenWriter always starts a new segment, one above the highest existing id:
// it never appends after a record that a crash may have torn. Append frames
// a record into a buffer; Flush hands the buffer to the OS and wakes tailing
// readers in this process; the segment rolls after the append that makes it
// at least Options.SegmentSize long. A segment is finished once the next one
// exists: the writer flushes (and fsyncs, unless the policy is SyncNone) a
// segment before it creates the next, and fsyncs the directory after.
//
// Sync policies: SyncCheckpoint (default) fsyncs when the owner calls Sync,
// which the daemon does once per checkpoint tick before it saves cursors;
// SyncAlways returns from Append only once the record is fsynced, concurrent
// appenders sharing one fsync; SyncNone never fsyncs. Synced reports the
// position before which everything is durable under the policy: a cursor or
// input checkpoint that depends on a record may be saved only once Synced
// has passed it.
//
// A failed write, fsync or close is sticky: the writer refuses every later
// Append with the first error (ErrWriteFailed) and Healthy reports it, since
// the state of the file after such a failure is unknown. A record Append
// returned a position for is taken, even when the write or fsync that
// followed failed. Recover (the owner retries it every few seconds) never
// appends to the failed segment: it starts a new one holding every record
// taken after Synced (read back from the failed segment, then those still
// buffered), fsyncs it, cuts the failed segment back to Synced and makes
// the writer usable again. Synced then covers every record taken before the
// failure, at the positions Append returned, so cursors and checkpoints
// that depend on them stay correct; a reader that had read past Synced
// reads those records again (duplicates, never a loss).
//
// # Reading
//
// A Reader starts at any Position and returns records in order, following
// the writer across segments. Its Position is the byte after the current
// record, counting damaged bytes skipped before it, so a cursor saved from it
// never skips an unread record. At the tail, Next waits until the writer
// flushes (woken at once within the process) or the context ends.
//
// A region of a segment that holds no valid frame (garbage, a torn record, a
// checksum mismatch, a false 1e inside a payload) is skipped to the next
// valid frame, counted and reported with segment and offset; garbage is never
// returned. An incomplete record at the end of the newest segment is not
// damage but a record still being written: the reader waits for it. Once a
// later segment exists, an incomplete record at the end is a torn tail and is
// skipped. A segment deleted by hand is reported and jumped over.
//
// # What survives a crash
//
// Under SyncCheckpoint and SyncAlways every record before Synced survives a
// kill or a power loss; later records may survive in part, and a reader
// skips the torn one. Under SyncNone a kill loses nothing the writer had
// flushed, a power loss may lose what the OS had not written.
//
// # Pruning
//
// Prune deletes segments wholly below a position; callers pass the minimum
// committed cursor of every reader. Lag and DiskFree give the figures that
// backpressure needs.
package queue
