-- Only the base library is loaded (spec §4.1): string, table, math, os, io
-- and coroutine come with require, which also makes them globals. math has
-- erf and erfc. The time zone is UTC. package is not exposed.
print("before", type(string), type(table), type(math), type(os), type(io), type(coroutine))
for _, name in ipairs{"string", "table", "math", "os", "io", "coroutine"} do
    local lib = require(name)
    print(name, type(lib), lib == _G[name], require(name) == lib)
end
print("after", type(string), type(table), type(math), type(os), type(io), type(coroutine))
print("math.erf", math.erf(0), math.erf(1) > 0.84, "math.erfc", math.erfc(0))
print("os.date", os.date("%Y-%m-%d %H:%M:%S", 0), os.date("!%H", 3600))
print("package", type(package))

function process_message()
    return 0
end
