-- A status that is not a number, even a numeric string, terminates the
-- plugin (spec §3.5).
function process_message()
    return "0"
end
