require "string"
local count, bytes = 0, 0
function process_message()
    count = count + 1
    bytes = bytes + #(read_message("Payload") or "")
    add_to_payload(string.format("last: %s\n", read_message("Payload")))
    inject_payload("txt", "last")
    add_to_payload("messages,bytes\n", count, ",", bytes, "\n")
    inject_payload("csv", "totals by type")
    return 0
end
function timer_event(ns, shutdown) end
