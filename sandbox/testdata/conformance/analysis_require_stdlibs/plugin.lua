-- The standard libraries an analysis plugin may require: string, table,
-- math, os (spec §4.1).
print("before", type(string), type(table), type(math), type(os))
for _, name in ipairs{"string", "table", "math", "os"} do
    local lib = require(name)
    print(name, type(lib), lib == _G[name])
end

function process_message()
    print(string.format("%5.2f", math.pi), table.concat({"a", "b"}, ","), os.date("%Y", 0))
    return 0
end

function timer_event()
end
