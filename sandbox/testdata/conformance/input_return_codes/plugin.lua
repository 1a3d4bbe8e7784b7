-- Status codes <= 0 never stop an input plugin (spec §4.8, §3.5): 0, -1
-- with a message (a failure), -2, -3, -4, -5. Every call is counted, -1 as
-- a failure too.
local codes = {0, -1, -2, -3, -4, -5}
local i = 0

function process_message()
    i = i + 1
    if codes[i] == -1 then return -1, "failed" end
    return codes[i]
end
