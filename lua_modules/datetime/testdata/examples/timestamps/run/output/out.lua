-- Writes each message on a line: Type, Timestamp (0 for inject_payload
-- messages, whose time is the clock's), Payload, then the fields in order.
require "io"
require "string"
require "table"
local out = assert(io.open(read_config("out"), "w"))

function process_message()
    local m = decode_message(read_message("raw"))
    local ts = m.Type == "inject_payload" and 0 or m.Timestamp
    local parts = {m.Type or "-", string.format("%d", ts), string.format("%q", m.Payload or "")}
    for _, f in ipairs(m.Fields or {}) do
        local v = f.value[1]
        if type(v) == "number" then v = string.format("%.17g", v) end
        parts[#parts + 1] = f.name .. "=" .. tostring(v)
    end
    out:write(table.concat(parts, " "), "\n")
    return 0
end

function timer_event(ns, shutdown)
    if shutdown then out:close() end
end
