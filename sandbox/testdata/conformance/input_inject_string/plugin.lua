-- inject_message(pb_string) (spec §4.3): a string that decodes as a Heka
-- message is injected verbatim, with or without a checkpoint; header
-- restrictions are not applied (this plugin has restricted_headers = true).
-- A string that does not decode is refused.
require "string"

local function unhex(h)
    return (h:gsub("%s+", ""):gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function errtext(err)
    return (tostring(err):gsub("^.-plugin%.lua:%d+: ", ""))
end

-- spec §1.7, with the version nibble of the Uuid made 1.
local worked = unhex[[
0a 10 0c 1e 92 71 6b 7c 15 1e aa 05 63 cd af 14 cf 10
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

function process_message()
    inject_message(worked)
    inject_message(worked, 17)
    for _, bad in ipairs{"not a protobuf message, but long enough", "", worked .. "\90\1x"} do
        local ok, err = pcall(inject_message, bad)
        print("invalid", ok, errtext(err))
    end
    return 0
end
