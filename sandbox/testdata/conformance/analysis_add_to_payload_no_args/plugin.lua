-- add_to_payload() needs at least one argument: the reference raises
-- "bad argument #0 to '?' (must have at least one argument)".
function process_message()
    return 0
end

function timer_event()
    print("no argument", (pcall(add_to_payload)))
end
