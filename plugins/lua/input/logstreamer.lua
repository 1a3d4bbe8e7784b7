-- logstreamer.lua: tails every log stream under log_directory, following
-- rotations, with each stream's position kept in the plugin's checkpoint
-- (Heka's LogstreamerInput, rebuilt on the sightline.logstreamer module).
--
-- instruction_limit = 0 (a continuous input). The options are read by the
-- module (see the README): log_directory, file_match, priority,
-- differentiator, translation, oldest_duration, rescan_interval,
-- check_data_interval, initial_tail, hostname, journal_directory,
-- delimiter, keep_delimiter, record_start, record_end, decoder_module,
-- default_headers, send_decode_failures, source_fields, lost_position,
-- read_to_end.

local logstreamer = require "sightline.logstreamer"

-- Reads and checks the options, resolves the decoder, scans the log
-- directory: a bad config stops the plugin here, naming the key.
local streams = logstreamer.new(read_config)

function process_message(checkpoint)
    streams:restore(checkpoint)         -- every stream's journal, or Heka's
    while is_running() do
        -- Read what is new in every stream; each batch is injected and
        -- then the journal of every stream becomes the checkpoint.
        if not streams:poll() then
            if streams:read_to_end() then break end -- run -once: all read
            streams:wait()              -- check_data_interval
        end
    end
    streams:close()
    return 0
end
