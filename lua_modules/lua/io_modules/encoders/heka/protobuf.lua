-- encoders.heka.protobuf: encode() returns the message being processed,
-- protobuf encoded (unframed), as a zero-copy read_message("raw")
-- handle. Output plugins only: it needs read_message. The module has no
-- configuration table.
local raw = read_message("raw", nil, nil, true)

local M = {}
setfenv(1, M)

function encode()
    return raw
end

return M
