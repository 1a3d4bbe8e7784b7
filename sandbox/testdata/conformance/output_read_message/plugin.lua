-- read_message in an output plugin (spec §4.4): headers, defaults for
-- absent ones, fields, size.
require "string"

-- Strings quoted, bytes outside printable ASCII as \xNN.
local function q(s)
    return '"' .. s:gsub('[^ -~]', function(c) return string.format("\\x%02x", c:byte()) end) .. '"'
end

local function show(name, v)
    if type(v) == "string" then v = q(v) end
    print(name, type(v) == "number" and string.format("%.17g", v) or tostring(v))
end

function process_message()
    for _, n in ipairs{"Timestamp", "Type", "Logger", "Severity", "Payload",
        "EnvVersion", "Pid", "Hostname", "size"} do
        show(n, read_message(n))
    end
    show("Fields[str] 0 1", read_message("Fields[str]", 0, 1))
    show("Fields[dup] 1", read_message("Fields[dup]", 1))
    show("Fields[int] 0 2", read_message("Fields[int]", 0, 2))
    return 0
end

function timer_event()
end
