-- decode_message(pb) (spec §4.2): the message table in array field form.
-- The first message is the worked example of spec §1.7 byte for byte; the
-- second covers what it does not: Payload and EnvVersion, no optional
-- integer headers, repeated strings, bytes, packed and unpacked integers,
-- packed doubles and bools, a negative integer.
require "string"
require "table"

local function unhex(h)
    return (h:gsub("%s+", ""):gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

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

local worked = unhex[[
0a 10 0c 1e 92 71 6b 7c 45 1e aa 05 63 cd af 14 cf 10
10 80 d4 9c f7 bf da e3 a8 13
1a 05 6e 67 69 6e 78
22 0b 69 6e 70 75 74 2e 6e 67 69 6e 78
28 06
40 d2 09
4a 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d
52 13 0a 06 73 74 61 74 75 73 10 03 39 00 00 00 00 00 00 73 40
52 1e 0a 0b 72 65 6d 6f 74 65 5f 61 64 64 72 1a 04 69 70 76 34 22 09 31 32 37 2e 30 2e 30 2e 31
52 0f 0a 05 62 79 74 65 73 10 02 1a 01 42 30 85 0b
]]

local other = unhex[[
0a 10 00 11 22 33 44 55 16 77 88 99 aa bb cc dd ee ff
10 01
32 01 70
3a 03 30 2e 31
52 09 0a 01 73 22 01 61 22 01 62
52 0b 0a 01 62 10 01 2a 02 00 ff 2a 00
52 0a 0a 01 69 10 02 32 03 01 02 03
52 09 0a 01 75 10 02 30 05 30 06
52 17 0a 01 64 10 03 3a 10 00 00 00 00 00 00 f8 3f 00 00 00 00 00 00 00 c0
52 09 0a 01 74 10 04 42 02 01 00
52 10 0a 01 6e 10 02 30 ff ff ff ff ff ff ff ff ff 01
]]

function process_message()
    print("worked example", #worked, "bytes")
    print(dump(decode_message(worked)))
    print("other", #other, "bytes")
    print(dump(decode_message(other)))
    return 0
end
