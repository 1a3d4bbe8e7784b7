-- read_config in an output plugin (TOML config): the output defaults
-- (restricted_headers false, async_buffer_size, read_queue "both",
-- remove_checkpoints_on_terminate false) and the io reserved keys.
require "string"

local keys = {
    "filename", "message_matcher", "async_buffer_size", "ticker_interval",
    "read_queue", "remove_checkpoints_on_terminate", "restricted_headers",
    "output_limit", "memory_limit", "instruction_limit", "preserve_data",
    "shutdown_on_terminate", "process_message_inject_limit",
    "Logger", "Hostname", "Pid", "log_level", "output_path", "output_size",
    "max_message_size", "sandbox_load_path", "sandbox_run_path",
    "sandbox_install_path",
}

function process_message()
    for _, k in ipairs(keys) do
        local v = read_config(k)
        if type(v) == "string" then v = string.format("%q", v) end
        print(k, tostring(v))
    end
    return 0
end

function timer_event()
end
