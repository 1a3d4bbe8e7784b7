-- inject_message with hash-form Fields (spec §4.7): each value type, a
-- value_type/representation object, arrays of each type.
function process_message()
    inject_message({Type = "hash", Fields = {
        str      = "s",
        num      = 1.5,
        int      = {value = 3.7, value_type = 2},
        neg      = {value = -3.7, value_type = 2},
        dbl      = {value = 2, value_type = 3, representation = "s"},
        bool     = true,
        bytes    = {value = "\0\1\255", value_type = 1},
        repr     = {value = "10.0.0.1", representation = "ipv4"},
        strs     = {"a", "b", "c"},
        nums     = {1, 2.5},
        ints     = {value = {1, 2, 300}, value_type = 2, representation = "count"},
        bools    = {true, false},
        byteses  = {value = {"x", "y"}, value_type = 1},
        one      = {value = {7}, value_type = 2},
    }})
    return 0
end
