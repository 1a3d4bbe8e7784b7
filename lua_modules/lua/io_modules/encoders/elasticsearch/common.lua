--[[
# encoders.elasticsearch.common

What the Elasticsearch encoders share: the bulk API action line and their
configuration table, `encoders_elasticsearch_common` in the plugin's config
(optional here; the reference requires it):

```lua
encoders_elasticsearch_common = {
    es_index_from_timestamp = false,   -- strftime in the templates uses the message's Timestamp, else the clock
    index     = "heka-%{%Y.%m.%d}",    -- _index, lower-cased
    type_name = "_doc",                -- _type; "" leaves it out (Elasticsearch 8 refuses _type)
    id        = nil,                   -- _id, none by default
}
```

Templates replace `%{name}` with a header of the message being processed
(Uuid, Timestamp, Type, Logger, Severity, Payload, EnvVersion, Pid,
Hostname), else the field `name`, else `name` as a strftime format (UTC);
a `%{name}` that is none of these stays as it is. Uuid is written
8-4-4-4-12 in upper-case hex (the reference drops leading zeros of each
byte), Timestamp as RFC 3339 with nanoseconds.

## Functions

* `bulkapi_index_json(index, type_name, id, ns)` -> the action line
  `{"index":{"_index":...,"_type":...,"_id":...}}` (without the newline);
  a nil (or "" for type_name) argument leaves its key out; ns is the time
  for strftime, nil for the clock.
* `load_encoder_cfg()` -> the checked configuration table with defaults.
* `interpolate(template, secs)` -> the template filled in.
--]]

local module_name   = ...
local string        = require "string"
local os            = require "os"
local math          = require "math"
local cjson         = require "cjson"
local assert        = assert
local type          = type
local tostring      = tostring
local read_message  = read_message
local read_config   = read_config

local module_cfg = string.gsub(module_name or "encoders.elasticsearch.common", "%.", "_")

local M = {}
setfenv(1, M)

local function get_uuid(u)
    if not u or #u ~= 16 then return u end
    return string.format("%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", string.byte(u, 1, 16))
end

local function get_timestamp(ns)
    if not ns then return nil end
    local secs = math.floor(ns / 1e9)
    return string.format("%s.%09dZ", os.date("!%Y-%m-%dT%H:%M:%S", secs), ns - secs * 1e9)
end

local headers = {
    Uuid        = function() return get_uuid(read_message("Uuid")) end,
    Timestamp   = function() return get_timestamp(read_message("Timestamp")) end,
    Type        = function() return read_message("Type") end,
    Logger      = function() return read_message("Logger") end,
    Severity    = function() return read_message("Severity") end,
    Payload     = function() return read_message("Payload") end,
    EnvVersion  = function() return read_message("EnvVersion") end,
    Pid         = function() return read_message("Pid") end,
    Hostname    = function() return read_message("Hostname") end,
}

local secs_now
local function replace(name)
    local h = headers[name]
    if h then return h() end
    local v = read_message("Fields[" .. name .. "]")
    if type(v) == "boolean" then return tostring(v) end
    if v then return v end
    v = os.date(name, secs_now)
    if v ~= name then return v end
end

function interpolate(template, secs)
    secs_now = secs
    return (string.gsub(template, "%%{(.-)}", replace))
end

local action = {}
local line = {index = action}

function bulkapi_index_json(index, type_name, id, ns)
    local secs
    if ns then secs = math.floor(ns / 1e9) end
    action._index = index and string.lower(interpolate(index, secs)) or nil
    action._type = (type_name and type_name ~= "") and interpolate(type_name, secs) or nil
    action._id = id and interpolate(id, secs) or nil
    return cjson.encode(line)
end

function load_encoder_cfg()
    local cfg = read_config(module_cfg)
    if cfg == nil then cfg = {} end
    assert(type(cfg) == "table", module_cfg .. " must be a table")
    if cfg.es_index_from_timestamp == nil then
        cfg.es_index_from_timestamp = false
    else
        assert(type(cfg.es_index_from_timestamp) == "boolean", module_cfg .. ".es_index_from_timestamp must be nil or boolean")
    end
    if cfg.index == nil then
        cfg.index = "heka-%{%Y.%m.%d}"
    else
        assert(type(cfg.index) == "string", module_cfg .. ".index must be nil or a string")
    end
    if cfg.type_name == nil then
        cfg.type_name = "_doc"
    else
        assert(type(cfg.type_name) == "string", module_cfg .. ".type_name must be nil or a string")
    end
    assert(cfg.id == nil or type(cfg.id) == "string", module_cfg .. ".id must be nil or a string")
    return cfg
end

return M
