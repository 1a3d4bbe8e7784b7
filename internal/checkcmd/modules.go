package checkcmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sightline/sightline/config"
	_ "github.com/sightline/sightline/lua_modules" // the binary's embedded modules, which FindModule sees
	"github.com/sightline/sightline/sandbox"
)

// resolution is where a require leads: a file of the Lua path to check,
// or a problem to report (or neither: provided by the binary).
type resolution struct {
	file    string
	problem string
}

// resolve says where require(name) leads for a plugin of type typ whose
// Lua path is luaPath (resolved; pathKey names its main config key). The
// sandbox's own search (sandbox.FindModule) decides; nothing is run.
func resolve(name string, typ config.PluginType, luaPath, pathKey string) resolution {
	m, err := sandbox.FindModule(name, typ, luaPath)
	var nf *sandbox.ModuleNotFoundError
	switch {
	case err == nil:
		return resolution{file: m.File}
	case errors.Is(err, sandbox.ErrModuleDisabled):
		return resolution{problem: fmt.Sprintf("module '%s' disabled for %s plugins", name, typ)}
	case !errors.As(err, &nf):
		return resolution{problem: err.Error()}
	}
	where := "not on " + pathKey
	if len(nf.Tried) > 0 {
		shown := make([]string, len(nf.Tried))
		for i, f := range nf.Tried {
			shown[i] = display(f)
		}
		where += ": " + strings.Join(shown, ", ")
	} else {
		where += " (empty)"
	}
	if typ == config.Analysis && providedBy(name, config.Input) {
		return resolution{problem: fmt.Sprintf("module '%s' is for input and output plugins only (%s)", name, where)}
	}
	return resolution{problem: fmt.Sprintf("module '%s' not provided for %s plugins (no standard library, Go module or embedded module; %s)", name, typ, where)}
}

// providedBy reports whether the binary itself (a standard library, a Go
// module, an embedded module) provides name to plugins of type typ.
func providedBy(name string, typ config.PluginType) bool {
	_, err := sandbox.FindModule(name, typ, "")
	return err == nil
}

// isStdLib reports whether name is a standard library (input plugins get
// them all).
func isStdLib(name string) bool {
	m, err := sandbox.FindModule(name, config.Input, "")
	return err == nil && m.Kind == sandbox.ModuleStd
}
