-- Decodes each line of the file `input` with decoders.syslog; failures are
-- injected as the reference's inputs inject them (send_decode_failures).
require "io"
local decode = require("decoders.syslog").decode
local dh = read_config("default_headers")

function process_message()
    for line in io.lines(read_config("input")) do
        local ok, err = pcall(decode, line, dh)
        if not ok or err then
            inject_message({Type = "error.decode", Payload = tostring(err), Fields = {data = line}})
        end
    end
    return 0
end
