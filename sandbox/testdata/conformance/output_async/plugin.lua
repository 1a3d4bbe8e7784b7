-- Async checkpointing (spec §4.8, §4.9): -5 leaves a message in flight;
-- update_checkpoint(sequence_id[, failures]) acknowledges it and moves the
-- committed checkpoint to it; failures are added to the failure count. The
-- sequence id is opaque: kept and handed back.
local seqs = {}

function process_message(sequence_id)
    local p = read_message("Payload")
    seqs[p] = sequence_id
    print("sent", p)
    if p == "m4" then
        update_checkpoint(seqs.m2)
        print("acknowledged m2")
    end
    return -5
end

function timer_event(ns, shutdown)
    if shutdown then
        update_checkpoint(seqs.m4)
        print("acknowledged m4")
    else
        update_checkpoint(seqs.m1, 1)
        print("acknowledged m1, 1 failure")
    end
end
