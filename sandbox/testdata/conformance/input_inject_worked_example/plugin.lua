-- The worked example of spec §1.7, built from a table: the injected bytes
-- must be the verified 136 bytes (fields in array form, to fix the order).
function process_message()
    inject_message({
        Uuid = "0c1e9271-6b7c-451e-aa05-63cdaf14cf10",
        Timestamp = 1392050801000000000,
        Type = "nginx",
        Logger = "input.nginx",
        Severity = 6,
        Pid = 1234,
        Hostname = "example.com",
        Fields = {
            {name = "status", value = 304},
            {name = "remote_addr", value = "127.0.0.1", representation = "ipv4"},
            {name = "bytes", value = 1413, value_type = 2, representation = "B"},
        },
    })
    return 0
end
