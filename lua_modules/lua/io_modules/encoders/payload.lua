-- encoders.payload: encode() returns the Payload of the message being
-- processed, as a zero-copy read_message handle (an absent Payload gives
-- an empty string where the handle is written). Output plugins only: it
-- needs read_message. The module has no configuration table.
local payload = read_message("Payload", nil, nil, true)

local M = {}
setfenv(1, M)

function encode()
    return payload
end

return M
