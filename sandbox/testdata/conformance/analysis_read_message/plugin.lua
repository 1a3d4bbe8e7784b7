-- read_message(variable) of every header variable, raw, framed and size
-- (spec §4.4), for a message with every header and one with none of the
-- optional ones: absent string headers and Pid are nil, Severity 7.
require "string"

local function hex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Strings quoted, bytes outside printable ASCII as \xNN.
local function q(s)
    return '"' .. s:gsub('[^ -~]', function(c) return string.format("\\x%02x", c:byte()) end) .. '"'
end

local function show(name, v)
    if type(v) == "string" then v = q(v) end
    print(name, type(v) == "number" and string.format("%.17g", v) or tostring(v))
end

-- Checks what a reader of the frame relies on (spec §1.4): 1e, hlen, a
-- header starting with 08 varint(length), 1f, then the message.
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
    print("Uuid", hex(read_message("Uuid")))
    for _, n in ipairs{"Timestamp", "Type", "Logger", "Severity", "Payload",
        "EnvVersion", "Pid", "Hostname", "size"} do
        show(n, read_message(n))
    end
    local raw = read_message("raw")
    print("raw", #raw, "bytes", hex(raw))
    print("framed is a frame of raw", check_frame(read_message("framed"), raw))
    return 0
end

function timer_event()
end
