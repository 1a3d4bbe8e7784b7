-- process_message_inject_limit = 2: two injections per process_message
-- call, the budget renewed for each call; the third raises
-- "inject_message() failed: injection limit exceeded" (caught here).
require "string"

function process_message()
    local t = read_message("Type")
    inject_message({Type = t .. "1"})
    inject_message({Type = t .. "2"})
    local ok, err = pcall(inject_message, {Type = t .. "3"})
    print("third", ok, (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
    return 0
end

function timer_event()
end
