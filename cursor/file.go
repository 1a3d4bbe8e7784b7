package cursor

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/sightline/sightline/internal/atomicfile"
)

// filePerm is the mode of cursor files, dirPerm of the cursors directory
// (the reference's 0750 for what it creates).
const (
	filePerm = 0o640
	dirPerm  = 0o750
)

// Save writes s to the cursor file at path, replacing it atomically (see
// the package documentation). It refuses an invalid state
// (ErrCheckpointTooLarge, ErrInvalidQueue, ...) without touching the file.
func Save(path string, s State) error {
	data, err := appendState(nil, s)
	if err != nil {
		return err
	}
	return writeFile(atomicfile.OS, path, data)
}

// writeFile replaces path with data through fsys (atomicfile.Write).
func writeFile(fsys atomicfile.FS, path string, data []byte) error {
	_, err := atomicfile.Write(fsys, path, filePerm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("cursor: write %s: %w", path, err)
	}
	return nil
}

// Load reads the cursor file at path. A missing file gives (State{}, false,
// nil): the caller starts at its default. A damaged file gives a
// *CorruptError naming the file and line; the caller must not guess. Temp
// files left by a crash during a save are never read. The returned
// State.Queues is never nil.
func Load(path string) (State, bool, error) {
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("cursor: load %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return State{}, false, &CorruptError{File: path, Line: 1, Err: fmt.Errorf("file larger than %d bytes", maxFileSize)}
	}
	st, err := parse(path, data)
	if err != nil {
		return State{}, false, err
	}
	return st, true, nil
}

// readFile reads at most maxFileSize+1 bytes of path, so an absurd file is
// refused without reading it all.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // read-only: nothing to lose on close
	return io.ReadAll(io.LimitReader(f, maxFileSize+1))
}

// Remove deletes the cursor file at path and fsyncs its directory, for a
// plugin whose position must not be kept (remove_checkpoints_on_terminate).
// A missing file is not an error.
func Remove(path string) error {
	return remove(atomicfile.OS, path)
}

func remove(fsys atomicfile.FS, path string) error {
	if err := atomicfile.Remove(fsys, path); err != nil {
		return fmt.Errorf("cursor: remove %s: %w", path, err)
	}
	return nil
}

// removeTemps deletes the temp files a crash left in dir
// ("<type>.<name>.cp.tmp-<random>") and returns their names.
func removeTemps(fsys atomicfile.FS, dir string) ([]string, error) {
	removed, err := atomicfile.RemoveTemps(fsys, dir, func(target string) bool {
		return strings.HasSuffix(target, ".cp")
	})
	if err != nil {
		return removed, fmt.Errorf("cursor: clean %s: %w", dir, err)
	}
	return removed, nil
}
