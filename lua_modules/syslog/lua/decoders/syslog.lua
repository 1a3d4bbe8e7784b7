-- decoders.syslog: the syslog decoder module of lua_sandbox_extensions
-- (decode(data, default_headers, mutable)), for sightline. Configuration,
-- in the plugin's config:
--
-- decoders_syslog = {
--   template = "<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%",
--     -- an rsyslog template, the name of an rsyslog built-in template
--     -- (require("lpeg.syslog").templates), or an array of those tried in
--     -- order. Default: RSYSLOG_TraditionalForwardFormat.
--   sub_decoders = {nginx = "decoders.nginx.access"},
--     -- programname ("*": any other) -> decoder module ("decoders.x") or
--     -- grammar module ("lpeg.x", "lpeg.x#grammar"); printf entries are
--     -- not supported.
--   payload_keep = false, -- keep the whole record as Payload when a
--     -- sub-decoder takes the message (keep_data is read too).
-- }
--
-- The Go decoder of the same name (lua_modules/syslog/decode.go) gives the
-- same messages; keep the two in step.

local string = require "string"
local syslog = require "lpeg.syslog"

local module_name = ...
local module_cfg = string.gsub(module_name, "%.", "_")

local cfg = read_config(module_cfg) or {}
assert(type(cfg) == "table", module_cfg .. " must be a table")

local grammars = {}
do
    local t = cfg.template or "RSYSLOG_TraditionalForwardFormat"
    if type(t) ~= "table" then t = {t} end
    for i, v in ipairs(t) do
        assert(type(v) == "string", string.format("%s.template[%d] must be a string", module_cfg, i))
        grammars[i] = syslog.build_rsyslog_grammar(syslog.templates[v] or v)
    end
    assert(#grammars > 0, module_cfg .. ".template must not be empty")
end

local inject_message = inject_message
local pairs = pairs
local type = type

local function copy_message(src, mutable)
    if src and not mutable then
        local t = {
            Uuid = src.Uuid, Logger = src.Logger, Hostname = src.Hostname,
            Timestamp = src.Timestamp, Type = src.Type, Payload = src.Payload,
            EnvVersion = src.EnvVersion, Pid = src.Pid, Severity = src.Severity,
        }
        if type(src.Fields) == "table" then
            local f = {}
            for k, v in pairs(src.Fields) do f[k] = v end
            t.Fields = f
        end
        return t
    end
    return src or {}
end

local function add_fields(msg, fields)
    if msg.Fields then
        for k, v in pairs(fields) do msg.Fields[k] = v end
    else
        msg.Fields = fields
    end
end

local function load_sub_decoder(name, sd)
    if type(sd) ~= "string" then
        error(string.format("%s.sub_decoders.%s: printf grammar entries are not supported; give a decoder module name", module_cfg, name))
    end
    if sd:match("^decoders%.") then
        local decode = require(sd).decode
        if type(decode) ~= "function" then
            error(string.format("sub_decoder, no decode function defined: %s", name))
        end
        return decode
    end
    local mname, gname = sd:match("([^#]+)#(.+)")
    local g
    if mname then
        g = require(mname)[gname]
    else
        local m = require(sd)
        g = m.grammar or m.syslog_grammar
    end
    if type(g) ~= "userdata" and type(g) ~= "table" then
        error(string.format("sub_decoder, no grammar defined: %s", name))
    end
    return function(data, dh, mutable)
        local fields = g:match(data)
        if not fields then return "parse failed" end
        local msg = copy_message(dh, mutable)
        add_fields(msg, fields)
        inject_message(msg)
    end
end

local sub_decoders = {}
if cfg.sub_decoders ~= nil then
    assert(type(cfg.sub_decoders) == "table", module_cfg .. ".sub_decoders must be a table")
    for k, v in pairs(cfg.sub_decoders) do
        local fn = load_sub_decoder(k, v)
        if k == "*" then
            setmetatable(sub_decoders, {__index = function() return fn end})
        else
            sub_decoders[k] = fn
        end
    end
end
local payload_keep = cfg.payload_keep or cfg.keep_data

local function match(data)
    for i = 1, #grammars do
        local fields = grammars[i]:match(data)
        if fields then return fields end
    end
end

local M = {}

function M.decode(data, dh, mutable)
    local fields = match(data)
    if not fields then return module_name .. " parse failed" end
    local programname = ""

    local msg = copy_message(dh, mutable)
    if fields.pri then
        msg.Severity = fields.pri.severity
        fields.syslogfacility = fields.pri.facility
        fields.pri = nil
    else
        msg.Severity = fields.syslogseverity or fields["syslogseverity-text"]
            or fields.syslogpriority or fields["syslogpriority-text"]
        fields.syslogseverity = nil
        fields["syslogseverity-text"] = nil
        fields.syslogpriority = nil
        fields["syslogpriority-text"] = nil
    end

    if fields.syslogtag then
        programname = fields.syslogtag.programname
        fields.programname = programname
        msg.Pid = fields.syslogtag.pid
        fields.syslogtag = nil
    end

    msg.Timestamp = fields.timestamp
    fields.timestamp = nil

    msg.Hostname = fields.hostname or fields.source
    fields.hostname = nil
    fields.source = nil

    local payload = fields.msg
    fields.msg = nil

    -- sightline: structured data becomes fields (the reference leaves a
    -- table its encoder cannot write): sd_id, and each _param.
    local sd = fields["structured-data"]
    if sd ~= nil then
        fields["structured-data"] = nil
        if sd.id ~= nil then
            fields.sd_id = sd.id
            for k, v in pairs(sd) do
                if k ~= "id" then fields[k] = v end
            end
        end
    end

    add_fields(msg, fields)

    local df = sub_decoders[programname]
    if df then
        if payload_keep then msg.Payload = data end
        local err = df(payload, msg, true)
        if err then
            err = string.format("%s.%s %s", module_name, programname, err)
        end
        return err
    end
    msg.Payload = payload
    inject_message(msg)
end

return M
