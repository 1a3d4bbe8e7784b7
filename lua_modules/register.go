package luamodules

// The Go modules, each registering itself with the sandbox (and, for a
// decoder, with package decoder) in its init function. One line each.
import (
	_ "github.com/sightline/sightline/lua_modules/cjson"
	_ "github.com/sightline/sightline/lua_modules/clf"
	_ "github.com/sightline/sightline/lua_modules/datetime"
	_ "github.com/sightline/sightline/lua_modules/decoder"
	_ "github.com/sightline/sightline/lua_modules/fileout"
	_ "github.com/sightline/sightline/lua_modules/hekatcp"
	_ "github.com/sightline/sightline/lua_modules/httpout"
	_ "github.com/sightline/sightline/lua_modules/logstreamer"
	_ "github.com/sightline/sightline/lua_modules/procexec"
	_ "github.com/sightline/sightline/lua_modules/stdcodec"
	_ "github.com/sightline/sightline/lua_modules/syslog"
)
