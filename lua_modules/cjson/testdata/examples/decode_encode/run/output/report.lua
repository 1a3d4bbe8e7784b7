-- Decodes each Payload and writes "<n> ok <JSON>" with the value encoded
-- again, or "<n> error <message>". JSON null is dropped (the sandbox
-- build's default); nesting deeper than 3 is refused.
require "io"
require "string"
local cjson = require "cjson"
cjson.decode_max_depth(3)

local n = 0
function process_message()
    n = n + 1
    local ok, v = pcall(cjson.decode, read_message("Payload"))
    if ok then
        io.write(n, " ok ", cjson.encode(v), "\n")
    else
        -- the error starts with the position in this file
        io.write(n, " error ", (string.gsub(v, "^[^:]*:%d+: ", "")), "\n")
    end
    return 0
end

function timer_event(ns, shutdown)
end
