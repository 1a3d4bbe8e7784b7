-- A frame header announcing a message longer than max_message_size is
-- damage (spec §1.8 step 6): the reader skips it and finds the next frame.
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

local function frame_header(len)
    local h = "\8" .. varint(len)
    return "\30" .. string.char(#h) .. h .. "\31"
end

local m = "\10\16" .. string.rep("\1", 16) .. "\16\1\26\2ok"

function process_message()
    print("max_message_size", read_config("max_message_size"))
    local hsr = create_stream_reader("limited")
    local found, consumed = hsr:find_message(frame_header(2000) .. frame_header(#m) .. m)
    print("found", found, "consumed", consumed, "Type", hsr:read_message("Type"))
    return 0
end
