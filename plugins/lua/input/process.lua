--[[
# Process input

Runs a command every ticker_interval seconds and injects one message per
run: the command's standard output as the Payload, and Fields for how it
went. The command is an argv array run without a shell (unless shell =
true), with /dev/null as its standard input, in a process group of its
own that is killed at the timeout or when the plugin stops. In
`sightline run -once` it runs once.

## Sample configuration (TOML; a .cfg with the same keys works too)
```toml
filename = "process.lua"
ticker_interval = 60          # seconds between runs; 0: run once

command = ["df", "-P", "/"]   # argv; the program is looked up in PATH
# shell = false               # true: command is a string run with /bin/sh -c
# timeout = 30                # seconds; the command is killed after it (0: never)
# env = {LANG = "C"}          # added to sightline's environment (or ["LANG=C"])
# inherit_env = true          # false: the command gets only env
# directory = "/"             # working directory
# trim = true                 # drop one trailing newline from the output
# max_stderr = 4096           # bytes of stderr kept in Fields.stderr
# max_stdout = max_message_size - max_stderr - 1024
# default_headers = {Type = "process"}
```

## Message
* Type: "process" unless default_headers sets it; other default_headers
  (Logger, Hostname, Severity, ...) are copied too.
* Payload: standard output (its first max_stdout bytes).
* Fields: exit_status (integer; -1 when the command did not exit by
  itself), stderr (its first max_stderr bytes), duration (seconds,
  double, representation "s"), timed_out (bool), truncated (bool: stdout
  or stderr was longer than kept), signal (string, only when a signal
  ended the command).

process_message returns 0 when the command exited with status 0, else -1
with the reason (logged as a warning, counted as a failure); the message
is injected either way. A command that cannot be started (not found) is
-1 without a message. This plugin has no equivalent in the reference's
plugins; its keys follow Heka's ProcessInput where they overlap
(ticker_interval, timeout, trim).
--]]
require "string"
require "table"
local procexec = require "procexec"

local shell = read_config("shell") or false
local command = read_config("command")
local argv
if shell then
    if type(command) ~= "string" or command == "" then
        error("command: with shell = true, must be a command line (a string)")
    end
    argv = {"/bin/sh", "-c", command}
else
    if type(command) == "string" then
        error("command: must be an array of arguments, e.g. [\"df\", \"-P\"] (or set shell = true to run a string with /bin/sh -c)")
    end
    if type(command) ~= "table" or #command == 0 then
        error("command: must be a non-empty array of arguments")
    end
    argv = {}
    for i, a in ipairs(command) do
        if type(a) ~= "string" and type(a) ~= "number" then
            error(string.format("command: argument %d is a %s, not a string", i, type(a)))
        end
        argv[i] = tostring(a)
    end
end

local function number_key(key, default, min)
    local v = read_config(key)
    if v == nil then return default end
    if type(v) ~= "number" or v < min then
        error(string.format("%s: must be a number >= %d", key, min))
    end
    return v
end

local timeout = number_key("timeout", 30, 0)
local max_stderr = number_key("max_stderr", 4096, 0)
local max_stdout = number_key("max_stdout", read_config("max_message_size") - max_stderr - 1024, 0)
if max_stdout < 1 then
    error("max_stdout: max_message_size leaves no room for the output; lower max_stderr or raise max_message_size")
end
local trim = read_config("trim")
if trim == nil then trim = true end

local opts = {timeout = timeout, max_stdout = max_stdout, max_stderr = max_stderr}
local env = read_config("env")
if env ~= nil then
    if type(env) ~= "table" then error("env: must be a table") end
    opts.env = env
end
local inherit_env = read_config("inherit_env")
if inherit_env ~= nil then
    if type(inherit_env) ~= "boolean" then error("inherit_env: must be a boolean") end
    opts.inherit_env = inherit_env
end
local directory = read_config("directory")
if directory ~= nil then
    if type(directory) ~= "string" then error("directory: must be a string") end
    opts.dir = directory
end

local default_headers = read_config("default_headers")
if default_headers ~= nil and type(default_headers) ~= "table" then
    error("default_headers: must be a table")
end
local headers = {"Type", "Logger", "Hostname", "Severity", "EnvVersion", "Pid"}

local msg = {Fields = {}}

function process_message()
    local r, err = procexec.run(argv, opts)
    if not r then
        return -1, "command: " .. err
    end
    if r.stopped then return 0 end -- cut short by a stop: nothing to report

    local out = r.stdout
    if trim and string.sub(out, -1) == "\n" then out = string.sub(out, 1, -2) end
    for _, h in ipairs(headers) do
        msg[h] = default_headers and default_headers[h]
    end
    msg.Type = msg.Type or "process"
    msg.Timestamp = nil
    msg.Payload = out
    local f = msg.Fields
    f.exit_status = {value = r.exit_status, value_type = 2}
    f.stderr = r.stderr
    f.duration = {value = r.duration / 1e9, representation = "s"}
    f.timed_out = r.timed_out
    f.truncated = r.stdout_bytes > #r.stdout or r.stderr_bytes > #r.stderr
    f.signal = r.signal
    inject_message(msg)

    if r.timed_out then
        return -1, string.format("command timed out after %gs", timeout)
    elseif r.signal then
        return -1, "command killed by signal: " .. r.signal
    elseif r.exit_status ~= 0 then
        return -1, string.format("command exited with status %d", r.exit_status)
    end
    return 0
end
