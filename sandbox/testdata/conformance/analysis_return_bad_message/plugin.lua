-- A message that is neither nil nor a string terminates the plugin (spec
-- §3.5).
function process_message()
    return 0, {}
end

function timer_event()
end
