-- read_config(key) (spec §4.2, §3.2): every value type of the config, the
-- typed keys with their defaults, the host's reserved keys, nil for an
-- unknown key or a dropped function; exactly one argument.
require "string"
require "table"

local function dump(v)
    if type(v) == "string" then return string.format("%q", v) end
    if type(v) ~= "table" then return tostring(v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
        if type(a) == type(b) then return a < b end
        return type(a) == "number"
    end)
    local parts = {}
    for _, k in ipairs(keys) do
        parts[#parts + 1] = (type(k) == "number" and "[" .. k .. "]" or k) .. "=" .. dump(v[k])
    end
    return "{" .. table.concat(parts, ", ") .. "}"
end

local keys = {
    -- user keys
    "a_string", "a_number", "an_integer", "a_true", "a_false", "a_table",
    "a_function", "_private", "computed", "no_such_key",
    -- typed keys (input defaults)
    "filename", "output_limit", "memory_limit", "instruction_limit",
    "ticker_interval", "preserve_data", "restricted_headers",
    "shutdown_on_terminate", "message_matcher",
    -- reserved keys the host adds
    "Logger", "Hostname", "Pid", "path", "cpath", "log_level", "output_path",
    "output_size", "max_message_size", "sandbox_load_path",
    "sandbox_run_path", "sandbox_install_path",
}

function process_message()
    for _, k in ipairs(keys) do
        print(k, dump(read_config(k)))
    end
    -- A copy or not, the value is a table the plugin can use.
    local t = read_config("a_table")
    print("a_table.nested.z", t.nested.z, "#a_table", #t)
    print("no argument", (pcall(read_config)))
    print("two arguments", (pcall(read_config, "a_string", "x")))
    return 0
end
