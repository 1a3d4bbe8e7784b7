-- Writes what the configured encoder makes of each message to stdout,
-- "(skipped)" when it makes nothing.
require "io"
local encode = require(read_config("encoder_module")).encode

function process_message()
    local data = encode()
    io.write(data or "(skipped)\n")
    return 0
end

function timer_event(ns, shutdown)
end
