-- encode_message errors: a bad table raises "encode_message() failed:
-- <reason>"; so does a message over output_limit (spec §4.5).
require "string"

local function errtext(err)
    return (tostring(err):gsub("^.-plugin%.lua:%d+: ", ""))
end

function process_message()
    local ok, err = pcall(encode_message, {Fields = {a = {1, "x"}}})
    print("mixed array", ok, errtext(err))
    ok, err = pcall(encode_message, {Payload = string.rep("x", 2000)})
    print("over output_limit", ok, errtext(err):find("^encode_message%(%) failed: ") ~= nil)
    ok = pcall(encode_message, {Payload = string.rep("x", 500)})
    print("under output_limit", ok)
    return 0
end

function timer_event()
end
