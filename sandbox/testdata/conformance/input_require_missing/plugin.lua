-- require of a module that neither sightline nor the plugin's path
-- provides raises "module '<name>' not found..." (the rest of the text
-- lists where it looked).
require "string"

function process_message()
    local ok, err = pcall(require, "no_such_module")
    print("ok", ok)
    print("not found", tostring(err):find("module 'no_such_module' not found", 1, true) ~= nil)
    return 0
end
