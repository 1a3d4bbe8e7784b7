-- Analysis plugins get the 64 KiB default of max_message_size (spec §3.2);
-- the reference's sandbox adds it to the config read_config shows.
function process_message()
    print("max_message_size", read_config("max_message_size"))
    return 0
end

function timer_event()
end
