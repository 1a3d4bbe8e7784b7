--[[
# encoders.elasticsearch.payload

For messages whose Payload is already a JSON document: `encode()` returns
the bulk API action line (see encoders.elasticsearch.common, whose
configuration table it reads) followed by the Payload, each ending in a
newline; nil (the message is skipped) when there is no Payload.

```json
{"index":{"_index":"mylogger-2014.06.05","_type":"mytype-host.domain.com"}}
{"json":"data","extracted":"from","message":"payload"}
```
--]]

local string        = require "string"
local es            = require "encoders.elasticsearch.common"
local read_message  = read_message
local cfg           = es.load_encoder_cfg()

local M = {}
setfenv(1, M)

function encode()
    local payload = read_message("Payload")
    if not payload then return nil end
    local ns
    if cfg.es_index_from_timestamp then ns = read_message("Timestamp") end
    local idx = es.bulkapi_index_json(cfg.index, cfg.type_name, cfg.id, ns)
    if string.sub(payload, -1) == "\n" then
        return idx .. "\n" .. payload
    end
    return idx .. "\n" .. payload .. "\n"
end

return M
