-- encode_message(tbl[, framed]) (spec §4.5): the protobuf bytes of the
-- message under the output's header rules (restricted_headers false:
-- Logger, Hostname, Pid filled in when nil, in the table too), framed on
-- request.
require "string"

local function hex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function check_frame(framed, raw)
    local hlen = framed:byte(2)
    local header = framed:sub(3, 2 + hlen)
    local len, shift, i = 0, 1, 2
    repeat
        local b = header:byte(i)
        len = len + (b % 128) * shift
        shift = shift * 128
        i = i + 1
    until b < 128
    return framed:byte(1) == 0x1e and header:byte(1) == 0x08 and len == #raw
        and framed:byte(3 + hlen) == 0x1f and framed:sub(4 + hlen) == raw
end

function process_message()
    local t = {Uuid = "\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16", Timestamp = 1000000000,
        Type = "enc", Payload = "p", Fields = {{name = "n", value = 1, value_type = 2}}}
    local pb = encode_message(t)
    print("table after", t.Logger, t.Hostname, t.Pid)
    print("unframed", #pb, hex(pb))
    print("framed = false", encode_message(t, false) == pb)
    print("framed is a frame of it", check_frame(encode_message(t, true), pb))
    local m = decode_message(pb)
    print("decoded", m.Type, m.Logger, m.Pid, m.Fields[1].name, m.Fields[1].value[1])
    return 0
end

function timer_event()
end
