-- Outside a message (timer_event) every read returns nil (spec §4.4).
function process_message()
    print("in process_message", read_message("Type"), read_message("Payload"))
    return 0
end

function timer_event(ns, shutdown)
    print("in timer_event", read_message("Type"), read_message("Payload"),
        read_message("Timestamp"), read_message("Severity"), read_message("raw"),
        read_message("Fields[x]"))
end
