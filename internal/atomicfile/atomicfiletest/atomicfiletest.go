// Package atomicfiletest provides an atomicfile.FS that makes one chosen
// step of a replace fail, for tests of code that writes through
// atomicfile.
package atomicfiletest

import (
	"errors"
	"io"
	"os"
	"sync"

	"github.com/sightline/sightline/internal/atomicfile"
)

// ErrInjected is the error a failing step returns.
var ErrInjected = errors.New("atomicfiletest: injected fault")

// Step names a step an FS can make fail.
type Step string

// The steps. Write and Short let FS.Accept bytes of each file through
// first; Close closes the file and then reports the error.
const (
	None    Step = ""        // nothing fails
	Open    Step = "open"    // OpenFile fails
	Write   Step = "write"   // Write fails
	Short   Step = "short"   // Write takes fewer bytes than given, without an error
	Sync    Step = "sync"    // File.Sync fails
	Close   Step = "close"   // File.Close fails
	Rename  Step = "rename"  // Rename fails
	SyncDir Step = "syncdir" // SyncDir fails
	Remove  Step = "remove"  // Remove fails
)

// WriteSteps lists the steps of atomicfile.Write, in order, each of which
// makes it fail.
var WriteSteps = []Step{Open, Write, Short, Sync, Close, Rename, SyncDir}

// Err returns the error a write through atomicfile reports when step
// fails: io.ErrShortWrite for Short, nil for None, else ErrInjected.
func (s Step) Err() error {
	switch s {
	case None:
		return nil
	case Short:
		return io.ErrShortWrite
	}
	return ErrInjected
}

// FS is Base with one step made to fail (none at first). It counts the
// calls it passes on to Base. It is safe for concurrent use.
type FS struct {
	// Base is the file system under the faults; nil means atomicfile.OS.
	Base atomicfile.FS
	// Accept is how many bytes of each file a Write or Short fault lets
	// through before it strikes.
	Accept int

	mu     sync.Mutex
	fail   Step
	counts map[Step]int
}

// New returns an FS over atomicfile.OS that fails step.
func New(step Step) *FS {
	return &FS{fail: step}
}

// Fail makes step fail from now on; None heals the FS.
func (f *FS) Fail(step Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = step
}

// Count returns how many Open, Rename, Remove or SyncDir calls were passed
// on to Base (a failed step is not).
func (f *FS) Count(step Step) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[step]
}

// fails reports whether step is the one to fail; otherwise, for the calls
// Count counts, it counts one.
func (f *FS) fails(step Step) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == step {
		return true
	}
	if f.counts == nil {
		f.counts = make(map[Step]int)
	}
	f.counts[step]++
	return false
}

func (f *FS) base() atomicfile.FS {
	if f.Base == nil {
		return atomicfile.OS
	}
	return f.Base
}

// OpenFile implements atomicfile.FS.
func (f *FS) OpenFile(name string, flag int, perm os.FileMode) (atomicfile.File, error) {
	if f.fails(Open) {
		return nil, ErrInjected
	}
	file, err := f.base().OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

// Rename implements atomicfile.FS.
func (f *FS) Rename(oldpath, newpath string) error {
	if f.fails(Rename) {
		return ErrInjected
	}
	return f.base().Rename(oldpath, newpath)
}

// Remove implements atomicfile.FS.
func (f *FS) Remove(name string) error {
	if f.fails(Remove) {
		return ErrInjected
	}
	return f.base().Remove(name)
}

// SyncDir implements atomicfile.FS.
func (f *FS) SyncDir(dir string) error {
	if f.fails(SyncDir) {
		return ErrInjected
	}
	return f.base().SyncDir(dir)
}

// faultFile is one file opened through an FS.
type faultFile struct {
	atomicfile.File
	fs      *FS
	written int
}

func (f *faultFile) failing(step Step) bool {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return f.fs.fail == step
}

func (f *faultFile) Write(p []byte) (int, error) {
	fault := f.failing(Write)
	if !fault && !f.failing(Short) {
		n, err := f.File.Write(p)
		f.written += n
		return n, err
	}
	room := max(f.fs.Accept-f.written, 0)
	n, err := f.File.Write(p[:min(len(p), room)])
	f.written += n
	if err == nil && n < len(p) && fault {
		err = ErrInjected
	}
	return n, err
}

func (f *faultFile) Sync() error {
	if f.failing(Sync) {
		return ErrInjected
	}
	return f.File.Sync()
}

func (f *faultFile) Close() error {
	err := f.File.Close()
	if f.failing(Close) {
		return ErrInjected
	}
	return err
}
