-- create_message_matcher(expr):eval() (spec §4.5): true or false for the
-- current message; outside process_message "no active message".
require "string"

local m = create_message_matcher("Type == 'a' && Fields[n] > 1")
print("type", type(m))

function process_message()
    print(read_message("Type"), read_message("Fields[n]"), "eval", m:eval())
    return 0
end

function timer_event()
    local ok, err = pcall(m.eval, m)
    print("eval in timer_event", ok, (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
end
