-- timer_event is required of analysis plugins (spec §4.2): without it the
-- plugin is terminated, "timer_event() function was not found".
function process_message()
    return 0
end
