--[[
# Payload files

Writes the Payload of each message it matches (reports of analysis plugins,
made with inject_payload) to the file
`<output_dir>/<Logger>.<Fields[payload_name]>.<Fields[payload_type]>`,
replacing the file atomically: a reader sees the previous payload or the
new one, never a mix. In the three parts of the name every character
that is not a letter, a digit or (in Logger and payload_name) a dot
becomes "_".

Every timer_event (not at shutdown), the payload files of analysis plugins
that are no longer running (absent from `<output_path>/utilization.tsv`)
are removed.

## Sample configuration
```lua
filename        = "heka_inject_payload.lua"
message_matcher = "Type == 'inject_payload'"
ticker_interval = 86400 -- how often files of plugins gone are removed
read_queue      = "analysis"

output_dir      = "/var/tmp/hindsight/payload" -- default; created if missing
-- perm         = "644"  -- payload files (before the umask)
-- folder_perm  = "755"  -- output_dir, when created (readable by a web server)
```
--]]

require "io"
require "os"
require "string"
local fileout = require "sightline.fileout"

local output_path = read_config("output_path")
local output_dir  = read_config("output_dir") or "/var/tmp/hindsight/payload"
local perm        = read_config("perm")

assert(fileout.mkdir(output_dir, read_config("folder_perm") or "755"))
fileout.remove_temps(output_dir) -- left by a crash during a replace

local payload = read_message("Payload", nil, nil, true)

local function clean_name(s)
    return (string.gsub(s, "[^%w%.]", "_"))
end

function process_message()
    local logger = read_message("Logger") or ""

    local pn = read_message("Fields[payload_name]") or ""
    if type(pn) ~= "string" then return -1, "invalid payload_name" end

    local pt = read_message("Fields[payload_type]")
    if type(pt) ~= "string" then return -1, "invalid payload_type" end

    local fn = string.format("%s/%s.%s.%s", output_dir, clean_name(logger),
                             clean_name(pn), (string.gsub(pt, "%W", "_")))
    local ok, err = fileout.replace(fn, payload, perm)
    if not ok then return -1, err end
    return 0
end

-- A file of an analysis plugin is kept when its name starts with the
-- (cleaned) name of a running one and a dot: payload names may hold dots.
local function remove_inactive(active)
    local names = fileout.list(output_dir)
    if not names then return end
    for _, fn in ipairs(names) do
        if string.sub(fn, 1, 9) == "analysis." then
            local keep = false
            for _, a in ipairs(active) do
                if string.sub(fn, 1, #a + 1) == a .. "." then keep = true break end
            end
            if not keep then os.remove(output_dir .. "/" .. fn) end
        end
    end
end

function timer_event(ns, shutdown)
    if shutdown or not output_path then return end

    local fh = io.open(output_path .. "/utilization.tsv")
    if not fh then return end -- not written yet

    local active = {}
    for line in fh:lines() do
        local plugin = string.match(line, "^(analysis%.[^\t]+)")
        if plugin then active[#active + 1] = clean_name(plugin) end
    end
    fh:close()
    if #active > 0 then remove_inactive(active) end
end
