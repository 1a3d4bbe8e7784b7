package preserve

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// filePerm is the mode of state files (before umask).
const filePerm = 0o640

// tempInfix separates a state file's name from the random suffix of the
// temp file a save writes first: "analysis.counter.data.tmp-3kq9z".
const tempInfix = ".tmp-"

// badInfix separates a state file's name from the time it was moved aside:
// "analysis.counter.data.bad-20240501T101502.123456789Z".
const badInfix = ".bad-"

// badTimeLayout is the UTC time in a moved-aside file's name: sortable and
// free of characters that need quoting in a shell.
const badTimeLayout = "20060102T150405.000000000Z"

// fileSys is the seam every state-file change goes through, so tests can
// make any step of a save fail.
type fileSys interface {
	openFile(name string, flag int, perm os.FileMode) (file, error)
	rename(oldpath, newpath string) error
	remove(name string) error
	syncDir(dir string) error
}

// file is the part of *os.File a save uses.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

// osFS is the real file system.
type osFS struct{}

func (osFS) openFile(name string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (osFS) rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func (osFS) remove(name string) error { return os.Remove(name) }

func (osFS) syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close() // the Sync error is the one to report
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return d.Close()
}

// writeAtomic replaces path with what write produces: it streams into a
// new temp file beside path, fsyncs and closes it, renames it over path
// and fsyncs the directory. On failure the temp file is removed; replaced
// tells whether path already holds the new content (only the directory
// fsync failed).
//
// This is the same discipline as cursor.WriteFileAtomic, kept here because
// a state is streamed from the Lua state rather than built in memory (it
// can be large), and so the sandbox does not depend on the cursor package.
func writeAtomic(fsys fileSys, path string, write func(io.Writer) error) (replaced bool, err error) {
	var f file
	var tmp string
	for range 100 {
		tmp = path + tempInfix + strconv.FormatUint(rand.Uint64(), 36)
		f, err = fsys.openFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return false, fmt.Errorf("create temp file: %w", err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.rename(tmp, path)
	}
	if err != nil {
		_ = fsys.remove(tmp) // best effort; the write error is what matters
		return false, err
	}
	return true, fsys.syncDir(filepath.Dir(path))
}

// removeFile deletes path and fsyncs its directory; a missing file is not
// an error.
func removeFile(fsys fileSys, path string) error {
	err := fsys.remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return fsys.syncDir(filepath.Dir(path))
}

// removeTemps deletes the temp files an interrupted save of path left
// behind. Only the plugin that owns path saves it, and never while it is
// being restored, so none of them is in use. Best effort: a leftover temp
// file is never read.
func removeTemps(fsys fileSys, path string) {
	dir, prefix := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	prefix += tempInfix
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			_ = fsys.remove(filepath.Join(dir, e.Name())) // best effort, see above
		}
	}
}

// moveAside renames a state file that failed to restore to
// "<path>.bad-<UTC time>", keeping it for inspection while the plugin
// starts clean, and returns the new name.
func moveAside(fsys fileSys, path string, now time.Time) (string, error) {
	bad := path + badInfix + now.UTC().Format(badTimeLayout)
	if err := fsys.rename(path, bad); err != nil {
		return "", err
	}
	if err := fsys.syncDir(filepath.Dir(path)); err != nil {
		return bad, err
	}
	return bad, nil
}
