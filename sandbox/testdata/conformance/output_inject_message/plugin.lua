-- An output plugin's inject_message(tbl) writes to the input queue with no
-- inject limit (spec §4.3).
function process_message()
    for i = 1, 25 do inject_message({Type = "looped", Payload = tostring(i)}) end
    return 0
end

function timer_event()
end
