-- Disabled functionality of input (and output) plugins (spec §4.1): base
-- dofile, load, loadfile, loadstring, newproxy; os.exit, os.setlocale;
-- string.dump. The rest of the base library and of os, io and coroutine
-- is there.
require "string"
require "os"
local io = require "io"
local co = require "coroutine"

local base = {
    "dofile", "load", "loadfile", "loadstring", "newproxy",
    "assert", "collectgarbage", "error", "getfenv", "getmetatable", "ipairs",
    "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawset", "require",
    "select", "setfenv", "setmetatable", "tonumber", "tostring", "type",
    "unpack", "xpcall",
}

function process_message()
    for _, n in ipairs(base) do print(n, type(_G[n])) end
    for _, n in ipairs{"exit", "setlocale", "getenv", "execute", "remove", "rename",
        "tmpname", "time", "date", "clock", "difftime"} do
        print("os." .. n, type(os[n]))
    end
    print("string.dump", type(string.dump))
    print("io.open", type(io.open), "io.lines", type(io.lines))
    print("coroutine.wrap", type(co.wrap), "coroutine.create", type(co.create))
    print("_VERSION", _VERSION)
    return 0
end
