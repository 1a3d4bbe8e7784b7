-- print(...) (spec §4.2): the arguments through tostring, tab-joined,
-- non-printable characters replaced by spaces, logged at debug level.
print("at load time")

function process_message()
    print("a", 1, 1.5, -0.25, 1e100, true, false, nil)
    print("line1\nline2\rcr\0nul\127del\1ctl")
    print(setmetatable({}, {__tostring = function() return "custom" end}))
    print("x", nil, "y")
    return 0
end
