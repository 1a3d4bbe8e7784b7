-- Access-log-like messages from 2014-02-10T16:46:00Z.
local base = 1392050760e9
local function hit(sec, status)
    inject_message({Timestamp = base + sec * 1e9, Type = "nginx.access", Fields = {status = status}})
end
local statuses = {200, 200, 200, 304, 404, 200, 500, 301, 200, 101}
function process_message()
    for s = 0, 59, 3 do hit(s, statuses[s % 10 + 1]) end      -- 16:46
    for s = 60, 119, 4 do hit(s, statuses[s % 7 + 1]) end     -- 16:47
    hit(100, "404")                                           -- a numeric string
    hit(101, 999)                                             -- out of range: other
    inject_message({Timestamp = base + 102e9, Type = "nginx.access"}) -- no status: other
    for s = 180, 239, 6 do hit(s, statuses[s % 5 + 1]) end    -- 16:49 (16:48 has none)
    hit(-600, 200)                                            -- 16:36: before the window
    hit(185, 503)
    return 0
end
