-- An invalid expression raises "invalid message matcher expression" (spec
-- §4.5); sightline appends the parser's detail (see sandbox/doc.go,
-- Differences from the reference).
require "string"

function process_message()
    for _, expr in ipairs{"Type ==", "Severity == NIL", "TRUE &&"} do
        local ok, err = pcall(create_message_matcher, expr)
        print(expr, ok, (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
    end
    return 0
end

function timer_event()
end
