-- inject_message with array-form Fields (spec §4.7): order kept, duplicate
-- names, value_type, representation, arrays. Uuid and Timestamp are set,
-- so the transcript shows the bytes, to check against the canonical
-- encoding of spec §1.5: value_type omitted for STRING, a single integer,
-- double or bool unpacked, two or more packed, negative integers as
-- 10-byte varints.
function process_message()
    inject_message({
        Uuid = "\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16",
        Timestamp = 1000000000,
        Type = "array",
        Logger = "custom.logger",
        Severity = 3,
        Payload = "payload",
        EnvVersion = "0.1",
        Pid = 99,
        Hostname = "h",
        Fields = {
            {name = "dup", value = "first"},
            {name = "dup", value = "second"},
            {name = "count", value = 5, value_type = 2, representation = "n"},
            {name = "ints", value = {1, 2, 300}, value_type = 2},
            {name = "dbls", value = {1.5, 2}},
            {name = "dbl", value = 304},
            {name = "flags", value = {true, false, true}},
            {name = "flag", value = false},
            {name = "one", value = {7}, value_type = 2},
            {name = "bin", value = {"\0", "\255"}, value_type = 1},
            {name = "neg", value = -1, value_type = 2},
            {name = "strs", value = {"a", "b"}, representation = "r"},
        },
    })
    return 0
end
