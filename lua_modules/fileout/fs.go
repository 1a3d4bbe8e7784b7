package fileout

import (
	"io/fs"
	"os"

	"github.com/sightline/sightline/internal/atomicfile"
)

// FS is the seam every file operation of a Writer goes through, so that
// tests can make any of them fail or cut a write short. OS is the real
// file system.
type FS interface {
	// OpenFile opens a file as os.OpenFile does.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Mkdir creates one directory as os.Mkdir does.
	Mkdir(name string, perm fs.FileMode) error
	// Stat describes a file as os.Stat does.
	Stat(name string) (fs.FileInfo, error)
	// ReadDirNames lists the names in a directory.
	ReadDirNames(dir string) ([]string, error)
	// SyncDir fsyncs a directory, so that the names created in it survive
	// a crash.
	SyncDir(dir string) error
}

// File is the part of *os.File a Writer uses.
type File interface {
	Write(p []byte) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	ReadAt(p []byte, off int64) (int, error)
	Truncate(size int64) error
	Sync() error
	Stat() (fs.FileInfo, error)
	Close() error
}

// OS is the real file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil File
	}
	return f, nil
}

func (osFS) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }

func (osFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

func (osFS) ReadDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

func (osFS) SyncDir(dir string) error { return atomicfile.SyncDir(dir) }
