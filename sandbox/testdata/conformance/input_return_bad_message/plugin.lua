-- A message that is neither nil nor a string terminates the plugin (spec
-- §3.5), even with a non-fatal status.
function process_message()
    return -1, 42
end
