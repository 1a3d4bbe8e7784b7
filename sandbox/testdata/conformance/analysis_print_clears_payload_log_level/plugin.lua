-- print clears the payload buffer even when it logs nothing (log_level
-- below 7): the reference clears it before looking at the level.
function process_message()
    return 0
end

function timer_event()
    add_to_payload("lost")
    print("not logged")
    add_to_payload("kept")
    inject_payload("txt", "after_print")
end
