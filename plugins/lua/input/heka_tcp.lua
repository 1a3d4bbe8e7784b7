--[[
# Heka framed TCP input

Listens for Heka framed protobuf streams (Hindsight's and Heka's heka_tcp
outputs, sightline's heka_tcp output) and injects every message found as
it is: Uuid, Timestamp and every header unchanged. Any number of senders
may be connected; each connection is read on its own goroutine, bytes that
are not a valid frame are skipped up to the next frame and reported, frames
carrying sightline's CRC-32C are checked, messages longer than
max_message_size are skipped and reported. With ssl_params the listener
speaks TLS only, and can require client certificates.

With `ack = true` the input also offers acknowledgements: a sightline
heka_tcp output with `ack = true` then learns when its messages are
durably in this input's queue, and sends again whatever was not
acknowledged when a connection breaks (nothing is lost when this process is
killed). Senders that do not ask (Hindsight, Heka, sightline without ack)
are served as plain Heka streams, exactly as when ack is off.

## Sample configuration
```lua
filename          = "heka_tcp.lua"
instruction_limit = 0

address = "127.0.0.1"  -- "0.0.0.0" for every interface
port    = 5565
-- ack  = false        -- true: acknowledge to sightline senders asking for it
-- timeout = 10        -- seconds: TLS handshake, greeting and ack writes

-- TLS (LuaSec's ssl_params; key and certificate are required)
-- ssl_params = {
--   mode = "server",
--   protocol = "tlsv1_2",       -- the lowest version accepted
--   key = "/etc/sightline/certs/serverkey.pem",
--   certificate = "/etc/sightline/certs/server.pem",
--   cafile = "/etc/sightline/certs/CA.pem",
--   verify = {"peer", "fail_if_no_peer_cert"}, -- require client certificates
-- }
```
--]]

local heka_tcp = require "sightline.heka_tcp"

local server = heka_tcp.listen{
    address    = read_config("address"),
    port       = read_config("port"),
    ssl_params = read_config("ssl_params"),
    ack        = read_config("ack"),
    timeout    = read_config("timeout"),
}

function process_message()
    server:run() -- until is_running() turns false
    return 0
end
