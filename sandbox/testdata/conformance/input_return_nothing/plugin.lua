-- No return value is a nil status: the plugin is terminated (spec §3.5).
function process_message()
end
