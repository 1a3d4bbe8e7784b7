--[[
# Message counter

Counts the messages its message_matcher selects, by Type, and reports the
counts every ticker_interval seconds and at shutdown, as a tab-separated
table injected with inject_payload("tsv", payload_name):

```
Type	count	total	rate
nginx	120	5120	2.000
syslog	30	800	0.500
*	150	5920	2.500
```

* count: messages in the interval since the previous report; total: since
  the counts started (kept across restarts with preserve_data = true);
  rate: count per second over the interval since the previous report
  ("-" for the first report after a start, whose interval is not known,
  and for a report at the same time as the previous one).
* Rows are sorted by Type; a message without a Type counts as "<nil>";
  past max_types distinct Types, new ones count as "<other>". The last
  row, "*", is the sum.
* Each report is a new message in the analysis queue: {Type =
  "inject_payload", Payload = <table>, Fields = {payload_type = "tsv",
  payload_name = <payload_name>}}; an output such as heka_inject_payload.lua
  or any output matching Type == "inject_payload" receives it.

## Sample configuration (TOML; a .cfg with the same keys works too)
```toml
filename = "counter.lua"
message_matcher = "TRUE"
ticker_interval = 60
# preserve_data = true     # keep totals across restarts
# payload_name = "counter" # Fields.payload_name of the reports
# max_types = 1000         # distinct Types counted by name
```

Report times are those timer_event gives: the clock in a daemon, message
time in `sightline run -once`, where the first report comes right after
the first message.
--]]
require "string"
require "table"

local payload_name = read_config("payload_name") or "counter"
local max_types = read_config("max_types") or 1000
if type(max_types) ~= "number" or max_types < 1 then
    error("max_types: must be a number >= 1")
end

-- Globals are saved by preserve_data.
totals = {}       -- Type → messages since the counts started
ntypes = 0        -- keys of totals, "<other>" excepted

local counts = {} -- Type → messages since the previous report
local last_ns       -- ns of the previous report

function process_message()
    local typ = read_message("Type") or "<nil>"
    local c = counts[typ]
    if c == nil and totals[typ] == nil then
        if ntypes >= max_types then
            typ = "<other>"
            c = counts[typ]
        else
            ntypes = ntypes + 1
            totals[typ] = 0
        end
    end
    counts[typ] = (c or 0) + 1
    totals[typ] = (totals[typ] or 0) + 1
    return 0
end

local function rate(n, secs)
    if not secs then return "-" end
    return string.format("%.3f", n / secs)
end

function timer_event(ns, shutdown)
    local secs
    if last_ns and ns > last_ns then secs = (ns - last_ns) / 1e9 end
    last_ns = ns

    local types = {}
    for typ in pairs(totals) do types[#types + 1] = typ end
    table.sort(types)
    add_to_payload("Type\tcount\ttotal\trate\n")
    local sum, sum_total = 0, 0
    for _, typ in ipairs(types) do
        local n, t = counts[typ] or 0, totals[typ]
        sum, sum_total = sum + n, sum_total + t
        add_to_payload(typ, "\t", n, "\t", t, "\t", rate(n, secs), "\n")
    end
    add_to_payload("*\t", sum, "\t", sum_total, "\t", rate(sum, secs), "\n")
    inject_payload("tsv", payload_name)
    counts = {}
end
