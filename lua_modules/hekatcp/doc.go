// Package hekatcp is the Lua module "sightline.heka_tcp", for input and
// output plugins only (IOOnly): Heka framed protobuf over TCP, with TLS,
// and an opt-in acknowledgement between sightline peers. The standard
// plugins input/heka_tcp.lua and output/heka_tcp.lua are built on it
// (spec §6.3; drop-in for the reference's configs).
//
//	local heka_tcp = require "sightline.heka_tcp"
//
//	-- input
//	local server = heka_tcp.listen{address = "127.0.0.1", port = 5565,
//	    ssl_params = {...}, ack = false, timeout = 10}
//	server:run()      -- inject until is_running() is false, then close
//	server:address()  -- "127.0.0.1:5565"; server:stats(); server:close()
//
//	-- output
//	local client = heka_tcp.connect{address = "127.0.0.1", port = 5565,
//	    timeout = 10, ssl_params = {...}, drop_message_on_error = false,
//	    ack = false, async_buffer_size = read_config("async_buffer_size")}
//	local framed = read_message("framed", nil, nil, true)
//	status, err, ack, failures = client:send(framed, sequence_id)
//	ack, failures = client:poll(shutdown) -- in timer_event
//	-- ack: a number for update_checkpoint(ack, failures), true for
//	-- update_checkpoint(), nil for nothing to commit
//	client:stats(); client:close()
//
// Errors in the options are raised at listen/connect and name the key:
// "heka_tcp: port: want a whole number from 1 to 65535, got 70000",
// "heka_tcp: ssl_params.cafile: open ...: no such file or directory".
//
// # Receiving
//
// Every accepted connection is read on a goroutine of its own through a
// message.Scanner: bytes that are not a valid frame are skipped up to the
// next one (reported once per connection, then counted), frames with
// sightline's CRC-32C (header field 7) are checked, frames longer than the
// plugin's max_message_size are skipped as soon as their header is read
// (message.ScanOptions.DropOversize), and messages that do not decode are
// skipped and reported. Records are copied into chunks of up to 128 KiB,
// handed over whenever the connection has nothing more to read at once;
// at most four chunks wait for the plugin, whatever the number of
// connections, and a connection whose chunk cannot be handed over stops
// reading (TCP flow control slows its sender). A connection holds at most
// its read buffer (64 KiB), one frame (max_message_size) and one chunk.
//
// server:run injects on the plugin's goroutine, as inject_message(raw)
// would (messages are injected unchanged, with no checkpoint), looking at
// is_running() at least every 100 ms. When it turns false (or the plugin
// is killed) the listener and every connection are closed, the goroutines
// waited for, and the chunks already handed over injected. Under
// sightline run -once, run also returns after a second with no connection
// open.
//
// # Sending
//
// client:send appends the frame to a batch in memory and returns; the
// client's goroutine writes batches (at most 256 KiB each, one write
// each), so a busy output makes few syscalls and an idle one sends at
// once. A message is done when written to the socket (plain mode) or when
// the receiver acknowledged it (ack mode). With async_buffer_size, send
// returns -5 and the module reports done messages for
// update_checkpoint(sequence_id, failures); it never has more than
// async_buffer_size in flight (send waits, up to timeout, for room), nor
// more than 32 MiB. Without async_buffer_size send returns -4 and, every
// 5000 messages or 4 MiB, waits until everything is done and returns 0;
// poll does the same for an open batch. While the connection is down,
// send returns -3 (the host offers the message again a second later) or,
// with drop_message_on_error, -2; a failing connection then also drops
// what it held, counted as failures.
//
// The connection goroutine reconnects after a failure with exponential
// backoff (100 ms doubling to 10 s, ±25% jitter; back to 100 ms after a
// connection that lasted a second). A lost connection is logged once at
// warning level, the first failed attempt once, further attempts at debug
// level, the next connection at info level with the number of messages
// resent. Everything held that was not done is written again first on the
// next connection, in order: delivery is at least once.
//
// # Plain mode's loss window
//
// Without acknowledgements a message is done once the kernel took it:
// bytes in the sender's socket buffer, in flight, in the receiver's
// socket buffer, and records the receiving process read but had not yet
// injected (its read buffer, its chunk, the four chunks queued for the
// plugin) are lost if the receiving process or its host dies, or the
// connection breaks before they were read. That is up to a few MiB per
// connection on Linux (socket buffers autotune to several MiB), plus up
// to about 300 KiB per connection and 512 KiB of queued chunks in the
// receiving process. A clean shutdown of the receiver injects the
// chunks already queued; bytes still in its socket buffers are lost. Use
// ack mode when that matters.
//
// # The acknowledgement protocol (version 1)
//
// Acknowledgements are opt-in on both sides (ack = true): a plain peer
// (Hindsight, Heka, sightline without ack) never sees a byte of it.
//
//  1. A receiver with ack on greets every connection, as soon as it is
//     accepted (after the TLS handshake), with the 16 bytes
//     "sightline-ack 1\n". A plain sender never reads, so the greeting
//     sits unread in its socket buffer.
//  2. A sender with ack on reads the greeting (waiting up to timeout)
//     before sending anything. A receiver without ack sends none: the
//     sender then closes the connection, logs that the receiver does not
//     acknowledge (ErrNoAck) and retries with backoff; it never falls back
//     to plain mode, which would lose the guarantee silently.
//  3. The sender answers with the same 16 bytes. A receiver tells a
//     sender asking for acknowledgements from a plain one by the first
//     byte: a plain stream starts with a frame's 0x1e. A connection that
//     starts with neither is read as a plain stream (its garbage skipped).
//  4. The sender then writes batches: 'B' (0x42), the batch number
//     (uint64, big-endian; 1 for the first batch of the connection, then
//     consecutive), the payload length (uint32, big-endian), and the
//     payload: whole Heka frames. The receiver reads the payload through
//     its frame scanner as a stream (a batch may be large; it is never
//     held whole), so damage inside a batch is skipped as in plain mode;
//     a batch out of sequence, or ending inside a frame, is a protocol
//     error that closes the connection.
//  5. Once every record of batch n is injected, the receiver takes
//     sandbox.Durable on the plugin's goroutine; the connection's acker
//     goroutine waits for it (the input queue synced past those records)
//     and writes 'A' (0x41) and n (uint64, big-endian). An
//     acknowledgement covers every batch up to n; the acker sends only the
//     latest one when several are ready.
//  6. The sender marks every batch up to n done (its messages are
//     reported for update_checkpoint) and frees it. If no acknowledgement
//     comes for timeout while a batch waits, or the connection fails, the
//     sender reconnects, numbers the batches it still holds from 1 again
//     and writes them first. Records the receiver injected but did not
//     acknowledge before the break arrive twice: duplicates, never loss.
//
// A receiver that cannot make its records durable (its queue failed)
// closes the connection without acknowledging.
//
// # TLS
//
// ssl_params is LuaSec's table (see SSLParams.TLSConfig): key and
// certificate (required for a listener), cafile/capath, verify ("peer",
// "fail_if_no_peer_cert"), protocol (the lowest version: Go negotiates the
// highest both sides speak), mode (checked when set). options, ciphers
// and other OpenSSL tuning keys are accepted and ignored; encrypted keys
// (password) are refused. A client checks the receiver's chain with
// verify "peer" and its name only when the extension key server_name is
// set, as LuaSec does; without "peer" it checks nothing and warns. A
// listener with verify {"peer", "fail_if_no_peer_cert"} refuses clients
// without a certificate signed by cafile: the handshake fails, is logged
// and counted, and the connection closed.
//
// # Differences from the reference
//
//   - The reference input runs every connection in one Lua loop with a
//     1 s select; here connections are read in Go in parallel. The
//     reference output writes each message with one blocking send; this
//     one batches in the background (-5 / -4 with update_checkpoint).
//   - Reconnection: the reference tries again on every message (at most
//     once a second); here with exponential backoff, logged on changes.
//   - protocol is a minimum, not the one version allowed; the client's
//     server_name key is an extension; encrypted keys are refused.
//   - ack and the acknowledgement protocol are sightline's.
package hekatcp
