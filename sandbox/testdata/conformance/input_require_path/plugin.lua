-- require finds Lua modules on the path of the config ("?" patterns), a
-- dotted name in a subdirectory; a module is loaded once; required modules
-- get an empty metatable (spec §4.1).
function process_message()
    local m = require "mymod"
    print(m.hello(), "loads", loads)
    print("cached", require("mymod") == m, "loads", loads)
    local mt = getmetatable(m)
    print("metatable", type(mt), mt and next(mt) == nil)
    print("sub.mod", require("sub.mod").name)
    return 0
end
