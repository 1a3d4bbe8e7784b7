-- Messages the matcher does not match move the read position too (spec
-- §4.9): the checkpoint advances over them unless a batch is open; an
-- update_checkpoint() commits up to the last message read, matched or not.
function process_message()
    print("got", read_message("Type"))
    if read_message("Type") == "match" and not flushed then return -4 end
    return 0
end

function timer_event(ns, shutdown)
    if not shutdown then
        update_checkpoint()
        flushed = true
    end
end
