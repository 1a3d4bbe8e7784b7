--[[
# File output

Writes the messages it matches to files: Heka framed protobuf, Payload
lines, JSON lines or lsb_heka_cat text, rolled by size and/or by time, and
fsynced before its checkpoint moves past them. A crash or a kill replays
what was not yet fsynced (at most one batch): a message can be written
twice, never lost.

## Sample configuration
```lua
filename        = "file.lua"
message_matcher = "Type == 'nginx.access'"
ticker_interval = 1     -- so a quiet stream is still written within flush_interval

output_dir      = "/var/log/sightline"       -- default "/var/tmp"
output_file     = "%{Logger}.%{seq}.log"     -- default; strftime conversions, %{seq}, %{Logger}, %{Hostname}, %{Pid}
format          = "heka"                     -- heka (framed), payload, json or text
-- delimiter    = "\n"                       -- ends each record of format payload (and of encoder output, default "")
-- encoder_module = "encoders.payload"       -- instead of format: the module's encode() gives the bytes
roll_size       = 1e9                        -- bytes, or "64MiB"; default 1e9 with %{seq}, else none
-- roll_interval = 3600                      -- seconds, or "1h"; aligned on UTC midnight
-- roll_clock   = "wall"                     -- or "message": roll and name by message Timestamp
-- perm         = "644"                      -- new files (before the umask)
-- folder_perm  = "700"                      -- new directories
-- flush_count  = 10000                      -- write+fsync after this many messages,
-- flush_bytes  = "4MiB"                     -- or this many bytes (at most 64 MiB),
-- flush_interval = 1000                     -- or when the oldest is this old (ms; 0: never)
```
--]]

local fileout = require "sightline.fileout"

local keys = {
    "output_dir", "output_file", "format", "delimiter", "roll_size",
    "roll_interval", "roll_clock", "perm", "folder_perm", "flush_count",
    "flush_bytes", "flush_interval", "max_message_size", "Logger", "Hostname", "Pid",
}
local cfg = {}
for _, k in ipairs(keys) do cfg[k] = read_config(k) end

local encode
local encoder_module = read_config("encoder_module")
if encoder_module then
    if cfg.format then error("format and encoder_module: set only one") end
    encode = require(encoder_module).encode
    if type(encode) ~= "function" then
        error(encoder_module .. " does not provide an encode function")
    end
    cfg.format = "raw"
end

local writer = fileout.new(cfg)
local raw = read_message("raw", nil, nil, true)

function process_message()
    if not encode then return writer:write(raw) end
    local ok, data = pcall(encode)
    if not ok then return -1, data end
    if not data then return -2 end
    return writer:write(data, read_message("Timestamp"))
end

function timer_event(ns, shutdown)
    -- A false ok means a write failed or a message waits to be offered
    -- again: the checkpoint must stay where it is.
    if writer:tick(shutdown) then update_checkpoint() end
end
