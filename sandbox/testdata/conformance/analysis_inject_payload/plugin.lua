-- inject_payload([payload_type[, payload_name[, ...]]]) (spec §4.3): the
-- extra arguments are appended, then {Type="inject_payload",
-- Payload=<buffer>, Fields={payload_type, payload_name}} is injected and
-- the buffer cleared; an empty buffer injects nothing. Injections count
-- against the inject limit of timer_event (default 10).
function process_message()
    return 0
end

function timer_event(ns, shutdown)
    if shutdown then
        inject_payload("txt", "empty")
        add_to_payload("after clear")
        inject_payload("txt", "second")
        return
    end
    add_to_payload("a", 1, "\n")
    inject_payload("txt", "first")
    add_to_payload("{}")
    inject_payload("json", "report")
    inject_payload("csv", "extra", "x,", 1, "\n")
end
