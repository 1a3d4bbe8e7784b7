package cursor

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
)

// filePerm is the mode of cursor files, dirPerm of the cursors directory
// (the reference's 0750 for what it creates).
const (
	filePerm = 0o640
	dirPerm  = 0o750
)

// tempInfix separates a file's name from the random suffix of its temp
// file: "input.gen.cp.tmp-3kq9z".
const tempInfix = ".tmp-"

// fileSys is the seam every cursor write goes through, so tests can make
// any step of an atomic replace fail.
type fileSys interface {
	openFile(name string, flag int, perm os.FileMode) (file, error)
	rename(oldpath, newpath string) error
	remove(name string) error
	syncDir(dir string) error
}

// file is the part of *os.File an atomic write uses.
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

// WriteFileAtomic replaces path with data so that after a crash path holds
// either its old content or data, never a mix: it writes a temp file in the
// same directory ("<name>.tmp-<random>", created with perm before umask),
// fsyncs and closes it, renames it over path and fsyncs the directory. On
// any failure the temp file is removed and path is left as it was (unless
// only the final directory fsync failed: then path has the new content but
// it may not survive a crash).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFileAtomic(osFS{}, path, data, perm)
}

func writeFileAtomic(fsys fileSys, path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(fsys, path, data, perm)
	if err != nil {
		return err
	}
	if err := renameTemp(fsys, tmp, path); err != nil {
		return err
	}
	if err := fsys.syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("cursor: write %s: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a new temp file beside path, fsyncs and closes
// it, and returns its name. On failure nothing is left behind.
func writeTemp(fsys fileSys, path string, data []byte, perm os.FileMode) (tmp string, err error) {
	var f file
	for range 100 {
		tmp = path + tempInfix + strconv.FormatUint(rand.Uint64(), 36)
		f, err = fsys.openFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("cursor: write %s: create temp file: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = fsys.remove(tmp) // best effort; the write error is what matters
			err = fmt.Errorf("cursor: write %s: %w", path, err)
		}
	}()
	n, err := f.Write(data)
	if err == nil && n < len(data) {
		err = io.ErrShortWrite
	}
	if err != nil {
		_ = f.Close() // already failing; report the write error
		return tmp, err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // already failing; report the sync error
		return tmp, err
	}
	return tmp, f.Close()
}

// renameTemp moves a written temp file over path, removing it on failure.
func renameTemp(fsys fileSys, tmp, path string) error {
	if err := fsys.rename(tmp, path); err != nil {
		_ = fsys.remove(tmp) // best effort; the rename error is what matters
		return fmt.Errorf("cursor: write %s: %w", path, err)
	}
	return nil
}

// Save writes s to the cursor file at path atomically (see WriteFileAtomic).
// It refuses an invalid state (ErrCheckpointTooLarge, ErrInvalidQueue, ...)
// without touching the file.
func Save(path string, s State) error {
	data, err := appendState(nil, s)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, data, filePerm)
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
	return remove(osFS{}, path)
}

func remove(fsys fileSys, path string) error {
	err := fsys.remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cursor: remove: %w", err)
	}
	if err := fsys.syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("cursor: remove %s: %w", path, err)
	}
	return nil
}

// removeTemps deletes the temp files a crash left in dir
// ("<type>.<name>.cp.tmp-<random>") and returns their names.
func removeTemps(fsys fileSys, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cursor: clean %s: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		if e.IsDir() || !strings.Contains(e.Name(), ".cp"+tempInfix) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := fsys.remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("cursor: clean %s: %w", dir, err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}
