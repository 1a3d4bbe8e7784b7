// Package statscmd is `sightline stats`: the plugin table of a daemon.
//
//	sightline stats [-config FILE]   (default /etc/sightline/sightline.toml)
//	sightline stats -url http://HOST:PORT
//
// # Where the figures come from
//
// With -url, from that metrics endpoint (its /metrics, unless the URL
// names another path). Otherwise the main config is read: when it sets
// metrics_listen, from http://<metrics_listen>/metrics (an empty or
// unspecified host is asked on the loopback address); when that fails (the
// daemon is not running) or metrics_listen is off, from
// <output_path>/plugins.tsv, which the daemon rewrites every 6 seconds and
// once more when it stops. The first line says which source was read.
//
// # The table
//
// One row per plugin: inputs, analysis plugins, outputs, each by name
// (plugins.tsv: in the file's order). Columns:
//
//	PLUGIN      <type>.<name>
//	STATE       up, or failed (it failed to load or terminated; see its
//	            .err and /healthz); "-" from plugins.tsv
//	PROCESSED   process_message calls
//	FAILED      of which returned -1
//	INJECTED    messages injected
//	INJ BYTES   their size
//	MEMORY      Lua heap estimate now
//	MAX MEMORY  largest Lua heap estimate
//	MATCHER     mean time of the message matcher (sampled)
//	PROCESS     mean time of process_message (sampled)
//	TIMER       mean time of timer_event
//	LAG         bytes of its queues after its committed cursor; "-" from
//	            plugins.tsv and for inputs
//
// Sizes are in bytes with binary prefixes, times in ns, µs, ms or s; "-"
// marks what the source does not have.
//
// # Exit status
//
// 0 when the table was printed, 1 when no source could be read, 2 on bad
// arguments or a main config that cannot be read.
package statscmd
