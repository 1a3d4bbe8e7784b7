-- add_to_payload (spec §4.3): strings as they are, booleans, nil as "nil",
-- numbers: integers without decimals, others with up to 8 fractional
-- digits (trailing zeros dropped), outside the int32 range "%.17g".
function process_message()
    return 0
end

function timer_event()
    add_to_payload("s", "|", 1, "|", -1, "|", 0, "|", 0.5, "|", 1 / 3, "|", -2.25, "|",
        123.456789012, "|", 0.1, "|", 1e-9, "|", 2147483647, "|", -2147483648, "|",
        2147483648, "|", -2147483649, "|", 1e15, "|", 1e300, "|", 2^53 + 0.5, "|",
        1 / 0, "|", -1 / 0, "|", true, "|", false, "|", nil)
    add_to_payload("|", "end")
    inject_payload("txt", "numbers")
end
