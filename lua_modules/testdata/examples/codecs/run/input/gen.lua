require "io"
require "string"
local payload = require "decoders.payload"
local protobuf = require "decoders.heka.protobuf"
local framed = require "decoders.heka.framed_protobuf"

local function report(what, err)
    inject_message({Type = "error", Timestamp = 0, Payload = what .. ": " .. tostring(err)})
end

function process_message()
    -- decoders.payload
    local dh = {Type = "line", Hostname = "edge-1", Timestamp = 1e18, Fields = {source = "gen"}}
    payload.decode("first line", dh)
    payload.decode("second line")
    assert(dh.Payload == nil, "default_headers changed")
    payload.decode("third line, mutable", {Type = "mutable", Timestamp = 2e18}, true)

    -- decoders.heka.protobuf: every message of frames.hpb, unframed
    local fh = assert(io.open("frames.hpb", "rb"))
    local all = fh:read("*a")
    fh:seek("set", 0)
    local hsr = create_stream_reader("unframe")
    local found, consumed, read
    repeat
        found, consumed, read = hsr:find_message(fh)
        if found then protobuf.decode(hsr:read_message("raw")) end
    until not found and read == 0
    fh:close()
    local ok, err = pcall(protobuf.decode, "not a protobuf message")
    report("decoders.heka.protobuf", err)

    -- decoders.heka.framed_protobuf: the whole file, garbage around it
    report("decoders.heka.framed_protobuf", framed.decode("garbage\30\5junk" .. all .. "more garbage"))
    report("decoders.heka.framed_protobuf", framed.decode("no frame in here"))
    return 0
end
