-- A non-number status terminates the plugin (spec §3.5); nothing is
-- committed.
function process_message()
    return nil, "no status"
end

function timer_event()
end
