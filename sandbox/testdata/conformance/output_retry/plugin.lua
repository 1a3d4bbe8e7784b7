-- -3 (spec §4.8): the same message is offered again, until another code;
-- the checkpoint does not move meanwhile and retries are not counted.
local tries = 0

function process_message()
    local p = read_message("Payload")
    print("offered", p)
    if p == "first" then
        tries = tries + 1
        if tries < 3 then return -3 end
    end
    return 0
end

function timer_event()
end
