-- instruction_limit (spec §4.1): a call running more VM instructions is
-- stopped and the plugin terminated ("instruction_limit exceeded").
function process_message()
    local n = 0
    while true do n = n + 1 end
end
