-- -5 without async_buffer_size terminates the plugin (spec §4.8).
function process_message()
    return -5
end

function timer_event()
end
