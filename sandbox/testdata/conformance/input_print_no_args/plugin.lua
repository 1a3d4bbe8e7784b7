-- print() without arguments logs nothing (the reference returns before
-- logging when it has no argument).
function process_message()
    print()
    print("after")
    return 0
end
