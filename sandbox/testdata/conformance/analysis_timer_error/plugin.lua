-- An error in timer_event terminates the plugin (spec §4.10):
-- "timer_event() <chunk>:<line>: <message>". The shutdown timer is not
-- called after it.
function process_message()
    return 0
end

function timer_event(ns, shutdown)
    print("timer_event", shutdown)
    error("timer failed")
end
