-- print formats numbers as tostring does (the reference calls tostring on
-- each argument): Lua 5.1's "%.14g", infinities as inf and -inf.
function process_message()
    print(1 / 0, -1 / 0, 2^53, 1e15, 0.1, 123456789012345678, -0.5)
    print(tostring(1 / 0), tostring(-1 / 0), tostring(2^53))
    return 0
end
