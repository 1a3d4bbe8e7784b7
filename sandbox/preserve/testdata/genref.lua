-- Writes reference.data (run: lua5.1 genref.lua reference.data): the
-- reference's preserve_data format, with strings quoted by Lua 5.1's own
-- %q as lua_sandbox does, including the lines of the spec's §4.12 example.
local all = {}
for i = 0, 255 do all[#all + 1] = string.char(i) end
all = table.concat(all)
local out = assert(io.open(arg[1], "wb"))
local function w(s) out:write(s, "\n") end
w('if _PRESERVATION_VERSION and _PRESERVATION_VERSION ~= 0 then return end')
w('_G["total"] = 50')
w('_G["kvp"] = {}')
w('_G["kvp"]["a"] = "foo"')
w('_G["empty_array"] = {nil}')
w('_G["cycleb"] = {}')
w('_G["cycleb"]["a"] = {}')
w('_G["cycleb"]["a"]["b"] = _G["cycleb"]')
w('_G["cycleb"]["a"]["type"] = "cycle a"')
w('_G["cycleb"]["type"] = "cycle b"')
w('_G["cyclea"] = _G["cycleb"]["a"]          -- shared references preserved')
w('_G["inf"] = 1/0      -- nan → 0/0, -inf → -1/0')
w('_G["ninf"] = -1/0')
w('_G["nan"] = 0/0')
w('_G["rate"] = 0.12345678')
w('_G["rates"] = {}')
w('_G["rates"][1] = 99.1')
w('_G["rates"][2] = 98')
w('_G["rates"]["key"] = "val"')
w('_G["all_bytes"] = ' .. string.format("%q", all))
w('_G["keys"] = {}')
w('_G["keys"][' .. string.format("%q", "k\0\n\r\"\\\255") .. '] = true')
w('_G["key with spaces"] = "kws"')
w('_G["boolean"] = false')
w('_G["_VERSION"] = "Lua 5.1"')
out:close()
