-- The errors inject_message raises in an input plugin (spec §4.3, §4.7),
-- caught with pcall; the plugin goes on. Nothing is injected.
require "string"

local function try(label, ...)
    local ok, err = pcall(inject_message, ...)
    print(label, ok and "ok" or (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
end

function process_message()
    try("nil", nil)
    try("no argument")
    try("mixed array", {Fields = {a = {1, "x"}}})
    try("string with value_type 2", {Fields = {a = {value = "x", value_type = 2}}})
    try("number with value_type 0", {Fields = {a = {value = 1, value_type = 0}}})
    try("number with value_type 1", {Fields = {a = {value = 1, value_type = 1}}})
    try("boolean with value_type 2", {Fields = {a = {value = true, value_type = 2}}})
    try("checkpoint of 8192 bytes", nil, string.rep("x", 8192))
    try("checkpoint of 8191 bytes", nil, string.rep("x", 8191))
    return 0
end
