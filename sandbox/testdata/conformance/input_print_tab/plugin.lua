-- A tab inside an argument is a non-printable character like any other
-- (isprint('\t') is false): it becomes a space; only the separators
-- between arguments are tabs.
function process_message()
    print("a\tb", "c")
    return 0
end
