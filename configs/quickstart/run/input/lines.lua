-- A line-file input (see lines.cfg). Written to the Hindsight input API:
-- process_message(checkpoint) is called with the last checkpoint injected
-- (nil the very first time), inject_message(msg, checkpoint) queues a
-- message and records the checkpoint once the message is safely written.
require "io"
require "string"

local input_file = read_config("input_file") or error("input_file must be set")
if string.sub(input_file, 1, 1) ~= "/" then
    input_file = read_config("sandbox_run_path") .. "/../" .. input_file
end

-- At most this many lines per call; the rest comes at the next poll.
local max_lines = 10000
local chunk_size = 65536

function process_message(checkpoint)
    local offset = checkpoint or 0
    local fh, err = io.open(input_file, "rb")
    if not fh then return -1, err end

    local size = fh:seek("end")
    if size < offset then offset = 0 end -- the file shrank: read it again
    fh:seek("set", offset)

    local buf, lines = "", 0
    while lines < max_lines do
        local chunk = fh:read(chunk_size)
        if not chunk then break end
        buf = buf .. chunk
        local start = 1
        while lines < max_lines do
            local nl = string.find(buf, "\n", start, true)
            if not nl then break end
            local line = string.sub(buf, start, nl - 1)
            offset = offset + (nl - start) + 1
            inject_message({Type = "line", Payload = line}, offset)
            lines = lines + 1
            start = nl + 1
        end
        buf = string.sub(buf, start)
    end
    fh:close()
    return 0
end
