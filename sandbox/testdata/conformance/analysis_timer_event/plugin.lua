-- timer_event(ns, shutdown) (spec §4.10): ns in whole seconds as
-- nanoseconds, shutdown a boolean; return values are ignored.
require "string"

function process_message()
    return 0
end

function timer_event(ns, shutdown)
    print("timer_event", string.format("%.0f", ns), type(shutdown), shutdown)
    return 1, {}
end
