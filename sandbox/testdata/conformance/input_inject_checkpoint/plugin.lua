-- Checkpoints (spec §4.3, §3.6): inject_message(nil, cp) updates the
-- checkpoint only; inject_message(msg, cp) injects with it. A number or a
-- string; the latest one is handed back to the next process_message.
local calls = 0

function process_message(cp)
    calls = calls + 1
    print("call", calls, "checkpoint", type(cp), tostring(cp))
    if calls == 1 then
        inject_message(nil, 10)
        inject_message({Type = "with number"}, 11.5)
    elseif calls == 2 then
        inject_message(nil, "file:1234")
    elseif calls == 3 then
        inject_message({Type = "with string"}, "it's \"quoted\"\nand long")
        inject_message({Type = "without checkpoint"})
    end
    return 0
end
