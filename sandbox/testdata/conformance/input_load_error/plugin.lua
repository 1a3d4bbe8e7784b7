-- A runtime error while the plugin's file runs fails its creation, with
-- the error as the reason (spec §3.5).
error("cannot start")

function process_message()
    return 0
end
