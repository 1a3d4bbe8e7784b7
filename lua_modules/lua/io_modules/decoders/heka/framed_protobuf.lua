-- decoders.heka.framed_protobuf: a record holds Heka messages in stream
-- framing (several messages packed in one payload, as Kinesis producers
-- send them); each message found is injected as it is.
--
-- decode(data) returns nil when at least one message was found, else the
-- error "no Heka message found" (so that send_decode_failures reports
-- payloads that hold none). Bytes that are not a valid frame are skipped
-- up to the next frame. A frame cut at the end of data is kept and
-- completed by the next record's bytes, if they complete it. Input plugins
-- only: it needs create_stream_reader. The module has no configuration
-- table.
local module_name = ...
local inject_message = inject_message
local create_stream_reader = create_stream_reader
local error = error

local M = {}
setfenv(1, M)

local hsr

function decode(data)
    if not hsr then
        if not create_stream_reader then
            error(module_name .. " needs create_stream_reader, which only input plugins have", 2)
        end
        hsr = create_stream_reader(module_name)
    end
    local n = 0
    local found = hsr:find_message(data)
    while found do
        inject_message(hsr)
        n = n + 1
        found = hsr:find_message(nil)
    end
    if n == 0 then return "no Heka message found" end
    return nil
end

return M
