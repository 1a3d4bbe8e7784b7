-- add_to_payload refuses values it cannot output (a table, a function)
-- and a buffer beyond output_limit ("output_limit exceeded").
require "string"

function process_message()
    return 0
end

function timer_event()
    print("table", (pcall(add_to_payload, {})))
    print("function", (pcall(add_to_payload, print)))
    local ok, err = pcall(add_to_payload, string.rep("x", 2000))
    print("too long", ok, tostring(err):find("output_limit exceeded", 1, true) ~= nil)
end
