-- print only works when the host's log_level is 7 (debug); at 6 it is a
-- no-op. The level is visible through read_config("log_level").
function process_message()
    print("not logged")
    inject_message({Type = "log_level", Payload = tostring(read_config("log_level"))})
    return 0
end
