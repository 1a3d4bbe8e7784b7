-- decode_message throws on invalid input (spec §4.2, §1.6); input shorter
-- than 20 bytes is "invalid message, too short".
require "string"

local function unhex(h)
    return (h:gsub("%s+", ""):gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local uuid = "0a 10 00 11 22 33 44 55 16 77 88 99 aa bb cc dd ee ff "
local cases = {
    {"too short", unhex("0a 10 00 11 22 33 44 55 16 77 88 99 aa bb cc dd ee ff 10")},
    {"empty", ""},
    {"valid", unhex(uuid .. "10 01 1a 01 78")},
    {"unknown tag 11", unhex(uuid .. "10 01 5a 01 78")},
    {"wrong wire type for type", unhex(uuid .. "10 01 18 01")},
    {"uuid of 15 bytes", unhex("0a 0f 00 11 22 33 44 55 16 77 88 99 aa bb cc dd ee 10 01 1a 01 78")},
    {"no timestamp", unhex(uuid .. "1a 03 61 62 63")},
    {"no uuid", unhex("10 01 1a 10 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70")},
    {"field without name", unhex(uuid .. "10 01 52 03 22 01 61")},
    {"truncated length", unhex(uuid .. "10 01 1a 09 61")},
}

function process_message()
    for _, c in ipairs(cases) do
        local ok, err = pcall(decode_message, c[2])
        if ok then
            print(c[1], "decoded")
        elseif c[1] == "too short" then
            print(c[1], "error", (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
        else
            print(c[1], "error")
        end
    end
    return 0
end
