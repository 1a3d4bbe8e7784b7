-- read_message errors (spec §4.4): an unknown variable raises
-- "read_message() field: '<x>' not supported/recognized"; negative indices
-- are refused.
require "string"

local function errtext(err)
    return (tostring(err):gsub("^.-plugin%.lua:%d+: ", ""))
end

function process_message()
    local ok, err = pcall(read_message, "Foo")
    print("Foo", ok, errtext(err))
    ok, err = pcall(read_message, "fields[f]")
    print("fields[f]", ok, errtext(err))
    ok, err = pcall(read_message, "Fields[f]", -1)
    print("field index -1", ok, tostring(err):find("field index must be >= 0", 1, true) ~= nil)
    ok, err = pcall(read_message, "Fields[f]", 0, -1)
    print("array index -1", ok, tostring(err):find("array index must be >= 0", 1, true) ~= nil)
    return 0
end

function timer_event()
end
