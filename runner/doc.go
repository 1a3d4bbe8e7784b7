// Package runner is the sightline daemon: it opens the queues and the
// cursor store under output_path, loads every plugin of the run
// directories, runs each in its own goroutine over its own sandbox, and
// shuts everything down cleanly when its context ends. Run is the whole
// API; cmd/sightline calls it.
//
// # Startup
//
// Run resolves the main config's paths (config.Main.Resolved), checks the
// run and load directories (they must exist; neither they, their input,
// analysis and output directories nor a *.cfg, *.toml or *.lua file in
// those may be writable by group or others: ErrWritable, since input and
// output plugins can run commands), creates <output_path>/{input,analysis,cursors} (0750),
// opens one queue.Writer per queue with the config's sync policy (each
// starts a new segment), and opens a cursor.Store over both writers that
// saves every checkpoint_interval. It deletes every run/<type>/*.err, then
// loads run/<type>/*.cfg and *.toml (config.LoadPlugin with the
// [<type>_defaults] table), finds the plugin's Lua file in run/<type>/ or
// else <sandbox_install_path>/<type>/, adds the reserved keys to the table
// read_config sees (Logger, Hostname, Pid, path, cpath, log_level; for
// input and output plugins also output_path, output_size,
// max_message_size, sandbox_load_path, sandbox_run_path,
// sandbox_install_path) and creates the sandbox. A plugin that fails at
// any of these steps gets run/<type>/<name>.err ("YYYY-MM-DDTHH:MM:SS",
// a tab, the error, a newline; UTC) and does not run; the others do.
// Each plugin that starts gets <output_path>/<type>.<name>.rtc (§2.8):
// its config as written (a TOML config rendered in Lua syntax), then the
// host's values and the defaults applied, in Lua syntax, with an analysis
// plugin's thread.
//
// # Plugins
//
// Inputs: one goroutine each, in the run modes of the reference (§3.6):
// ticker_interval 0 calls process_message once; > 0 calls it again that
// many seconds after each return; a continuous input never returns and
// loops on is_running(). inject_message appends to the input queue; a
// checkpoint given with it is Put into the store with the position of
// the plugin's last append as its dependency, so the store saves it only
// once those records are synced ("write before you acknowledge"). The
// saved checkpoint is handed to process_message after a restart.
//
// Analysis: analysis_threads groups (thread % analysis_threads when a
// plugin sets thread, else the thread of its previous .rtc, else the
// least utilised group in the last statistics window, then the one with
// the fewest plugins; one loaded while the daemon runs is refused,
// "blocked (over capacity)" in its .err, when even that group is at
// analysis_utilization_limit or over); each group is one goroutine with one
// reader of the input queue and one decoded View per record, offered to
// every plugin of the group whose matcher matches.
// Each plugin keeps its own cursor (the input queue position after the
// last record it finished, dependent on its injections into the analysis
// queue), so the group's reader starts at the lowest of its plugins'
// cursors and a plugin ahead of it skips what it had handled.
//
// Outputs: one goroutine each, reading read_queue = input, analysis or
// both. With both, the two queues are merged by Timestamp (the input
// queue wins ties), and a queue with nothing to read never holds back the
// other. The committed cursor is what the sandbox's checkpoint state
// machine (§4.9) allows; -3 offers the same message again after a second.
// An output's inject_message appends to the input queue.
//
// A plugin without a saved cursor starts at the oldest segment of its
// queue, as the reference does at startup; one loaded while the daemon
// runs starts at the writer's position.
//
// # Live loading
//
// With sandbox_load_path set, files dropped into load/<type>/ start,
// restart and stop plugins without a restart of the daemon (§3.3):
// N.cfg or N.toml (re)starts plugin N, X.lua replaces run/<type>/X.lua
// and restarts the plugins loaded from it, N.off stops N. watch.go says
// when a file is taken, reload.go what is done with it, catchup.go how a
// reloaded analysis plugin rejoins its thread without missing a message.
// A file that fails its checks leaves the running version running.
//
// timer_event runs every ticker_interval seconds for analysis and output
// plugins, checked after each record and when idle. The first tick is
// staggered as in the reference: a random 0..min(ticker_interval, 60)-1 s
// after the start. Its argument is the time in whole seconds, in ns.
//
// # Flushing, checkpoints and pruning
//
// A record becomes visible to readers when its writer flushes. Every
// append kicks a per-queue flusher goroutine, which flushes at once at a
// low rate and, under sustained load, at most flushBurst times per
// flushLinger, so bursts are written together and nothing waits long;
// inputs also flush after each process_message, analysis groups and
// outputs whenever they run out of records. The store's own ticker syncs
// the writers and then saves the cursors whose dependencies are durable.
//
// At startup and every PruneInterval each queue is pruned below the lowest position held
// by any analysis or output cursor that reads it: the saved cursor files
// (so a stopped or terminated plugin's cursor keeps its data) and the
// running plugins' starting positions before their first cursor. A
// running plugin's newer cursor in memory counts only if that plugin has
// injected nothing since the daemon started (its cursor then depends on
// no unsynced injection), so a disk too full to save cursors still gets
// pruned. A queue that nobody reads is pruned up to its writer.
//
// While free disk is at or under the backpressure_disk_free floor, each
// queue is pruned at every tick, and below the running plugins' cursors
// only: the segments that only stopped or terminated plugins' cursors
// still hold are deleted, logged ("disk low: deleted queue segments that
// only stopped or terminated plugins had not read", with the plugins,
// segments and bytes) and counted (sightline_queue_pruned_unread_bytes_total):
// a stopped plugin does not hold the running ones up by disk.
//
// # Backpressure, max_queue_size and failed writes
//
// pressure.go. Each queue has a gate, a set of reasons that hold the
// injections into it, which the maintenance goroutine sets every second
// (or PruneInterval, if shorter) and whenever an injection rolls a
// segment; a held inject_message waits in Inject and goes on as soon as
// its reasons clear:
//
//   - lag (backpressure = N): the queue's writer is more than N segments
//     (output_size units) ahead of the slowest running reader of the
//     queue, by read position (analysis groups and catch-up readers,
//     outputs; stopped and terminated plugins do not count);
//   - disk (backpressure_disk_free = N, default 4): free space on the
//     queue's file system is at or under N × output_size;
//   - max_queue_size with queue_full = "block": the queue's segment files
//     hold more bytes than max_queue_size (the queue is pruned at every
//     tick while over). With "drop_oldest" nothing waits: the oldest
//     segments are deleted, read or not, until the queue is under the
//     limit, logged with the plugins whose cursors had not passed them
//     and counted (sightline_queue_dropped_bytes_total); such a plugin's
//     reader logs the missing segment and reads on at the oldest left;
//   - a failed write or fsync of the queue's writer (disk full, EIO).
//
// Inputs wait for all four. An analysis plugin waits for a failed writer,
// max_queue_size and lag; an output injecting into the input queue for a
// failed writer and lag: not for disk (nor, for outputs, max_queue_size),
// since readers are what empties the queues. Their lag leaves out
// themselves and the readers waiting in Inject, so that an analysis
// plugin and an output injecting into each other's queue, or an output
// injecting into the queue it reads, never wait on each other for good.
// "applying backpressure (lag|disk|max_queue_size)" and "releasing
// backpressure" are logged per queue, and sightline_queue_backpressure is
// 1 meanwhile; /healthz does not change. Batch mode applies none of
// them (its stages run one after the other), but a failed writer.
//
// A waiting Inject returns an error at once when its plugin is stopped
// (an input stopped, or any plugin killed), and the plugin is logged as
// stopped, not terminated; an analysis plugin or output whose own end
// comes (shutdown, a reload) appends anyway, as it finishes its record,
// unless the writer has failed.
//
// A queue writer whose write or fsync failed holds every injection into
// its queue; nothing taken is lost: every RecoverInterval (3 s) the
// writer is recovered on a new segment (queue.Writer.Recover), with the
// records taken after its last sync carried over, and the injections go
// on. Meanwhile /healthz answers 503 with the error,
// sightline_queue_writable is 0, and the cursors that depend on the
// queue are not saved; at shutdown a last Recover is tried, and a writer
// still failed makes Run return the error.
//
// # Termination
//
// A plugin whose sandbox returns an error (sandbox.TerminatedError) is
// logged, gets its .err file, and stops; the others go on. Its cursor is
// kept (an output with remove_checkpoints_on_terminate has its cursor
// deleted). With shutdown_on_terminate the daemon shuts down cleanly.
// A failed queue read is fatal: the daemon shuts down and Run returns the
// error. A failed queue write is not (see "Backpressure, max_queue_size
// and failed writes").
//
// # Shutdown
//
// When the context ends (or on a fatal error or shutdown_on_terminate):
//
//  1. Inputs are stopped: is_running() turns false and a polling input's
//     wait ends. Each has Options.StopTimeout to return; one that has not
//     is abandoned (sandbox.Abandon: its Lua code stops at the next
//     instruction, its state is not saved, its saved checkpoint stays).
//  2. Then analysis groups and outputs finish the record in hand (an
//     output waiting to retry gives up; the record is replayed next
//     time), call timer_event(now, true) on each plugin and save their
//     final cursors. Again, a plugin not done within StopTimeout is
//     abandoned.
//  3. Sandboxes are closed with preserve_data
//     (<output_path>/<type>.<name>.data), except terminated and abandoned
//     ones.
//  4. The flushers stop, the store's final tick syncs the queues and
//     saves every cursor, and the writers are closed.
//
// A goroutine stuck in Go code (not Lua) past StopTimeout plus
// KillTimeout is left behind and reported; nothing it does later reaches
// the queues or the cursors, which are closed.
//
// # Batch mode
//
// RunOnce (sightline run -once) is the reference's hindsight_cli (§7.2,
// §3.7): a cascade instead of a daemon. Startup is Run's; every plugin
// runs at once, as in the reference (analysis groups and outputs read
// their queues while the inputs write them), and the cascade is in how
// they end:
//
//  1. Every input runs once (ticker_interval is ignored: process_message
//     is called once). The cascade goes on when every input has returned,
//     so a continuous input keeps it waiting, as in the reference, until
//     the context ends (a signal), which stops the inputs still running
//     as at shutdown.
//  2. The analysis groups read the input queue to its end, then give
//     their plugins timer_event(ns, true); their injections are flushed.
//  3. The outputs read their queues (their own injections into the input
//     queue included) to the end and get timer_event(ns, true). An output
//     reading both queues while analysis plugins run starts only now, and
//     every output's merge of two queues is exact (a record goes when the
//     other queue has one pending or has ended), so what it sees is the
//     same at every run however the stages overlap.
//  4. Shutdown step 3 and 4: preserve_data, the final cursors (a second
//     run continues where this one stopped), the writers.
//
// Timers go by message time (§4.10): ns is the largest Timestamp the
// group or output has seen (0 before any), in whole seconds; the first
// tick is at the first message, the next ticker_interval of message time
// later. Live loading is off. RunOnce returns the OR of ExitInputTerminated
// (2), ExitAnalysisTerminated (4) and ExitOutputTerminated (8) for the
// types of which a plugin terminated, and 0 when none did.
//
// # Metrics, health and plugin statistics
//
// With metrics_listen set (e.g. "127.0.0.1:9469") the daemon serves, from
// a Prometheus registry of its own (with Go's and the process's
// collectors), two endpoints:
//
//   - /metrics (metrics.go lists each metric): per plugin, labelled
//     plugin="<type>.<name>", whether it is up, messages processed,
//     failed, injected (and bytes), matched and not matched by its
//     matcher, summaries of matcher, process_message and timer_event time,
//     memory and the other maxima of plugins.tsv, the cursor lag in bytes
//     of each queue it reads (from its committed cursor to the end of the
//     queue files) and, for an output, the age of the oldest message it
//     read and did not commit (a message it retries included); per queue,
//     labelled queue, its size, segments, disk free, whether its writer
//     is healthy and how often it recovered, bytes and segments pruned,
//     whether backpressure holds its injections, bytes dropped for
//     max_queue_size and bytes of stopped plugins pruned under the disk
//     floor.
//   - /healthz: 200 and "ok", or 503 and one reason a line: a loaded
//     plugin that terminated (name and error), a plugin that failed to
//     load and runs in no version, a queue writer that failed and has not
//     recovered yet (queue.Writer.Healthy), "shutting down". Backpressure
//     is not a reason.
//
// The address is bound before any plugin starts (a port in use fails
// Run) and logged ("metrics listening"); the server stops after the
// plugins, at the end of shutdown.
//
// Counts are exact; times are sampled: the first of every 16 matcher
// evaluations and process_message calls of a plugin is timed (every call
// of an input's process_message and of timer_event), as reading the
// clock twice costs more than many matchers (stats.go, BenchmarkHooks).
// The oldest uncommitted age is now minus the Timestamp of the record at
// the output's committed position, in each queue where it read past that
// position (or holds a message it retries, -3): the message's own time,
// so a plugin that sets Timestamp from its data gives the data's age. An output publishes that position only
// when it changes while records are pending, so one that commits every
// record pays nothing for it.
//
// Every 6 s, and once more at shutdown after the plugins stopped,
// <output_path>/plugins.tsv and utilization.tsv are replaced through
// internal/atomicfile, with the reference's columns (§2.7; tsv.go says how
// utilisation is estimated). They list the loaded plugins, terminated
// ones included: inputs, analysis plugins by thread, outputs.
//
// Each window's utilisation of the analysis threads also places analysis
// plugins (§3.3); before the first window there is none, and placement
// goes by the number of plugins.
package runner
