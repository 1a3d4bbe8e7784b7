-- create_stream_reader and hsr:find_message over strings (spec §4.6, §1.8):
-- found, consumed (frame plus any garbage skipped) and need (0 when a
-- message was found and more data is buffered; the rest of a record whose
-- header has been read). inject_message(hsr, cp) injects the current
-- message unmodified; hsr:read_message and hsr:decode_message.
require "string"

local function varint(n)
    local s = ""
    repeat
        local b = n % 128
        n = (n - b) / 128
        if n > 0 then b = b + 128 end
        s = s .. string.char(b)
    until n == 0
    return s
end

-- A message: Uuid of 16 bytes n, Timestamp n*1000, Type.
local function msg(typ, n)
    return "\10\16" .. string.rep(string.char(n), 16) .. "\16" .. varint(n * 1000)
        .. "\26" .. string.char(#typ) .. typ
end

-- A frame as the reference writes it: 1e, hlen, 08 varint(len), 1f.
local function frame(m)
    local h = "\8" .. varint(#m)
    return "\30" .. string.char(#h) .. h .. "\31" .. m
end

local function show(label, found, consumed, need, exact)
    local n
    if exact then
        n = "need " .. need
    else
        n = need > 0 and "need > 0" or "need " .. need
    end
    print(label, found, "consumed " .. consumed, n)
end

function process_message()
    local hsr = create_stream_reader("conformance")
    print("type", type(hsr))
    local ok, err = pcall(inject_message, hsr)
    print("inject before any message", ok, (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))

    local f1, f2, f3 = frame(msg("one", 1)), frame(msg("two", 2)), frame(msg("three", 3))
    print("frame lengths", #f1, #f2, #f3)

    local found, consumed, need = hsr:find_message(nil)
    show("empty buffer", found, consumed, need)

    found, consumed, need = hsr:find_message(f1:sub(1, 10))
    show("first 10 bytes of a frame", found, consumed, need, true)
    found, consumed, need = hsr:find_message(f1:sub(11))
    show("the rest of it", found, consumed, need)
    print("Type", hsr:read_message("Type"), "Timestamp", hsr:read_message("Timestamp"))
    inject_message(hsr, #f1)

    found, consumed, need = hsr:find_message("garbage" .. f2 .. f3)
    show("garbage and two frames", found, consumed, need, true)
    inject_message(hsr, "after two")
    found, consumed, need = hsr:find_message(nil)
    show("the buffered frame", found, consumed, need)
    inject_message(hsr)

    -- spec §1.8 [verified]: a false 1e with a bad header costs its bytes.
    found, consumed, need = hsr:find_message("\30\5junk" .. f1)
    show("false frame start, then a frame", found, consumed, need)
    print("Type", hsr:read_message("Type"))

    -- A frame whose message does not decode: skipped when decoding...
    local bad = frame(string.rep("z", 25))
    found, consumed, need = hsr:find_message(bad)
    show("undecodable frame", found, consumed, need)
    -- ...returned as is with decode = false.
    found, consumed, need = hsr:find_message(bad, false)
    show("undecodable frame, decode false", found, consumed, need)

    hsr:decode_message(msg("loaded", 4))
    print("decode_message", hsr:read_message("Type"), hsr:read_message("Uuid") == string.rep("\4", 16),
        hsr:read_message("Fields[x]"))
    inject_message(hsr, 99)
    return 0
end
