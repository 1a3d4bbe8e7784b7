-- A status > 0 terminates the plugin (spec §4.8), whatever message comes
-- with it; the reference's reason is "process_message() received a
-- termination status code", to which sightline appends ": <message>".
-- The second message is not processed.
function process_message()
    return 2, "my reason"
end

function timer_event()
end
