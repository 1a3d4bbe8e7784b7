-- A message table encoding to more than output_limit bytes is refused
-- (spec §4.3): "inject_message() failed: exceeded output_limit".
require "string"

function process_message()
    inject_message({Type = "small", Payload = string.rep("x", 100)})
    local ok, err = pcall(inject_message, {Type = "big", Payload = string.rep("x", 2000)})
    print("big", ok, (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
    inject_message({Type = "small again"})
    return 0
end
