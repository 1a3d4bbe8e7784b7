--[[
# Syslog listener

Receives syslog over UDP and/or TCP (RFC 3164 and RFC 5424 records; on TCP
both RFC 6587 framings, octet counting and line feed, on every
connection), decodes each record in Go with the Go decoder of
`decoder_module` (decoders.syslog by default) and injects the messages.
Sockets are read on goroutines of the module sightline.syslog; messages are
injected from this plugin's process_message, which returns when the plugin
is stopped. There is no checkpoint: what senders sent while sightline was
down is not replayed (UDP senders do not retry; TCP senders usually
reconnect and go on).

Under `sightline run -once` the listener returns after `batch_idle` seconds
without a record.

## Sample configuration (TOML; a .cfg with the same keys works too)
```toml
filename = "syslog.lua"
instruction_limit = 0        # process_message runs until shutdown

# address = "127.0.0.1"      # "*" or "0.0.0.0" for every interface
# port = 514                 # UDP and TCP port (514 needs CAP_NET_BIND_SERVICE)
# protocol = "udp"           # "udp", "tcp" or "both"
# max_connections = 1024     # TCP connections at once; more are closed
# send_decode_failures = false # inject {Type = "error.decode", Payload = <error>,
#                            #   Fields = {data = <record>, sender_ip, sender_port}}
#                            # for records that do not decode or are too long
# default_headers = {Type = "syslog"} # every message starts from these
# decoder_module = "decoders.syslog"  # any decoder with a Go implementation
# batch_idle = 2             # run -once: seconds without a record before returning
# max_message_size = 65536   # longer records are logged, counted and skipped

# decoders.syslog's own table; without a template the listener tries
# RFC 5424, then RSYSLOG_ForwardFormat (RFC 3164 with an RFC 3339 time),
# then RSYSLOG_TraditionalForwardFormat (plain RFC 3164).
# [decoders_syslog]
# template = "RSYSLOG_TraditionalForwardFormat"
# sub_decoders = { nginx = "decoders.nginx.access" }
```

Every message gets Fields sender_ip (string) and sender_port (integer), as
the reference's udp.lua gives them.
--]]
local syslog = require "sightline.syslog"

local listener = syslog.listen{
    address              = read_config("address"),
    port                 = read_config("port"),
    protocol             = read_config("protocol"),
    max_connections      = read_config("max_connections"),
    send_decode_failures = read_config("send_decode_failures"),
    default_headers      = read_config("default_headers"),
    decoder_module       = read_config("decoder_module"),
    batch_idle           = read_config("batch_idle"),
}

function process_message()
    listener:run()
    return 0
end
