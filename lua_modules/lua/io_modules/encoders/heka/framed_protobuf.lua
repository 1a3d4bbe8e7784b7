-- encoders.heka.framed_protobuf: encode() returns the message being
-- processed in Heka stream framing, as a zero-copy read_message("framed")
-- handle. Output plugins only: it needs read_message. The module has no
-- configuration table.
local framed = read_message("framed", nil, nil, true)

local M = {}
setfenv(1, M)

function encode()
    return framed
end

return M
