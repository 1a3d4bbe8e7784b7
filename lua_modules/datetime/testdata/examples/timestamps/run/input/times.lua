-- Reads "<kind> <text>" lines; kind is a grammar of lpeg.date_time or
-- "strftime:<format>|<text>".
require "io"
require "string"
local dt = require "lpeg.date_time"

local grammars = {
    rfc3339 = dt.rfc3339, clf = dt.clf_timestamp, rfc3164 = dt.rfc3164_timestamp,
    mysql = dt.mysql_timestamp, pgsql = dt.pgsql_timestamp,
}

function process_message()
    for line in io.lines(read_config("input")) do
        local kind, text, g = string.match(line, "^(%S+) (.*)$")
        local fmt, ftext = string.match(line, "^strftime:(.-)|(.*)$")
        if fmt then
            kind, text, g = "strftime " .. fmt, ftext, dt.build_strftime_grammar(fmt)
        else
            g = grammars[kind]
        end
        local t = g:match(text)
        if t then
            local fields = {kind = kind}
            for _, k in ipairs({"year", "month", "day", "hour", "min", "sec", "sec_frac",
                                "offset_sign", "offset_hour", "offset_min", "period", "time_t"}) do
                if t[k] ~= nil then fields[k] = t[k] end
            end
            -- rfc3164 has no year: the current one; keep the output stable.
            if kind == "rfc3164" then fields.year = nil end
            inject_message({Type = "time", Payload = text,
                Timestamp = kind == "rfc3164" and 0 or dt.time_to_ns(t), Fields = fields})
        else
            inject_message({Type = "time.nomatch", Payload = text, Timestamp = 0, Fields = {kind = kind}})
        end
    end
    return 0
end
