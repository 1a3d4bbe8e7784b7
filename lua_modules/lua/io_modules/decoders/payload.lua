-- decoders.payload: a record becomes the Payload of one message.
--
-- decode(data, default_headers, mutable) injects
-- {Payload = data, <headers of default_headers>} and returns nil; an
-- inject_message error (output_limit, max_message_size) is raised.
-- default_headers is a message table in hash form (Type, Logger, Hostname,
-- Severity, ...; Fields too, which the reference's module drops); it is
-- copied, not changed, unless mutable is true, when it is the message
-- itself. The module has no configuration table.
local inject_message = inject_message

local M = {}
setfenv(1, M)

local headers = {"Uuid", "Timestamp", "Type", "Logger", "Severity", "EnvVersion", "Pid", "Hostname"}
local nheaders = #headers
local msg = {}

function decode(data, default_headers, mutable)
    if default_headers and mutable then
        default_headers.Payload = data
        inject_message(default_headers)
        return nil
    end
    if default_headers then
        for i = 1, nheaders do
            local h = headers[i]
            msg[h] = default_headers[h]
        end
        msg.Fields = default_headers.Fields
    else
        for i = 1, nheaders do msg[headers[i]] = nil end
        msg.Fields = nil
    end
    msg.Payload = data
    inject_message(msg)
    return nil
end

return M
