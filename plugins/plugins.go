// Package plugins holds sightline's standard plugins, the Lua files of
// lua/<type>/ embedded in the binary. A plugin config whose filename is not
// in run/<type>/ nor in <sandbox_install_path>/<type>/ gets the embedded
// file of that name, as Hindsight finds its installed sandboxes: a file
// of the same name in either directory takes precedence.
package plugins

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed lua
var files embed.FS

// Prefix starts the name under which an embedded plugin's file appears in
// messages ("embedded:input/logstreamer.lua").
const Prefix = "embedded:"

// Source returns the embedded Lua file filename for plugins of type typ
// ("input", "analysis" or "output"), and the name messages give it.
func Source(typ, filename string) (src []byte, name string, ok bool) {
	if strings.ContainsAny(filename, `/\`) || !strings.HasSuffix(filename, ".lua") {
		return nil, "", false
	}
	src, err := fs.ReadFile(files, path.Join("lua", typ, filename))
	if err != nil {
		return nil, "", false
	}
	return src, Prefix + typ + "/" + filename, true
}

// List returns the embedded plugins' files of type typ, sorted.
func List(typ string) []string {
	entries, err := fs.ReadDir(files, path.Join("lua", typ))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".lua") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// FS returns the embedded tree: <type>/<file>.lua.
func FS() fs.FS {
	f, err := fs.Sub(files, "lua")
	if err != nil {
		panic("plugins: " + err.Error()) // "lua" is embedded
	}
	return f
}
