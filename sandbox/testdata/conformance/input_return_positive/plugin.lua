-- A status > 0 terminates the plugin (spec §4.8); the reference's reason
-- is "process_message() received a termination status code".
function process_message()
    return 1
end
