-- Decodes logs/access.log with decoders.nginx.access and logs/error.log
-- with decoders.nginx.error, one message per line. Pid = 0 in the default
-- headers (the error decoder sets it from the line), so that the process's
-- pid does not show.
require "io"
local access = require "decoders.nginx.access"
local errors = require "decoders.nginx.error"

local dir = read_config("sandbox_run_path") .. "/../logs/"

local function read(file, decoder, headers)
    local fh = assert(io.open(dir .. file, "rb"))
    for line in fh:lines() do
        local err = decoder.decode(line, headers)
        if err then
            inject_message({Type = "error.decode", Timestamp = 0, Pid = 0, Payload = err, Fields = {data = line}})
        end
    end
    fh:close()
end

function process_message()
    read("access.log", access, {Type = "nginx.access", Pid = 0, Fields = {site = "www"}})
    read("error.log", errors, {Type = "nginx.error", Pid = 0})
    return 0
end
