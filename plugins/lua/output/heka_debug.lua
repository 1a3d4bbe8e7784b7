--[[
# Heka debug output

Prints every message it matches in lsb_heka_cat's text form (one line per
header, then one line per field, then a blank line), to stdout or appended
to a file. The text is byte for byte what `sightline cat` prints.

## Sample configuration
```lua
filename        = "heka_debug.lua"
message_matcher = "TRUE"
-- output_file  = "/tmp/debug.log" -- appended to; default stdout
```
--]]

require "io"
local format = require "sightline.fileout".format

local fn = read_config("output_file")
local out
if fn then
    out = assert(io.open(fn, "a"))
else
    out = io.stdout
end
local raw = read_message("raw", nil, nil, true)

function process_message()
    local ok, err = out:write(format("text", raw))
    if not ok then return -3, err end
    ok, err = out:flush()
    if not ok then return -3, err end
    return 0
end

function timer_event(ns, shutdown)
end
