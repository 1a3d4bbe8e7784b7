require "io"
local out = assert(io.open("framed.log", "w"))
function process_message()
    out:write(read_message("framed"))
    return 0
end
function timer_event(ns, shutdown)
    if shutdown then out:close() end
end
