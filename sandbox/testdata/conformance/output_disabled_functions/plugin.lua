-- Disabled functionality of output plugins, as for inputs (spec §4.1).
require "string"
require "os"
local io = require "io"
local co = require "coroutine"

function process_message()
    for _, n in ipairs{"dofile", "load", "loadfile", "loadstring", "newproxy",
        "collectgarbage", "print", "require"} do
        print(n, type(_G[n]))
    end
    for _, n in ipairs{"exit", "setlocale", "getenv", "execute", "remove", "rename",
        "tmpname"} do
        print("os." .. n, type(os[n]))
    end
    print("string.dump", type(string.dump))
    print("io.write", type(io.write), "coroutine.wrap", type(co.wrap))
    return 0
end

function timer_event()
end
