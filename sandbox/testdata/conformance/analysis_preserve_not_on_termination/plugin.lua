-- State is not preserved for a terminated plugin (spec §3.5, §4.12): after
-- the restart the plugin starts from its own initialisation.
count = 0

function process_message()
    count = count + 1
    print("count", count)
    if read_message("Payload") == "fail" then error("failing") end
    return 0
end

function timer_event()
end
