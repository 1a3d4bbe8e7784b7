-- A minimal decoder module in the lua_sandbox_extensions style:
-- decode(data, default_headers) injects the message or returns an error.
local string = require "string"
local inject_message = inject_message

local M = {}
setfenv(1, M)

function decode(data, dh)
    local date, level, text = string.match(data, "^(%d+%-%d+%-%d+) (%u+) (.*)$")
    if not date then return "not an app log record" end
    inject_message({Timestamp = 0, Type = "applog", Logger = dh.Logger, Hostname = "h",
        Payload = text, Fields = {level = level, date = date,
        source_offset = dh.Fields.source_offset}})
end

return M
