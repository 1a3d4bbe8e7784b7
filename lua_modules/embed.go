package luamodules

import (
	"embed"
	"io/fs"

	"github.com/sightline/sightline/sandbox"
)

//go:embed lua
var files embed.FS

// FS returns the embedded modules available to every plugin: module "a.b"
// is the file "a/b.lua".
func FS() fs.FS { return sub("lua/modules") }

// IOFS returns the embedded modules for input and output plugins only.
func IOFS() fs.FS { return sub("lua/io_modules") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic("luamodules: " + err.Error()) // dir is a constant that exists
	}
	return f
}

func init() {
	sandbox.RegisterLuaModules(sandbox.LuaModules{Name: "lua_modules", FS: FS()})
	sandbox.RegisterLuaModules(sandbox.LuaModules{Name: "lua_modules/io", FS: IOFS(), IOOnly: true})
}
