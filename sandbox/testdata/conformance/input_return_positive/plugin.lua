-- A status > 0 terminates the plugin (spec §4.8); the reason is the
-- reference's "process_message() received a termination status code"
-- (no message to append).
function process_message()
    return 1
end
