-- Injects count messages with fixed headers and a JSON Payload.
require "string"

function process_message()
    for i = 1, read_config("count") do
        inject_message({
            Uuid      = string.format("%08x-0000-4000-8000-%012x", i, i),
            Timestamp = (1700000000 + i) * 1e9,
            Type      = "example",
            Hostname  = "web-1",
            Pid       = 42,
            Payload   = string.format('{"n":%d}', i),
        })
    end
    return 0
end
