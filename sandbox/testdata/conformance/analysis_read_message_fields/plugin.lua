-- read_message("Fields[name]", field_index, array_index) (spec §4.4):
-- 0-based indices; STRING and BYTES as strings, INTEGER and DOUBLE as
-- numbers, BOOL as booleans; nil when there is no such field or element.
require "string"

-- Strings quoted, bytes outside printable ASCII as \xNN.
local function q(s)
    return '"' .. s:gsub('[^ -~]', function(c) return string.format("\\x%02x", c:byte()) end) .. '"'
end

local function show(label, v)
    if type(v) == "string" then v = q(v) end
    print(label, tostring(v))
end

function process_message()
    show("str", read_message("Fields[str]"))
    show("str 0 1", read_message("Fields[str]", 0, 1))
    show("str 0 2", read_message("Fields[str]", 0, 2))
    show("str 1 0", read_message("Fields[str]", 1, 0))
    for ai = 0, 3 do show("int 0 " .. ai, read_message("Fields[int]", 0, ai)) end
    show("dbl", read_message("Fields[dbl]"))
    show("flag", read_message("Fields[flag]"))
    show("blob", read_message("Fields[blob]"))
    show("dup", read_message("Fields[dup]"))
    show("dup 1", read_message("Fields[dup]", 1))
    show("dup 2", read_message("Fields[dup]", 2))
    show("ms", read_message("Fields[ms]"))
    show("missing", read_message("Fields[missing]"))
    return 0
end

function timer_event()
end
