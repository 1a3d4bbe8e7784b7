-- Injects messages with fixed headers; the third has no Payload.
require "string"

local payloads = {
    '{"status":200,"path":"/a"}',
    '{"status":404,"path":"/b"}\n',
    false,
    '{"status":500,"path":"/c"}',
}

function process_message()
    for i, p in ipairs(payloads) do
        inject_message({
            Uuid      = string.format("%08x-0000-4000-8000-%012x", i, i),
            Timestamp = (1700000000 + i * 86400) * 1e9,
            Type      = "Access",
            Hostname  = "web-1",
            Payload   = p or nil,
            Fields    = {tenant = i % 2 == 0 and "Acme" or "Initech"},
        })
    end
    return 0
end
