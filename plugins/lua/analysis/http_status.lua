--[[
# HTTP status classes per minute

Counts the messages its message_matcher selects by HTTP status class
(1xx, 2xx, 3xx, 4xx, 5xx, other) per minute of their Timestamp, from a
status field such as the one the nginx and Apache access-log decoders give
(Fields[status], a number or a numeric string). Every ticker_interval
seconds, and at shutdown, when counts changed since the previous report,
it injects the window as a tab-separated table with
inject_payload("tsv", payload_name):

```
time	1xx	2xx	3xx	4xx	5xx	other
2014-02-10T16:46:00Z	0	120	14	3	1	0
2014-02-10T16:47:00Z	0	98	9	0	0	0
```

* One row per sec_per_row seconds of message time (a minute by default),
  from the oldest row counted to the newest, rows without messages
  included, at most `rows` rows: the window ends at the newest message
  seen; messages older than the window are not counted.
* other: a status outside 100..599, not a number, or absent.
* Each report is a new message in the analysis queue: {Type =
  "inject_payload", Payload = <table>, Fields = {payload_type = "tsv",
  payload_name = <payload_name>}}.

## Sample configuration (TOML; a .cfg with the same keys works too)
```toml
filename = "http_status.lua"
message_matcher = "Type == 'nginx.access'"
ticker_interval = 60
# status_field = "status"     # Fields[<status_field>]
# sec_per_row = 60            # seconds of message time per row
# rows = 60                   # rows kept and reported
# payload_name = "http_status"
# preserve_data = true        # keep the window across restarts
```
--]]
require "math"
require "os"
require "string"

local status_var = "Fields[" .. (read_config("status_field") or "status") .. "]"
local payload_name = read_config("payload_name") or "http_status"
local sec_per_row = read_config("sec_per_row") or 60
if type(sec_per_row) ~= "number" or sec_per_row < 1 or sec_per_row ~= math.floor(sec_per_row) then
    error("sec_per_row: must be a whole number of seconds >= 1")
end
local nrows = read_config("rows") or 60
if type(nrows) ~= "number" or nrows < 1 or nrows ~= math.floor(nrows) then
    error("rows: must be a whole number >= 1")
end
local ns_per_row = sec_per_row * 1e9

-- Globals are saved by preserve_data. The window is a ring of nrows
-- slots: row r (Timestamp / ns_per_row) lives in slot r % nrows + 1, as
-- {r, 1xx, 2xx, 3xx, 4xx, 5xx, other}. (Row numbers are never table keys:
-- a large integer key would make the sandbox's array part that long.)
slots = {}
newest = nil   -- the newest row seen
oldest = nil   -- the oldest row counted (reports start at the window's start if later)
changed = false

local function slot_of(row)
    return slots[row % nrows + 1]
end

function process_message()
    local ts = read_message("Timestamp")
    local row = math.floor(ts / ns_per_row)
    if newest == nil or row > newest then
        newest = row
    elseif row <= newest - nrows then
        return 0 -- older than the window
    end
    if oldest == nil or row < oldest then oldest = row end

    local class = 7
    local status = tonumber(read_message(status_var))
    if status and status >= 100 and status < 600 then
        class = math.floor(status / 100) + 1
    end
    local i = row % nrows + 1
    local b = slots[i]
    if not b or b[1] ~= row then
        b = {row, 0, 0, 0, 0, 0, 0}
        slots[i] = b
    end
    b[class] = b[class] + 1
    changed = true
    return 0
end

function timer_event(ns, shutdown)
    if not changed then return end
    add_to_payload("time\t1xx\t2xx\t3xx\t4xx\t5xx\tother\n")
    for row = math.max(oldest, newest - nrows + 1), newest do
        local b = slot_of(row)
        if b and b[1] ~= row then b = nil end
        add_to_payload(os.date("!%Y-%m-%dT%H:%M:%SZ", row * sec_per_row))
        for i = 2, 7 do
            add_to_payload("\t", b and b[i] or 0)
        end
        add_to_payload("\n")
    end
    inject_payload("tsv", payload_name)
    changed = false
end
