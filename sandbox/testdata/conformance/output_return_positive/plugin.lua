-- A status > 0 terminates an output plugin (spec §4.8).
function process_message()
    return 1, "stop"
end

function timer_event()
end
