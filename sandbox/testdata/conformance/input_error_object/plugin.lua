-- An error value that is not a string has no message: the reason is
-- "process_message() <nil error message>".
function process_message()
    error({code = 1})
end
