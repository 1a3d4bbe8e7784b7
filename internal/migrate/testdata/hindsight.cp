_G['input'] = '3:725'                       -- input queue writer position  (file id : offset)
_G['analysis'] = '0:411'                    -- analysis queue writer position
_G['input->analysis0'] = '3:725'            -- analysis thread 0 cursor on the input queue
_G['input->analysis1'] = '3:725'
_G['input->output.out'] = '3:725'           -- output plugin "out", input-queue cursor
_G['analysis->output.out'] = '0:411'        -- output plugin "out", analysis-queue cursor
_G['input.gen'] = 50                        -- input plugin "gen" own checkpoint (number)
_G['input.tail'] = '1234567:8910'           -- input plugin own checkpoint (string)
