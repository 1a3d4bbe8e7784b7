--[[
# Heka protobuf file input

Replays a file of framed Heka messages: a sightline queue segment
(`<output_path>/input/<n>.log`), a Hindsight queue file, the output of
`sightline cat -format heka` or of a framed file output. Every message is
injected as it is (its Uuid, Timestamp and every header unchanged); bytes
that are not a valid frame are skipped up to the next frame. The
checkpoint is the number of bytes of the file consumed: after a restart
the plugin goes on from there, so a message is injected once even when the
file is replayed again. A frame cut short at the end of the file (still
being written) is left for the next call.

## Sample configuration (TOML; a .cfg with the same keys works too)
```toml
filename = "heka_file.lua"
instruction_limit = 0   # the whole file is read in one call

# The file to read, relative to sightline's working directory. Absent:
# standard input (as stdin.lua with format = "heka"; no checkpoint).
input_filename = "archive/0.log"

# 0 (default): read the file to its end once. > 0: read again every
# ticker_interval seconds, from the checkpoint: messages appended to the
# file are injected as they come.
# ticker_interval = 0
```

Differences from the reference's heka_file.lua: a resumed read counts its
checkpoint from where it resumed (the reference's restarts from 0 after
the first resume, so its second restart seeks to the wrong place); a
checkpoint past the end of the file (a shorter file replaced it) reads
the file from the start; a missing file is a warning (-1), not a
termination; the trailing bytes it skipped are checkpointed too.
--]]
require "io"
require "string"

local input_filename = read_config("input_filename")
if input_filename ~= nil and (type(input_filename) ~= "string" or input_filename == "") then
    error("input_filename: must be a file name")
end
local name = read_config("Logger") or "heka_file"
local stdin
if not input_filename then
    stdin = require "procexec".stdin()
end

local function replay(fh, offset)
    local hsr = create_stream_reader(name) -- new each call: nothing buffered from before the seek
    local n, injected_at = 0, offset
    local found, consumed, read
    repeat
        repeat
            found, consumed, read = hsr:find_message(fh)
            offset = offset + consumed
            if found then
                if input_filename then
                    inject_message(hsr, offset)
                    injected_at = offset
                else
                    inject_message(hsr)
                end
                n = n + 1
            end
        until not found
    until read == 0 or not is_running()
    if input_filename and offset ~= injected_at then
        inject_message(nil, offset) -- skipped bytes at the end
    end
    return n
end

function process_message(checkpoint)
    if not input_filename then
        replay(stdin, 0)
        return 0
    end
    local fh, err = io.open(input_filename, "rb")
    if not fh then
        return -1, "input_filename: " .. tostring(err)
    end
    local offset = tonumber(checkpoint) or 0
    local size = fh:seek("end")
    local note
    if offset > size then
        note = string.format("checkpoint %d is past the end of %s (%d bytes): read from the start", offset, input_filename, size)
        offset = 0
    end
    fh:seek("set", offset)
    local ok, res = pcall(replay, fh, offset)
    fh:close()
    if not ok then error(res, 0) end
    return 0, note
end
