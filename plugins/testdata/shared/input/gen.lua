-- Injects count messages with fixed headers, one a minute from
-- 2023-11-14T22:13:20Z (or one every `step` seconds), so that what the
-- outputs write is the same every run.
require "string"

local count = read_config("count") or 10
local step = read_config("step") or 60

function process_message()
    for i = 1, count do
        inject_message({
            Uuid      = string.format("%08x-0000-4000-8000-%012x", i, i),
            Timestamp = (1700000000 + (i - 1) * step) * 1e9,
            Type      = "example",
            Hostname  = "web-1",
            Pid       = 42,
            Severity  = i % 8,
            Payload   = string.format("line %d: GET /item/%d 200", i, i * 7),
            Fields    = {
                n      = {value = i, value_type = 2},
                path   = string.format("/item/%d", i * 7),
                ok     = i % 3 ~= 0,
                ratio  = i / 4,
            },
        })
    end
    return 0
end
