-- An input plugin without process_message is terminated with
-- "process_message() function was not found" (spec §3.5).
function process_massage()
    return 0
end
