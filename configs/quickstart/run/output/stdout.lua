-- Prints each access-log message as "<status> <remote_addr> <request>"
-- and each report as its payload (see stdout.cfg). Output plugins have io;
-- io.stdout is buffered, hence the flush.
require "io"

function process_message()
    if read_message("Type") == "inject_payload" then
        io.write(read_message("Logger") or "", " report:\n", read_message("Payload") or "", "\n")
    else
        io.write(tostring(read_message("Fields[status]")), " ",
            read_message("Fields[remote_addr]") or "-", " ",
            read_message("Fields[request]") or "-", "\n")
    end
    io.flush()
    return 0
end

function timer_event(ns, shutdown)
end
