-- Batching (spec §4.9): -4 accepts a message into a batch and freezes the
-- committed checkpoint; update_checkpoint() commits up to the current read
-- position; a later 0 commits too. update_checkpoint() with no batch open
-- changes nothing.
function process_message()
    local p = read_message("Payload")
    if p == "5" then
        update_checkpoint()
        return -4
    end
    if p == "6" then return 0 end
    return -4
end

function timer_event(ns, shutdown)
    update_checkpoint()
    print("flushed")
    update_checkpoint()
end
