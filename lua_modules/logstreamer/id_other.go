//go:build !unix

package logstreamer

import "io/fs"

// fileID returns 0, 0, 1 where files have no device and inode: files are
// then told apart by their content hash alone.
func fileID(fs.FileInfo) (dev, ino uint64, nlink uint64) { return 0, 0, 1 }
