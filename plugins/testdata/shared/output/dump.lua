-- Example output: writes every message it receives to the file `out`,
-- one block per message: its headers, then its fields in order. Uuid,
-- Timestamp and Hostname only when the config's `uuids`, `timestamps`,
-- `hostnames` are true (they vary from run to run or host to host unless
-- the input sets them), Pid never. With summary = true, one line per
-- message instead. skip_fields: a space-separated list of field names not
-- written. sort = true: the blocks are written sorted, at shutdown (for
-- messages of several inputs, whose order varies). raw_payload = true:
-- the Payload is written as it is, each line indented (reports).
require "io"
require "string"
require "table"

local out = assert(io.open(read_config("out"), "w"))
local show_ts = read_config("timestamps")
local show_uuid = read_config("uuids")
local show_host = read_config("hostnames")
local summary = read_config("summary")
local sorted = read_config("sort")
local raw_payload = read_config("raw_payload")
local skip = {}
for name in string.gmatch(read_config("skip_fields") or "", "%S+") do skip[name] = true end
local blocks = {}
local n = 0

local function hex(s)
    return (string.gsub(s, ".", function(c) return string.format("%02x", string.byte(c)) end))
end

local function value(v)
    if type(v) == "string" then return (string.gsub(string.format("%q", v), "\\\n", "\\n")) end
    return tostring(v)
end

function process_message()
    local m = decode_message(read_message("raw"))
    n = n + 1
    local fields = m.Fields or {}
    if summary then
        out:write(string.format("%d\t%s\t%d\t%s\t%s\t%d\t%d\n", n, hex(m.Uuid), m.Timestamp,
            tostring(m.Type), tostring(m.Severity), #(m.Payload or ""), #fields))
        return 0
    end
    local b = {}
    local h = {}
    if show_uuid then h[#h + 1] = "Uuid=" .. hex(m.Uuid) end
    if show_ts then h[#h + 1] = string.format("Timestamp=%d", m.Timestamp) end
    if show_host and m.Hostname then h[#h + 1] = "Hostname=" .. value(m.Hostname) end
    for _, k in ipairs({"Type", "Logger", "Severity", "EnvVersion"}) do
        if m[k] ~= nil then h[#h + 1] = k .. "=" .. value(m[k]) end
    end
    b[#b + 1] = table.concat(h, " ") .. "\n"
    if m.Payload and raw_payload then
        b[#b + 1] = "  Payload:\n"
        for line in string.gmatch(m.Payload, "[^\n]+") do b[#b + 1] = "    " .. line .. "\n" end
    elseif m.Payload then
        b[#b + 1] = "  Payload: " .. value(m.Payload) .. "\n"
    end
    for _, f in ipairs(fields) do
        if not skip[f.name] then
            local vs = {}
            for i, v in ipairs(f.value) do
                vs[i] = f.value_type == 1 and hex(v) or value(v)
            end
            b[#b + 1] = string.format("  %s [type %d%s] %s\n", f.name, f.value_type or 0,
                f.representation and (" " .. f.representation) or "", table.concat(vs, ", "))
        end
    end
    if sorted then
        blocks[#blocks + 1] = table.concat(b)
    else
        out:write(table.concat(b))
    end
    return 0
end

function timer_event(ns, shutdown)
    out:flush()
    if shutdown then
        table.sort(blocks)
        for _, b in ipairs(blocks) do out:write(b) end
        out:write(string.format("-- %d messages\n", n))
        out:close()
    end
end
