-- A decoder module: "k=v k=v ..." records become Fields; anything else is
-- an error (returned as a string, as decoder modules do).
require "string"
local gmatch = string.gmatch
local inject_message = inject_message

local M = {}
setfenv(1, M)

function decode(data, default_headers)
    local msg = {Type = default_headers and default_headers.Type, Payload = data, Fields = {}}
    local n = 0
    for k, v in gmatch(data, "(%w+)=(%S*)") do
        msg.Fields[k] = v
        n = n + 1
    end
    if n == 0 then return "no k=v pair" end
    inject_message(msg)
end

return M
