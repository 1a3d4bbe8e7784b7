-- Injects one message per JSON text below, with fixed headers.
require "string"

local texts = {
    '{"level":"info","msg":"started","port":8080,"ratio":0.25}',
    '{"a":[1,2,null,4],"gone":null,"nested":{"empty_list":[],"empty_obj":{}}}',
    '{"user":"bob" "id":7}',
    '"caf\\u00e9 \\ud83d\\ude00 \\/path\\ttab"',
    '[1e3, -0.5, 12345678901234567890, 0.1]',
    '[[[["deep"]]]]',
    '{"bad escape":"\\q"}',
}

function process_message()
    for i, text in ipairs(texts) do
        inject_message({
            Uuid      = string.format("%08x-0000-4000-8000-%012x", i, i),
            Timestamp = (1700000000 + i) * 1e9,
            Type      = "json",
            Payload   = text,
        })
    end
    return 0
end
