-- The verified example of spec §4.9: a batching output that sends its
-- batch and returns 0 on every 10th message (10, 20, 30, 40) and -4
-- otherwise. After 50 messages the last ten are still in the open batch:
-- the committed checkpoint stays at the 40th (they are replayed after a
-- restart), shutdown included.
local n = 0

function process_message()
    n = n + 1
    if n % 10 == 0 and n <= 40 then
        return 0
    end
    return -4
end

function timer_event()
end
