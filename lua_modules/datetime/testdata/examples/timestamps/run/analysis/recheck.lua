-- lpeg.date_time in an analysis plugin: parses the Payload of rfc3339
-- messages again and checks it gives the message's Timestamp.
local dt = require "lpeg.date_time"
require "string"
local checked, differ = 0, 0

function process_message()
    local ns = dt.time_to_ns(dt.rfc3339:match(read_message("Payload")))
    checked = checked + 1
    if ns ~= read_message("Timestamp") then differ = differ + 1 end
    return 0
end

function timer_event(ns, shutdown)
    if shutdown then
        inject_payload("txt", "recheck", string.format("%d rfc3339 timestamps checked, %d differ", checked, differ))
    end
end
