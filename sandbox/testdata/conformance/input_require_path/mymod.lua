-- A module found on the plugin's path (read_config("path")).
local M = {}
function M.hello() return "hello from mymod" end
loads = (loads or 0) + 1
return M
