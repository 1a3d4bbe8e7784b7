# sightline cursor
version 1
queue analysis 0:411
queue input 3:725
checkpoint string "tail.log\x00\xff\"q\"\n"
end
