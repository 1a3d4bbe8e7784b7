-- Writes the Payload of each message on a line.
require "io"
local out = assert(io.open(read_config("out"), "w"))

function process_message()
    out:write(read_message("Payload") or "", "\n")
    return 0
end

function timer_event(ns, shutdown)
    if shutdown then out:close() end
end
