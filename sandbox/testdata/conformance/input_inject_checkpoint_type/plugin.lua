-- A checkpoint that is neither a number nor a string, and a message that
-- is none of table, string, stream reader or nil: the reference names the
-- Lua type in the error.
require "string"

local function try(label, ...)
    local ok, err = pcall(inject_message, ...)
    print(label, ok and "ok" or (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
end

function process_message()
    try("table checkpoint", {Type = "x"}, {})
    try("boolean checkpoint", nil, true)
    try("number message", 42)
    try("boolean message", true)
    return 0
end
