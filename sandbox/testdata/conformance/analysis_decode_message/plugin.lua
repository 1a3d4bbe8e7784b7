-- decode_message(read_message("raw")) in an analysis plugin (spec §4.2):
-- the table in array field form, value always an array, value_type absent
-- for STRING fields, representation only when present.
require "string"
require "table"

local function hex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Strings quoted, bytes outside printable ASCII as \xNN.
local function q(s)
    return '"' .. s:gsub('[^ -~]', function(c) return string.format("\\x%02x", c:byte()) end) .. '"'
end

local function dump(v)
    if type(v) == "string" then return q(v) end
    if type(v) == "number" then return string.format("%.17g", v) end
    if type(v) ~= "table" then return tostring(v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
        if type(a) == type(b) then return a < b end
        return type(a) == "number"
    end)
    local parts = {}
    for _, k in ipairs(keys) do
        local val = k == "Uuid" and hex(v[k]) or dump(v[k])
        parts[#parts + 1] = (type(k) == "number" and "[" .. k .. "]" or k) .. "=" .. val
    end
    return "{" .. table.concat(parts, ", ") .. "}"
end

function process_message()
    print(dump(decode_message(read_message("raw"))))
    return 0
end

function timer_event()
end
