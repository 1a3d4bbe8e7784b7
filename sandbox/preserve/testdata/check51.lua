-- Run by the Go tests with a stock Lua 5.1:
--   lua5.1 check51.lua compare.lua <setup file> <state file>
-- Restores the state file as the reference would (plain dofile) and checks
-- the globals it set against the state the setup code builds.
local check = dofile(arg[1])
local f = assert(io.open(arg[2], "rb"))
local setup = f:read("*a")
f:close()
local host = {}
for k in pairs(_G) do host[k] = true end
dofile(arg[3])
local got = {}
for k, v in pairs(_G) do
    if not host[k] then got[k] = v end
end
check(setup, got)
io.write("ok\n")
