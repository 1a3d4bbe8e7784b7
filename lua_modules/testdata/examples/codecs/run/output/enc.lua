-- For each message: what encoders.payload gives; the Type, Uuid and
-- number of fields of decode_message(encoders.heka.protobuf's raw
-- handle); whether encoders.heka.framed_protobuf's is a frame holding
-- the raw message.
require "io"
require "string"
local payload = require "encoders.payload"
local protobuf = require "encoders.heka.protobuf"
local framed = require "encoders.heka.framed_protobuf"

local out = assert(io.open("encoded.txt", "w"))

local function hex(s)
    return (string.gsub(s, ".", function(c) return string.format("%02x", string.byte(c)) end))
end

function process_message()
    out:write("payload: ")
    out:write(payload.encode())
    out:write("\n")
    local raw = protobuf.encode()
    local m = decode_message(raw)
    -- Uuids of the messages from frames.hpb are the reference's; the others' are random.
    local uuid = string.find(m.Type or "", "^compat") and hex(m.Uuid) or "(random)"
    out:write(string.format("protobuf: Type=%s Uuid=%s Fields=%d\n", tostring(m.Type), uuid, #(m.Fields or {})))
    local f = tostring(framed.encode())
    local r = read_message("raw")
    -- (lengths vary: Pid and Hostname are the process's and the host's)
    local hlen = string.byte(f, 2)
    out:write(string.format("framed: RS=%s, US after the header=%s, then the raw message=%s\n",
        tostring(string.byte(f, 1) == 30), tostring(string.byte(f, hlen + 3) == 31),
        tostring(string.sub(f, hlen + 4) == r)))
    return 0
end

function timer_event(ns, shutdown)
    if shutdown then out:close() end
end
