-- Reads logs/nginx.log, logs/apache.log and logs/error.log (relative to
-- the directory holding the run directory) line by line, and injects one
-- message per line: {Type = <log>, Timestamp = 0, Fields = <captures>}.
require "io"
local clf = require "lpeg.common_log_format"

local dir = read_config("sandbox_run_path") .. "/../logs/"
local logs = {
    {"nginx.access", "nginx.log", clf.build_nginx_grammar(read_config("nginx_format"))},
    {"apache.access", "apache.log", clf.build_apache_grammar(read_config("apache_format"))},
    {"nginx.error", "error.log", clf.nginx_error_grammar},
}

function process_message()
    for _, log in ipairs(logs) do
        local typ, file, grammar = log[1], log[2], log[3]
        local fh = assert(io.open(dir .. file, "rb"))
        for line in fh:lines() do
            local fields = grammar:match(line)
            if fields then
                inject_message({Type = typ, Timestamp = 0, Fields = fields})
            else
                inject_message({Type = "parse_failed", Timestamp = 0, Payload = line})
            end
        end
        fh:close()
    end
    return 0
end
