-- Returns check(setup, got): runs the Lua source setup in a fresh
-- environment and raises an error unless got (a table of restored globals)
-- holds the same data: equal strings and booleans, numbers equal bit for
-- bit in meaning (NaN matches NaN, -0 does not match 0), the same keys,
-- and the same sharing (two paths reach one table in got exactly when they
-- reach one table in the expected state). Runs in Lua 5.1 and gopher-lua.

local function same_number(a, b)
    if a ~= a then return b ~= b end
    if a == 0 and b == 0 then return 1 / a == 1 / b end
    return a == b
end

local function show(k)
    if type(k) == "string" then return string.format("%q", k) end
    return tostring(k)
end

local function compare(exp, got, path, fwd, back)
    if type(exp) ~= type(got) then
        error(path .. ": type " .. type(got) .. ", want " .. type(exp), 0)
    end
    if type(exp) == "number" then
        if not same_number(exp, got) then
            error(path .. ": " .. tostring(got) .. ", want " .. tostring(exp), 0)
        end
        return
    end
    if type(exp) ~= "table" then
        if exp ~= got then error(path .. ": " .. show(got) .. ", want " .. show(exp), 0) end
        return
    end
    if fwd[exp] ~= nil or back[got] ~= nil then
        if not rawequal(fwd[exp], got) or not rawequal(back[got], exp) then
            error(path .. ": sharing differs", 0)
        end
        return
    end
    fwd[exp], back[got] = got, exp
    for k, v in pairs(exp) do
        local g = rawget(got, k)
        if g == nil then error(path .. "[" .. show(k) .. "]: missing", 0) end
        compare(v, g, path .. "[" .. show(k) .. "]", fwd, back)
    end
    for k in pairs(got) do
        if rawget(exp, k) == nil then error(path .. "[" .. show(k) .. "]: unexpected", 0) end
    end
end

return function(setup, got)
    local env = setmetatable({}, {__index = _G})
    local f = assert(loadstring(setup, "setup"))
    setfenv(f, env)
    f()
    setmetatable(env, nil)
    compare(env, got, "_G", {}, {})
end
