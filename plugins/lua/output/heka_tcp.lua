--[[
# Heka framed TCP output

Sends every message it matches, framed (read_message("framed"): with
sightline's CRC-32C in the frame header, which Heka and Hindsight readers
ignore), to a heka_tcp input. Messages are written in batches by a
connection of its own, re-established with exponential backoff (100 ms
doubling to 10 s) when it fails; a lost connection and the next successful
one are logged once each.

With async_buffer_size set (recommended), a message is committed (the
output's cursor moves past it) only once it is done, and up to
async_buffer_size messages are in flight. Without it, the output commits
every 5000 messages (or 4 MiB), after waiting for those to be done.
"Done" is written to the socket in plain mode; with `ack = true`, stored
durably in the receiver's input queue (the receiving heka_tcp input needs
`ack = true` too). Whatever was not done when a connection fails is sent
again on the next one. Set ticker_interval so acknowledgements arriving
while no message flows are committed.

While no connection is up, messages are retried (-3, one second apart), or
dropped (-2) with `drop_message_on_error = true`, which also drops the
messages in flight when the connection fails.

## Sample configuration
```lua
filename          = "heka_tcp.lua"
message_matcher   = "TRUE"
async_buffer_size = 10000
ticker_interval   = 1

address = "127.0.0.1"
port    = 5565
timeout = 10  -- seconds: connecting, each write, waiting for acknowledgements
-- drop_message_on_error = false
-- ack = false  -- true: done only once the receiver has it on disk

-- TLS (LuaSec's ssl_params)
-- ssl_params = {
--   mode = "client",
--   protocol = "tlsv1_2",
--   key = "/etc/sightline/certs/clientkey.pem",
--   certificate = "/etc/sightline/certs/client.pem",
--   cafile = "/etc/sightline/certs/CA.pem",
--   verify = "peer",            -- check the receiver's certificate chain
--   -- server_name = "aggregator.example.com", -- and its name
-- }
```
--]]

local heka_tcp = require "sightline.heka_tcp"

local client = heka_tcp.connect{
    address               = read_config("address"),
    port                  = read_config("port"),
    timeout               = read_config("timeout"),
    ssl_params            = read_config("ssl_params"),
    drop_message_on_error = read_config("drop_message_on_error"),
    ack                   = read_config("ack"),
    async_buffer_size     = read_config("async_buffer_size"),
}
local framed = read_message("framed", nil, nil, true)

local function commit(ack, failures)
    if ack == true then
        update_checkpoint()
    elseif ack then
        update_checkpoint(ack, failures)
    end
end

function process_message(sequence_id)
    local status, err, ack, failures = client:send(framed, sequence_id)
    commit(ack, failures)
    return status, err
end

function timer_event(ns, shutdown)
    commit(client:poll(shutdown))
    if shutdown then client:close() end
end
