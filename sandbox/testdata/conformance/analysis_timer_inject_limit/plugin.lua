-- timer_event_inject_limit defaults to 10 (spec §4.3): ten injections per
-- timer_event call, shutdown included; the eleventh raises.
require "string"

function process_message()
    return 0
end

function timer_event(ns, shutdown)
    local n = 0
    while true do
        local ok, err = pcall(inject_message, {Type = "tick"})
        if not ok then
            print("injected", n, "then", (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
            return
        end
        n = n + 1
    end
end
