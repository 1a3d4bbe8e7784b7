//go:build unix

package procexec

import "io"

// SetStdinFD makes procexec.stdin read fd, for tests outside the package;
// the returned function restores it.
func SetStdinFD(fd int) (restore func()) {
	old := stdinFD
	stdinFD = fd
	return func() { stdinFD = old }
}

// NewTestReader returns a reader of records from r.
func NewTestReader(r io.Reader, delim []byte, max int) *FDReader {
	return newReader(r.Read, delim, max)
}
