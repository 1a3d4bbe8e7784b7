package atomicfile

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

// TempInfix separates a file's name from the random suffix of its temp
// file: "input.x.cp.tmp-3kq9z".
const TempInfix = ".tmp-"

// createTries is how many temp names Write tries before giving up; with 64
// random bits a second try is already next to impossible.
const createTries = 100

// FS is the seam every step of a replace goes through, so that tests can
// make any of them fail. OS is the real file system.
type FS interface {
	// OpenFile opens a file as os.OpenFile does.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Rename renames a file as os.Rename does.
	Rename(oldpath, newpath string) error
	// Remove removes a file as os.Remove does.
	Remove(name string) error
	// SyncDir fsyncs a directory (see the package function SyncDir).
	SyncDir(dir string) error
}

// File is the part of *os.File a replace uses.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// OS is the real file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil File
	}
	return f, nil
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) SyncDir(dir string) error { return SyncDir(dir) }

// SyncDir fsyncs a directory, so that a file created, renamed or removed in
// it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Write replaces path with what write writes, through fsys, in the steps
// the package documentation lists; perm is the new file's mode before
// umask. write streams the content into the writer it is given, so a large
// file need not be built in memory; a write error is reported even if
// write drops it.
//
// replaced reports that the rename happened, so path holds the new
// content: always when err is nil, and with an error only when the final
// directory fsync failed. In every other failure the temp file is removed
// and path is untouched. An error write returns is passed through as is.
func Write(fsys FS, path string, perm os.FileMode, write func(io.Writer) error) (replaced bool, err error) {
	tmp, f, err := createTemp(fsys, path, perm)
	if err != nil {
		return false, fmt.Errorf("create temp file: %w", err)
	}
	w := &checkedWriter{f: f}
	err = write(w)
	if err == nil {
		err = w.err
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, path)
	}
	if err != nil {
		_ = fsys.Remove(tmp) // best effort: the step's error is the one to report, and nothing reads temp files
		return false, err
	}
	return true, fsys.SyncDir(filepath.Dir(path))
}

// createTemp creates a new temp file beside path.
func createTemp(fsys FS, path string, perm os.FileMode) (string, File, error) {
	var err error
	for range createTries {
		tmp := path + TempInfix + strconv.FormatUint(rand.Uint64(), 36)
		var f File
		f, err = fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			return tmp, f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return "", nil, err
}

// checkedWriter turns a short write without an error into io.ErrShortWrite
// and keeps the first error, so that Write reports it even if the caller's
// write function drops it. After an error it writes nothing more.
type checkedWriter struct {
	f   File
	err error
}

func (w *checkedWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	w.err = err
	return n, err
}

// WriteFile replaces path with data on the real file system (see Write).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	_, err := Write(OS, path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	return err
}

// Remove deletes path through fsys and fsyncs its directory, so that the
// removal survives a crash. A missing file is not an error (and no fsync
// is done).
func Remove(fsys FS, path string) error {
	err := fsys.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(path))
}

// RemoveTemps deletes the temp files in dir that Write left behind when a
// crash interrupted it, for the files whose base name match accepts, and
// returns the paths it removed. A temp file is a name of the form
// "<target>.tmp-<suffix>", suffix made of [0-9a-z] only, that is not a
// directory. Call it only when no Write into dir for those targets is
// running. It removes what it can and returns every error, joined.
func RemoveTemps(fsys FS, dir string, match func(target string) bool) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, e := range entries {
		target, ok := tempTarget(e.Name())
		if e.IsDir() || !ok || !match(target) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := fsys.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	return removed, errors.Join(errs...)
}

// tempTarget returns the name of the file that name is a temp file of,
// and whether name is a temp file at all.
func tempTarget(name string) (string, bool) {
	i := strings.LastIndex(name, TempInfix)
	if i <= 0 {
		return "", false
	}
	suffix := name[i+len(TempInfix):]
	if strings.ContainsFunc(suffix, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'z')
	}) {
		return "", false
	}
	return name[:i], true
}
