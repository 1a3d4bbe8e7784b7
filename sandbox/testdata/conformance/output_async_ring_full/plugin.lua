-- async_buffer_size must cover the messages in flight (spec §4.9). With 2
-- in flight, the third message is not accepted and is offered again
-- (sightline's choice where the reference overwrote a ring slot); the
-- plugin collects an acknowledgement on the second offer, which frees a
-- slot.
local seqs = {}
local offers = 0

function process_message(sequence_id)
    local p = read_message("Payload")
    seqs[p] = sequence_id
    if p == "m3" then
        offers = offers + 1
        print("m3 offer", offers)
        if offers == 2 then
            update_checkpoint(seqs.m1)
            print("acknowledged m1")
        end
    end
    return -5
end

function timer_event(ns, shutdown)
    update_checkpoint(seqs.m3)
    print("acknowledged m3")
end
