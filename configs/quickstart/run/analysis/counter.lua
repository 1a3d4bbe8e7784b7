-- Counts messages by Type (see counter.cfg). Analysis plugins have no io:
-- they report by injecting messages into the analysis queue.
require "string"
require "table"

counts = {} -- a global: saved at shutdown with preserve_data
local changed = false

function process_message()
    local typ = read_message("Type") or "(none)"
    counts[typ] = (counts[typ] or 0) + 1
    changed = true
    return 0
end

function timer_event(ns, shutdown)
    if not changed or shutdown then return end
    local types = {}
    for typ in pairs(counts) do types[#types + 1] = typ end
    table.sort(types)
    for i, typ in ipairs(types) do
        types[i] = string.format("%s=%d", typ, counts[typ])
    end
    add_to_payload(table.concat(types, " "))
    inject_payload("txt", "counts")
    changed = false
end
