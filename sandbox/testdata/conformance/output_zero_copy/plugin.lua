-- Zero-copy handles in an output plugin (spec §4.4, §4.5): created at load
-- time, they read the current message when used: as a field value they
-- are written as BYTES, decode_message takes the raw handle, io.write and
-- file:write accept them. A handle on a non-string field fails when used.
require "string"
local io = require "io"

local payload = read_message("Payload", 0, 0, true)
local raw = read_message("raw", 0, 0, true)
local n = read_message("Fields[n]", 0, 0, true)
print("handles", type(payload), type(raw))

function process_message()
    local pb = encode_message({Uuid = "\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16",
        Timestamp = 1, Fields = {{name = "zc", value = payload}}})
    local m = decode_message(pb)
    print("field", m.Fields[1].name, m.Fields[1].value_type, m.Fields[1].value[1])
    print("decode_message(raw handle)", decode_message(raw).Payload)

    local path = read_config("output_path") .. "/zc.txt"
    local f = assert(io.open(path, "w"))
    f:write("<", payload, ">")
    f:close()
    f = assert(io.open(path, "r"))
    print("file:write", f:read("*a"))
    f:close()

    if read_message("Fields[n]") then
        print("integer field handle", (pcall(encode_message, {Fields = {{name = "x", value = n}}})))
    end
    return 0
end

function timer_event()
end
