-- inject_payload() without arguments: payload_type "txt"; the reference
-- only writes payload_name when it is given.
function process_message()
    return 0
end

function timer_event()
    add_to_payload("data")
    inject_payload()
    add_to_payload("data")
    inject_payload("json")
end
