// Package runner is the sightline daemon: it opens the queues and the
// cursor store under output_path, loads every plugin of the run
// directories, runs each in its own goroutine over its own sandbox, and
// shuts everything down cleanly when its context ends. Run is the whole
// API; cmd/sightline calls it.
//
// # Startup
//
// Run resolves the main config's paths (config.Main.Resolved), checks the
// run directories, creates <output_path>/{input,analysis,cursors} (0750),
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
// plugin sets thread, else the group with the fewest plugins); each group
// is one goroutine with one reader of the input queue and one decoded View
// per record, offered to every plugin of the group whose matcher matches.
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
// queue, as the reference does at startup.
//
// timer_event runs every ticker_interval seconds for analysis and output
// plugins, checked after each record and when idle. The first tick is
// staggered as in the reference: a random 0..min(ticker_interval, 60)-1 s
// after the start. Its argument is the time in whole seconds, in ns.
//
// # Flushing, checkpoints and pruning
//
// A record becomes visible to readers when its writer flushes. Every
// append kicks a per-queue flusher that flushes after a short linger
// (flushLinger), so bursts are written together and nothing waits long;
// inputs also flush after each process_message, analysis groups and
// outputs whenever they run out of records. The store's own ticker syncs
// the writers and then saves the cursors whose dependencies are durable.
//
// At startup and every PruneInterval each queue is pruned below the lowest position held
// by any analysis or output cursor that reads it: the saved cursor files
// (so a stopped or terminated plugin's cursor keeps its data) and the
// running plugins' latest cursors or, before their first, their starting
// positions. A queue that nobody reads is pruned up to its writer.
//
// # Termination
//
// A plugin whose sandbox returns an error (sandbox.TerminatedError) is
// logged, gets its .err file, and stops; the others go on. Its cursor is
// kept (an output with remove_checkpoints_on_terminate has its cursor
// deleted). With shutdown_on_terminate the daemon shuts down cleanly.
// A failed queue write or read is fatal: the daemon shuts down and Run
// returns the error.
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
// Not yet here (later steps): dynamic loading from sandbox_load_path,
// backpressure, max_queue_size, plugins.tsv and utilization.tsv, metrics,
// .rtc files.
package runner
