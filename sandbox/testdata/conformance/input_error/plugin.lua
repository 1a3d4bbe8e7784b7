-- A Lua error escaping process_message terminates the plugin (spec §3.5):
-- "process_message() <chunk>:<line>: <message>".
function process_message()
    print("before the error")
    error("boom")
end
