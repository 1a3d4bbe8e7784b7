-- Writes each message: Type, the time without its year (RFC 3164 records
-- carry none: the decoder takes the current year), Hostname, Severity,
-- Pid (omitted when it is the host's), Payload, then the fields in order.
-- error.decode messages: Type, Payload and fields only.
require "io"
require "math"
require "os"
require "string"
require "table"
local out = assert(io.open(read_config("out"), "w"))

local function value(v)
    if type(v) == "number" then return string.format("%.17g", v) end
    return string.format("%q", tostring(v))
end

function process_message()
    local m = decode_message(read_message("raw"))
    local parts = {m.Type or "-"}
    if m.Type ~= "error.decode" then -- those carry the host's defaults
        parts[#parts + 1] = os.date("!%m-%dT%H:%M:%S", math.floor(m.Timestamp / 1e9)) ..
            string.format(".%09d", m.Timestamp % 1e9)
        parts[#parts + 1] = "host=" .. value(m.Hostname)
        parts[#parts + 1] = "sev=" .. tostring(m.Severity)
        if m.Pid ~= read_config("Pid") then parts[#parts + 1] = "pid=" .. tostring(m.Pid) end
    end
    parts[#parts + 1] = "payload=" .. value(m.Payload)
    for _, f in ipairs(m.Fields or {}) do
        local vs = {}
        for i, v in ipairs(f.value) do vs[i] = value(v) end
        parts[#parts + 1] = f.name .. (f.representation and ("[" .. f.representation .. "]") or "") .. "=" .. table.concat(vs, ",")
    end
    out:write(table.concat(parts, " "), "\n")
    return 0
end

function timer_event(ns, shutdown)
    if shutdown then out:close() end
end
