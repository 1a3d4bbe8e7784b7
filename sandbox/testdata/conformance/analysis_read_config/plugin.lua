-- read_config in an analysis plugin: the analysis defaults
-- (restricted_headers true, process_message_inject_limit 0,
-- timer_event_inject_limit 10), its own keys, the reserved keys an
-- analysis plugin gets (no io keys).
require "string"

local keys = {
    "filename", "message_matcher", "ticker_interval", "thread", "mine",
    "output_limit", "memory_limit", "instruction_limit", "preserve_data",
    "restricted_headers", "shutdown_on_terminate",
    "process_message_inject_limit", "timer_event_inject_limit",
    "async_buffer_size", "read_queue",
    "Logger", "Hostname", "Pid", "path", "cpath", "log_level", "output_path",
    "sandbox_run_path",
}

function process_message()
    for _, k in ipairs(keys) do
        local v = read_config(k)
        if type(v) == "string" then v = string.format("%q", v) end
        if type(v) == "table" then v = "table of " .. #v end
        print(k, tostring(v))
    end
    return 0
end

function timer_event()
end
