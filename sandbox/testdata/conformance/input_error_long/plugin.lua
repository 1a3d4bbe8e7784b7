-- Sandbox error strings are truncated to 255 bytes (spec §4.1).
require "string"

function process_message()
    error(string.rep("x", 400))
end
