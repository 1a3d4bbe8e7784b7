-- The API functions of an analysis plugin (spec §4.2): read_config, print,
-- decode_message, inject_message, read_message, add_to_payload,
-- inject_payload; output() renamed add_to_payload; no
-- create_stream_reader, is_running, encode_message, update_checkpoint,
-- create_message_matcher.
local names = {
    "read_config", "print", "decode_message", "inject_message",
    "create_stream_reader", "is_running", "read_message", "add_to_payload",
    "inject_payload", "encode_message", "update_checkpoint",
    "create_message_matcher", "output",
}

function process_message()
    for _, n in ipairs(names) do
        print(n, type(_G[n]))
    end
    return 0
end

function timer_event()
end
