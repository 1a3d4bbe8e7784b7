-- restricted_headers = false on an analysis plugin (spec §4.7): the
-- table's Uuid, Timestamp, Logger, Hostname and Pid are used; missing
-- Logger, Hostname and Pid are filled in (and set in the table).
function process_message()
    return 0
end

function timer_event()
    inject_message({Type = "given", Uuid = "\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16",
        Timestamp = 5, Logger = "mine", Hostname = "myhost", Pid = 1})
    local t = {Type = "defaults"}
    inject_message(t)
    print("table after", t.Logger, t.Hostname, t.Pid)
end
