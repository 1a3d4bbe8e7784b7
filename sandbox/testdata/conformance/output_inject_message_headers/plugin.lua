-- The injected message under the output's header rules (restricted_headers
-- false): Logger, Hostname and Pid default to the host's.
function process_message()
    inject_message({Type = "looped", Payload = read_message("Type")})
    return 0
end

function timer_event()
end
