# sightline cursor
version 1
queue analysis 0:0
queue input 0:1837
end
