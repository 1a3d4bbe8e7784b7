-- Disabled functionality of analysis plugins (spec §4.1): base
-- collectgarbage, dofile, load, loadfile, loadstring, newproxy; the io and
-- coroutine modules ("module 'io' disabled"); os.getenv, execute, exit,
-- remove, rename, setlocale, tmpname; string.dump. print is there.
require "string"
require "os"

local function errtext(err)
    return (tostring(err):gsub("^.-plugin%.lua:%d+: ", ""))
end

function process_message()
    for _, n in ipairs{"collectgarbage", "dofile", "load", "loadfile", "loadstring",
        "newproxy", "print", "pcall", "require"} do
        print(n, type(_G[n]))
    end
    for _, n in ipairs{"getenv", "execute", "exit", "remove", "rename", "setlocale",
        "tmpname", "time", "date", "clock", "difftime"} do
        print("os." .. n, type(os[n]))
    end
    print("string.dump", type(string.dump))
    for _, m in ipairs{"io", "coroutine"} do
        local ok, err = pcall(require, m)
        print("require " .. m, ok, errtext(err))
        print("global " .. m, type(_G[m]))
    end
    return 0
end

function timer_event()
end
