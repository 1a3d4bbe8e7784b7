--[[
# Standard input

Reads sightline's standard input to its end, then returns (a run-once
input: `sightline run -once` goes on to the analysis and outputs once the
input is closed). A stop (shutdown, reload) ends the read at once, even on a
pipe where nothing comes. Standard input cannot be replayed, so there is no
checkpoint: what was read but not yet injected when the plugin stops is
lost. Run one stdin input at a time.

## Sample configuration (TOML; a .cfg with the same keys works too)
```toml
filename = "stdin.lua"
instruction_limit = 0      # reads until the end of the input in one call

# "lines": records split at `delimiter`, each decoded by `decoder_module`.
# "heka": a stream of framed Heka messages (as heka_stdin.lua, or
#          `sightline cat -format heka` writes), injected as they are;
#          bytes that are not a valid frame are skipped up to the next one.
# Default: "lines"
format = "lines"

# Lines format only:
# delimiter = "\n"                    # one or more bytes; not kept
# decoder_module = "decoders.payload" # decode(record, default_headers)
# default_headers = {Type = "stdin"}  # given to the decoder
# send_decode_failures = false        # inject {Type = "error.decode",
#                                     #   Payload = <error>, Fields = {data = <record>}}
# max_record = <max_message_size>     # longer records are skipped
```

Keys of the reference's file.lua (input_filename nil = stdin) keep their
meaning: default_headers, decoder_module, send_decode_failures. A last record
without its delimiter is decoded too. Records that fail to decode, or are too
long, are skipped and counted: process_message returns 0 with
"<n> of <m> records skipped ..." when there were any.
--]]
require "string"
local procexec = require "procexec"

if read_config("input_filename") ~= nil then
    error("input_filename: stdin.lua reads standard input; use heka_file.lua or a file input to read a file")
end

local format = read_config("format") or "lines"
if format ~= "lines" and format ~= "heka" then
    error(string.format("format: %q is not \"lines\" or \"heka\"", tostring(format)))
end

local delimiter = read_config("delimiter") or "\n"
if type(delimiter) ~= "string" or delimiter == "" then
    error("delimiter: must be a non-empty string")
end

local max_record = read_config("max_record") or read_config("max_message_size")
if type(max_record) ~= "number" or max_record < 1 then
    error("max_record: must be a number of bytes >= 1")
end

local default_headers = read_config("default_headers")
if default_headers ~= nil and type(default_headers) ~= "table" then
    error("default_headers: must be a table")
end

local send_decode_failures = read_config("send_decode_failures")
local decoder_module = read_config("decoder_module") or "decoders.payload"
local decode
if format == "lines" then
    if type(decoder_module) ~= "string" then
        error("decoder_module: must be a module name")
    end
    local ok, mod = pcall(require, decoder_module)
    if not ok then error("decoder_module: " .. tostring(mod)) end
    decode = type(mod) == "table" and mod.decode
    if type(decode) ~= "function" then
        error("decoder_module: " .. decoder_module .. " does not provide a decode function")
    end
end

local stdin = procexec.stdin{delimiter = delimiter, max_record = max_record}

local err_msg = {Type = "error.decode", Payload = nil, Fields = {data = nil}}

local function failed(err, data)
    print("skipped:", err)
    if send_decode_failures then
        err_msg.Payload = tostring(err)
        err_msg.Fields.data = data or ""
        pcall(inject_message, err_msg)
    end
end

local function read_lines()
    local n, bad = 0, 0
    while true do
        local rec, err = stdin:read_record()
        if rec then
            n = n + 1
            local ok, derr = pcall(decode, rec, default_headers)
            if not ok or derr then
                bad = bad + 1
                failed(derr or "decode failed", rec)
            end
        elseif err then
            n, bad = n + 1, bad + 1
            failed(err, nil)
        else
            break
        end
    end
    if bad > 0 then
        return 0, string.format("%d of %d records skipped (decode failures or over max_record)", bad, n)
    end
    return 0
end

local function read_heka()
    local hsr = create_stream_reader(read_config("Logger") or "stdin")
    local found, consumed, read
    repeat
        repeat
            found, consumed, read = hsr:find_message(stdin)
            if found then inject_message(hsr) end
        until not found
    until read == 0
    return 0
end

function process_message()
    if format == "heka" then return read_heka() end
    return read_lines()
end
