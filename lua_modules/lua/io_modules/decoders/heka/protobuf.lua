-- decoders.heka.protobuf: a record is one Heka message, protobuf encoded
-- (unframed); it is injected as it is.
--
-- decode(data) returns nil; data that is not a valid message raises
-- "inject_message() attempted to inject a invalid protobuf string".
-- default_headers are not applied (the message has its own headers). The
-- module has no configuration table.
local inject_message = inject_message

local M = {}
setfenv(1, M)

function decode(data)
    inject_message(data)
    return nil
end

return M
