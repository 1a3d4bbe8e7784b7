-- restricted_headers = true, the analysis default (spec §4.7): Uuid new,
-- Timestamp now, Logger, Hostname and Pid the host's whatever the table
-- holds; the table's Logger, Hostname and Pid are overwritten.
function process_message()
    return 0
end

function timer_event()
    local t = {Type = "restricted", Uuid = "\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16",
        Timestamp = 5, Logger = "mine", Hostname = "myhost", Pid = 1, Severity = 2,
        Payload = "p", EnvVersion = "e", Fields = {n = 1}}
    inject_message(t)
    print("table after", t.Logger, t.Hostname, t.Pid, t.Timestamp)
end
