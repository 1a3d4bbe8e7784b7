-- memory_limit (spec §4.1): growing past it terminates the plugin with
-- "not enough memory"; sightline adds "(memory_limit exceeded)" (see
-- sandbox/doc.go, Differences from the reference).
require "string"

local hold = {}

function process_message()
    for i = 1, 100000 do
        hold[i] = string.rep("x", 64) .. i
    end
    return 0
end

function timer_event()
end
