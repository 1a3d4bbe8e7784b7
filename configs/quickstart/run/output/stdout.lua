-- Prints Type and Payload of each message (see stdout.cfg). Output plugins
-- have io; io.stdout is buffered, hence the flush.
require "io"

function process_message()
    io.write(read_message("Type") or "", "\t", read_message("Payload") or "", "\n")
    io.flush()
    return 0
end

function timer_event(ns, shutdown)
end
