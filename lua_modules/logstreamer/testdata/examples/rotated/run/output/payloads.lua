require "io"
local f = assert(io.open("payloads.txt", "w"))
function process_message()
    f:write(read_message("Logger"), "|", read_message("Hostname"), "|", read_message("Type"), "|", read_message("Payload"), "\n")
    return 0
end
function timer_event(ns, shutdown) f:flush() end
