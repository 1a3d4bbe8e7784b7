-- 300 messages, one per second of message time from 2014-02-10T16:46:40Z.
function process_message()
    for i = 0, 299 do
        local r = i % 10
        local typ = r < 6 and "nginx" or (r < 9 and "syslog" or nil)
        inject_message({Timestamp = 1392050800e9 + i * 1e9, Type = typ, Payload = tostring(i)})
    end
    return 0
end
