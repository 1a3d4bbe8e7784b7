-- Three messages, then done (run once).
function process_message()
    for i = 1, 3 do
        inject_message({Type = "gen", Timestamp = i * 1e9, Payload = "message " .. i})
    end
    return 0
end
