-- 0, -1 and -2 from an output plugin (spec §4.8, §4.9): the message is
-- done and the checkpoint advances past it; -1 is counted as a failure,
-- -2 is not.
function process_message()
    local status = tonumber(read_message("Payload"))
    if status == -1 then return -1, "failed" end
    return status
end

function timer_event()
end
