-- read_message(variable, fi, ai, true) returns a zero-copy handle (spec
-- §4.4) that reads the current message each time it is used, here by
-- add_to_payload; created once at load time.
local payload = read_message("Payload", 0, 0, true)
local field = read_message("Fields[s]", 0, 0, true)
print("handle", type(payload))

function process_message()
    add_to_payload("[", payload, "]")
    if read_message("Fields[s]") then add_to_payload("[", field, "]") end
    inject_payload("txt", "zc")
    return 0
end

function timer_event()
end
