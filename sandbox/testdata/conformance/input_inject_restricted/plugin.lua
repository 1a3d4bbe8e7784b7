-- restricted_headers = true on an input plugin (spec §4.7): Uuid new,
-- Timestamp now, Logger, Hostname and Pid the host's, whatever the table
-- holds; the table gets the host's Logger, Hostname and Pid.
require "string"

function process_message()
    local t = {Type = "restricted", Uuid = "\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16",
        Timestamp = 5, Logger = "mine", Hostname = "myhost", Pid = 1, Severity = 2}
    inject_message(t)
    print("table after", t.Logger, t.Hostname, t.Pid, t.Timestamp, #t.Uuid)
    return 0
end
