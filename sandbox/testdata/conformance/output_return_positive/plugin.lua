-- A status > 0 terminates an output plugin (spec §4.8); sightline appends
-- the plugin's message to the reference's reason.
function process_message()
    return 1, "stop"
end

function timer_event()
end
