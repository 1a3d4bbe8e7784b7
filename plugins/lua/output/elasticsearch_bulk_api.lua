--[[
# Elasticsearch bulk API output

Sends the messages it matches to Elasticsearch's bulk API in batches. Each
message is turned into a bulk entry (an action line and a document) by the
encoder module; entries collect in a batch file, which is sent when it
holds flush_count entries, or ticker_interval seconds after the last send.
The output's cursor moves only when Elasticsearch has answered for the
batch (process_message returns -4 while a batch is open), so after a crash
or a stop the messages of an unsent batch are read again from the queue.

A failed send (no connection, a timeout, a status outside 2xx) is retried
once a second: process_message returns -3 and no new message is taken
until the full batch is through, for ever unless discard_on_error or
abort_on_error says otherwise after max_retry + 1 attempts. Of an accepted
request, items Elasticsearch rejected with 403, 408, 429 or 5xx are sent
again (the same way) and the other rejected items (a mapping error, a
version conflict) are logged with their reason, counted as failures in the
plugin's stats and dropped: sending them again would fail again.

## Sample configuration
```lua
filename        = "elasticsearch_bulk_api.lua"
message_matcher = "Type == 'nginx'"
ticker_interval = 10        -- send a batch at least every 10 seconds
memory_limit    = 200e6

address           = "127.0.0.1"
port              = 9200
timeout           = 10      -- seconds, each connect, read and write
flush_count       = 50000   -- entries per batch
flush_on_shutdown = false   -- send the open batch at shutdown (else it is read again at the next start)
max_retry         = 0       -- attempts before discard_on_error / abort_on_error apply, minus one
discard_on_error  = false   -- drop a batch after max_retry + 1 failed attempts
abort_on_error    = false   -- stop the plugin after max_retry + 1 failed attempts
-- ssl_params = {cafile = "/etc/ssl/ca.pem", certificate = "client.pem", key = "client-key.pem"} -- https
-- username = "elastic"; password = "secret"   -- basic authentication (sightline)
-- bulk_path = "/_bulk"                         -- (sightline) e.g. "/_bulk?pipeline=logs"

encoder_module = "encoders.elasticsearch.payload"
encoders_elasticsearch_common = {
    es_index_from_timestamp = true,
    index                   = "%{Logger}-%{%Y.%m.%d}",
    type_name               = "%{Type}-%{Hostname}",
}
```
--]]

require "string"
require "os"
local http = require "sightline.http"

local discard   = read_config("discard_on_error")
local abort     = read_config("abort_on_error")
local max_retry = read_config("max_retry") or 0
assert(not (abort and discard), "abort_on_error and discard_on_error are mutually exclusive")
assert(type(max_retry) == "number" and max_retry >= 0, "max_retry must be a number of at least 0")

local encoder_module = read_config("encoder_module") or "encoders.elasticsearch.payload"
local encode = require(encoder_module).encode
if not encode then
    error(encoder_module .. " does not provide an encode function")
end

local flush_on_shutdown = read_config("flush_on_shutdown")
local ticker_interval   = read_config("ticker_interval") or 0
local flush_count       = read_config("flush_count") or 50000
assert(type(flush_count) == "number" and flush_count > 0, "flush_count must be greater than zero")
local bulk_path         = read_config("bulk_path") or "/_bulk"

local client = http.client{
    address    = read_config("address") or "127.0.0.1",
    port       = read_config("port") or 9200,
    timeout    = read_config("timeout") or 10,
    ssl_params = read_config("ssl_params"),
    username   = read_config("username"),
    password   = read_config("password"),
}
local batch = http.batch(string.format("%s/%s.batch", read_config("output_path"), read_config("Logger")))

local last_flush  = os.time()
local attempts    = 0     -- failed attempts to send the current batch
local full        = false -- the batch reached flush_count and is not through yet
local held        = false -- process_message returned -3 for the message that filled the batch: the host offers it again
local uncommitted = false -- messages went into a batch since the last commit
local failures    = 0     -- messages lost since the last commit, for the stats

-- send tries the batch once. It returns true when the batch is done with
-- (sent, or discarded after too many attempts).
local function send()
    local res, err = client:bulk(bulk_path, batch)
    local accepted = res and res.status >= 200 and res.status <= 299
    if accepted then failures = failures + res.failed end
    if accepted and res.retry == 0 then
        attempts = 0
        last_flush = os.time()
        return true
    end
    attempts = attempts + 1
    if err then
        print("bulk request failed:", err)
    elseif not accepted then
        print(string.format("HTTP response error. Status: %d", res.status))
    end
    if attempts > max_retry then
        if discard then
            failures = failures + batch:discard(string.format("discard_on_error after %d failed attempts", attempts))
            attempts = 0
            last_flush = os.time()
            return true
        elseif abort then
            error(string.format("Abort sending %d messages after %d attempts", batch:count(), attempts))
        end
    end
    return false
end

-- commit moves the output's cursor to the last message read: everything
-- read is sent, or in no batch. update_checkpoint counts the lost
-- messages as failures.
local function commit()
    update_checkpoint(0, failures)
    failures = 0
    uncommitted = false
end

function process_message()
    if held then
        -- The message that filled the batch, offered again: it is in the
        -- batch already, which goes (again) unless the timer sent it.
        if full then
            if not send() then return -3 end
            full = false
        end
        held = false
        commit()
        return 0
    end

    local ok, data = pcall(encode)
    if not ok then return -1, data end
    if not data then return -2 end
    batch:add(data)
    uncommitted = true
    if batch:count() < flush_count then
        return -4
    end
    if send() then
        commit()
        return 0
    end
    -- Nothing new is taken until the batch is through: -3 has the host
    -- offer this message again in a second.
    full, held = true, true
    return -3
end

function timer_event(ns, shutdown)
    if batch:count() > 0 and (not full or shutdown) then
        local due = os.time() - last_flush >= ticker_interval
        if due or (shutdown and flush_on_shutdown) then
            if send() then full = false end
        end
    end
    -- Every message read is sent or in the batch (a held one included),
    -- so an empty batch means everything read is through.
    if uncommitted and batch:count() == 0 then
        commit()
    end
end
