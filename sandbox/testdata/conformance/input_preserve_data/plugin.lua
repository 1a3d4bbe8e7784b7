-- preserve_data (spec §4.12): on a clean stop the globals are saved
-- (strings, numbers, booleans, plain tables; not functions, not required
-- modules, not locals) and restored at the next start after the plugin's
-- file has run, overwriting its initialisations. _PRESERVATION_VERSION
-- goes into the guard line, not into the data.
require "string"
require "table"

_PRESERVATION_VERSION = 3
count = 0
name = "x"
t = {a = 1, nested = {b = "two"}, list = {1, 2, 3}}
flag = true
big = 1 / 0
quote = "it's \"q\""
fn = function() end
local not_saved = "local"

function process_message()
    count = count + 1
    name = name .. "y"
    t.a = t.a + 1
    print("count", count, "name", name, "t.a", t.a, "t.nested.b", t.nested.b,
        "#t.list", #t.list, "flag", flag, "big", tostring(big), "quote ok", quote == "it's \"q\"",
        "version", _PRESERVATION_VERSION)
    return 0
end
