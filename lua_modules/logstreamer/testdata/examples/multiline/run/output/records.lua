require "io"
local f = assert(io.open("records.txt", "w"))
function process_message()
    f:write(read_message("Type"), " @", tostring(read_message("Fields[source_offset]")), " ",
        tostring(read_message("Fields[level]")), ": ", read_message("Payload"), "\n")
    if read_message("Type") == "error.decode" then
        f:write("  data: ", read_message("Fields[data]"), "\n")
    end
    return 0
end
function timer_event(ns, shutdown) f:flush() end
