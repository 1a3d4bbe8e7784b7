package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sightline/sightline/config"
)

// ErrWritable says a directory or file sightline loads plugins from may be
// changed by users other than its owner. Input and output plugins can run
// commands (io.popen, os.execute), so whoever can write a plugin's code or
// config runs commands as the daemon.
var ErrWritable = errors.New("runner: writable by group or others")

// writableBits are the mode bits that make a file changeable by users
// other than its owner.
const writableBits fs.FileMode = 0o022

// checkPermissions refuses to start when sandbox_run_path or
// sandbox_load_path, one of their input, analysis and output directories,
// or a plugin file in those (*.cfg, *.toml, *.lua) is writable by group
// or others. The error names the key and the path.
func checkPermissions(m *config.Main) error {
	for _, k := range []struct{ key, dir string }{
		{"sandbox_run_path", m.SandboxRunPath},
		{"sandbox_load_path", m.SandboxLoadPath},
	} {
		if k.dir == "" {
			continue
		}
		paths := []string{k.dir}
		for _, typ := range pluginTypes {
			dir := filepath.Join(k.dir, typ.String())
			paths = append(paths, dir)
			entries, err := os.ReadDir(dir)
			if err != nil {
				return m.ErrorAt(k.key, err)
			}
			for _, e := range entries {
				if isPluginFile(e.Name()) {
					paths = append(paths, filepath.Join(dir, e.Name()))
				}
			}
		}
		for _, p := range paths {
			if err := checkWritable(p); err != nil {
				return m.ErrorAt(k.key, err)
			}
		}
	}
	return nil
}

// checkWritable returns an ErrWritable error when path (followed if a
// symbolic link) is writable by group or others. A path that vanished
// meanwhile is no error.
func checkWritable(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&writableBits != 0 {
		return fmt.Errorf("%w: %s (mode %04o); plugins can run commands, so sightline loads none from a file or directory that others than its owner can change (chmod go-w %s)",
			ErrWritable, path, perm, path)
	}
	return nil
}

// isPluginFile reports whether a file name is a plugin config or Lua
// source.
func isPluginFile(name string) bool {
	switch filepath.Ext(name) {
	case ".cfg", ".toml", ".lua":
		return true
	}
	return false
}
