-- A field array whose elements are tables is refused: the reference says
-- "unsupported array type: table".
require "string"

function process_message()
    local ok, err = pcall(inject_message, {Fields = {a = {{1}}}})
    print("array of tables", ok, (tostring(err):gsub("^.-plugin%.lua:%d+: ", "")))
    return 0
end
