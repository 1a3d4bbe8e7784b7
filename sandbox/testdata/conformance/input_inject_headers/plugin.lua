-- Header rules with restricted_headers = false, the input default (spec
-- §4.7): Uuid taken if 16 raw bytes or a 36-character textual UUID, else
-- generated; Timestamp taken if numeric, else now; Logger, Hostname, Pid
-- default to the host's values only when nil, and the table is modified in
-- place; string headers are written if string-convertible, Severity and Pid
-- if number-convertible.
require "string"

local function show(label, t)
    print(label, "Logger=" .. tostring(t.Logger), "Hostname=" .. tostring(t.Hostname),
        "Pid=" .. tostring(t.Pid))
end

function process_message()
    print("restricted_headers", read_config("restricted_headers"))

    local t = {Type = "defaults"}
    inject_message(t)
    show("table after defaults", t)

    t = {Type = "given", Uuid = "0c1e9271-6b7c-151e-aa05-63cdaf14cf10",
        Timestamp = 1392050801000000000, Logger = "my.logger", Hostname = "myhost", Pid = 7}
    inject_message(t)
    show("table after given", t)

    inject_message({Type = "raw uuid", Uuid = "\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16", Timestamp = 5})

    inject_message({Type = "bad uuid, numeric string timestamp", Uuid = "short", Timestamp = "123"})

    inject_message({Type = "non-numeric timestamp", Timestamp = "soon"})

    inject_message({Type = 42, Payload = 1.5, EnvVersion = 2, Severity = "5", Pid = "77",
        Hostname = 10, Logger = 3})

    inject_message({Type = "non-convertible headers", Payload = {}, Severity = "high", Pid = true})
    return 0
end
