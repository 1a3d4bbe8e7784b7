package preserve

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/sightline/sightline/internal/atomicfile"
)

// Path returns the state file of a plugin, "<outputPath>/<type>.<name>.data"
// as in the reference; pluginType is input, analysis or output.
func Path(outputPath, pluginType, name string) string {
	return filepath.Join(outputPath, pluginType+"."+name+".data")
}

// SaveOptions adjusts Save. The zero value is ready to use.
type SaveOptions struct {
	// Skip reports whether a global belongs to the host rather than to the
	// plugin, so that it is not saved: library tables, the sandbox API,
	// _VERSION. Host globals must be skipped by name because some of them
	// look like plugin data (math holds pi and huge), and restoring them
	// would replace the host's values. Use HostGlobals to capture them
	// when the state is created. Nil skips the globals a fresh gopher-lua
	// state defines (StandardGlobal).
	Skip func(name string) bool
}

// Save writes the plugin's global data in L to the state file at path, in
// the reference's Lua format (see the package documentation), replacing
// the file atomically. It reads L without running any Lua code; call it
// from the goroutine that owns L, after the plugin stopped cleanly, and
// never for a plugin that was terminated or abandoned at a shutdown
// deadline (its Lua code may still be running, and its previous file must
// be kept).
//
// A failed save removes the previous state file, as the reference does:
// that file no longer describes the plugin's state, so the plugin starts
// clean next time rather than from an older state than it had. The
// returned error says whether the removal failed too. The one exception is
// a failure of the final directory fsync: the new file is then in place
// and is kept.
func Save(L *lua.LState, path string, opts SaveOptions) error {
	return save(atomicfile.OS, L, path, opts)
}

func save(fsys atomicfile.FS, L *lua.LState, path string, opts SaveOptions) error {
	skip := opts.Skip
	if skip == nil {
		skip = StandardGlobal
	}
	removeTemps(fsys, path)
	replaced, err := atomicfile.Write(fsys, path, filePerm, func(w io.Writer) error {
		return encode(w, L.G.Global, skip)
	})
	if err == nil {
		return nil
	}
	if replaced {
		return fmt.Errorf("preserve: save %s: %w", path, err)
	}
	if rerr := atomicfile.Remove(fsys, path); rerr != nil {
		return fmt.Errorf("preserve: save %s: %w (removing the old state file failed too: %w)", path, err, rerr)
	}
	return fmt.Errorf("preserve: save %s: %w (old state file removed)", path, err)
}

// HostGlobals captures the names of the globals L holds now and returns a
// SaveOptions.Skip that skips them. Call it once the host has set up the
// plugin's environment and before the plugin's own code runs. A plugin that
// assigns one of these names keeps it unsaved.
func HostGlobals(L *lua.LState) func(name string) bool {
	names := globalNames(L)
	return func(name string) bool { return names[name] }
}

// StandardGlobal reports whether name is one of the globals lua.NewState
// defines with all its libraries open (_G, _VERSION, string, math,
// package, print, ...).
func StandardGlobal(name string) bool {
	return standardGlobals()[name]
}

var standardGlobals = sync.OnceValue(func() map[string]bool {
	L := lua.NewState()
	defer L.Close()
	return globalNames(L)
})

func globalNames(L *lua.LState) map[string]bool {
	names := make(map[string]bool)
	L.G.Global.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); ok {
			names[string(s)] = true
		}
	})
	return names
}
