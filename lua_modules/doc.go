// Package luamodules is what plugins require beyond the standard
// libraries: modules written in Lua, embedded in the binary from the lua
// directory, and (added by later work) modules written in Go. Importing
// the package registers them with the sandbox:
//
//	import _ "github.com/sightline/sightline/lua_modules"
//
// Module "a.b" is lua/modules/a/b.lua, available to every plugin, or
// lua/io_modules/a/b.lua, available to input and output plugins only (the
// reference's two module directories). See sandbox.RegisterLuaModules for
// where they come in require's search order.
package luamodules
