-- An inject_message failure not caught terminates the plugin (spec §3.5),
-- with the reason in the reference's form: function, chunk and line.
function process_message()
    inject_message({Fields = {a = {1, "x"}}})
    return 0
end
