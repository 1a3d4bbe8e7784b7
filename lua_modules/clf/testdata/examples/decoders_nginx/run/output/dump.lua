-- Writes every message to the file `out`: Timestamp, Type, Logger,
-- Severity, Pid and Payload, then each field in order with its value
-- type, representation and values. Whole numbers are written in full,
-- others with %.17g.
require "io"
require "math"
require "string"
require "table"

local out = assert(io.open(read_config("out"), "w"))

local function value(v)
    if type(v) == "string" then return string.format("%q", v) end
    if v == math.floor(v) then return string.format("%d", v) end
    return string.format("%.17g", v)
end

function process_message()
    local m = decode_message(read_message("raw"))
    local h = {}
    for _, k in ipairs({"Timestamp", "Type", "Logger", "Severity", "Pid"}) do
        if m[k] ~= nil then h[#h + 1] = k .. "=" .. value(m[k]) end
    end
    out:write(table.concat(h, " "), "\n")
    if m.Payload then out:write("  Payload: ", value(m.Payload), "\n") end
    for _, f in ipairs(m.Fields or {}) do
        local vs = {}
        for i, v in ipairs(f.value) do vs[i] = value(v) end
        out:write(string.format("  %s [type %d%s] %s\n", f.name, f.value_type or 0,
            f.representation and (" " .. f.representation) or "", table.concat(vs, ", ")))
    end
    return 0
end

function timer_event(ns, shutdown)
    if shutdown then out:close() else out:flush() end
end
