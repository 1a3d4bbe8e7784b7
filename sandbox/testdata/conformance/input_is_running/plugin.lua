-- is_running() (spec §4.2, §3.6): true until the host asks the plugin to
-- stop, false afterwards.
function process_message()
    print("is_running", is_running())
    return 0
end
