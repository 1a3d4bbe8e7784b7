//go:build unix

package logstreamer

import (
	"io/fs"
	"syscall"
)

// fileID returns the device and inode of a file, and its link count.
func fileID(fi fs.FileInfo) (dev, ino uint64, nlink uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino), uint64(st.Nlink)
	}
	return 0, 0, 1
}
