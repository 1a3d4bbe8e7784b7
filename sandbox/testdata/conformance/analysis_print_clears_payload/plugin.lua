-- print clears the payload buffer (spec §4.2): what was added before a
-- print is gone.
function process_message()
    return 0
end

function timer_event()
    add_to_payload("lost")
    print("printing")
    add_to_payload("kept")
    inject_payload("txt", "after_print")
end
