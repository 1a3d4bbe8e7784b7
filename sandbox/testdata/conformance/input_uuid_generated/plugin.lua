-- Generated Uuids (spec §4.7): 16 random bytes with byte 6 high nibble 4
-- and byte 8 high nibble 0xA. 64 messages, so that a wrong variant shows.
function process_message()
    for i = 1, 64 do inject_message({Type = "u"}) end
    return 0
end
