-- Status codes <= 0 never stop an analysis plugin (spec §4.8): 0, -1 with
-- a message, -2, -3, -4, -5 (the status is in the Payload). Every call is
-- counted, -1 as a failure too.
function process_message()
    local status = tonumber(read_message("Payload"))
    if status == -1 then return -1, "failed" end
    return status
end

function timer_event()
end
