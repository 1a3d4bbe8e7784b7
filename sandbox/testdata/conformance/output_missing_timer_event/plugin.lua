-- timer_event is required of output plugins too (spec §4.2).
function process_message()
    return 0
end
