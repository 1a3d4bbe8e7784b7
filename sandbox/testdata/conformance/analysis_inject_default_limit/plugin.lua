-- process_message_inject_limit defaults to 0 (spec §4.3, Appendix A #6):
-- an analysis plugin cannot inject from process_message, and the failure
-- terminates it [verified .err text in spec §2.8].
function process_message()
    inject_message({Type = "not allowed"})
    return 0
end

function timer_event()
end
