package preserve

import (
	"path/filepath"
	"time"

	"github.com/sightline/sightline/internal/atomicfile"
)

// filePerm is the mode of state files (before umask).
const filePerm = 0o640

// badInfix separates a state file's name from the time it was moved aside:
// "analysis.counter.data.bad-20240501T101502.123456789Z".
const badInfix = ".bad-"

// badTimeLayout is the UTC time in a moved-aside file's name: sortable and
// free of characters that need quoting in a shell.
const badTimeLayout = "20060102T150405.000000000Z"

// removeTemps deletes the temp files an interrupted save of path left
// behind. Only the plugin that owns path saves it, and never while it is
// being restored, so none of them is in use. Best effort: a leftover temp
// file is never read.
func removeTemps(fsys atomicfile.FS, path string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	_, _ = atomicfile.RemoveTemps(fsys, dir, func(target string) bool { return target == base }) // best effort, see above
}

// moveAside renames a state file that failed to restore to
// "<path>.bad-<UTC time>", keeping it for inspection while the plugin
// starts clean, and returns the new name.
func moveAside(fsys atomicfile.FS, path string, now time.Time) (string, error) {
	bad := path + badInfix + now.UTC().Format(badTimeLayout)
	if err := fsys.Rename(path, bad); err != nil {
		return "", err
	}
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return bad, err
	}
	return bad, nil
}
