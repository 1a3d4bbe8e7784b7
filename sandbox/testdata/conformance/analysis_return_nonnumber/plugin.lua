-- A non-number status terminates the plugin (spec §3.5).
function process_message()
    return true
end

function timer_event()
end
