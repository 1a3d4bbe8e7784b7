-- read_config with a TOML config: the same values a Lua-syntax config
-- gives (numbers, strings, booleans, tables; arrays as sequences), and a
-- size string for output_limit turned into a number of bytes.
require "string"
require "table"

local function dump(v)
    if type(v) == "string" then return string.format("%q", v) end
    if type(v) ~= "table" then return tostring(v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
        if type(a) == type(b) then return a < b end
        return type(a) == "number"
    end)
    local parts = {}
    for _, k in ipairs(keys) do
        parts[#parts + 1] = (type(k) == "number" and "[" .. k .. "]" or k) .. "=" .. dump(v[k])
    end
    return "{" .. table.concat(parts, ", ") .. "}"
end

function process_message()
    for _, k in ipairs{"output_limit", "ticker_interval", "a_string", "a_number",
        "an_integer", "a_bool", "an_array", "strings", "a_table", "missing"} do
        print(k, dump(read_config(k)))
    end
    return 0
end
