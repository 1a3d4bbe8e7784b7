package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sightline/sightline/internal/atomicfile"
)

// Segment is one file of a queue.
type Segment struct {
	ID   uint64
	Size int64
}

// SegmentPath returns the file name of segment id in dir: "<dir>/<id>.log".
func SegmentPath(dir string, id uint64) string {
	return filepath.Join(dir, strconv.FormatUint(id, 10)+".log")
}

// parseSegmentName returns the id of a file named "<id>.log" (decimal
// digits only, as the reference names them).
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, ".log")
	if !ok || digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}

// Segments lists the segments of the queue in dir in id order. A missing
// directory holds no segments.
func Segments(dir string) ([]Segment, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: list %s: %w", dir, err)
	}
	segs := make([]Segment, 0, len(entries))
	for _, e := range entries {
		id, ok := parseSegmentName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned while we listed
		}
		if err != nil {
			return nil, fmt.Errorf("queue: stat %s: %w", e.Name(), err)
		}
		segs = append(segs, Segment{ID: id, Size: info.Size()})
	}
	slices.SortFunc(segs, func(a, b Segment) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return segs, nil
}

// DiskFree returns the bytes available to an unprivileged user on the file
// system holding dir.
func DiskFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("queue: statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Lag returns how many bytes of the queue in dir lie at or after pos, as the
// files stand on disk (bytes a writer still buffers are not counted).
func Lag(dir string, pos Position) (int64, error) {
	segs, err := Segments(dir)
	if err != nil {
		return 0, err
	}
	var lag int64
	for _, s := range segs {
		switch {
		case s.ID == pos.Segment:
			if s.Size > pos.Offset {
				lag += s.Size - pos.Offset
			}
		case s.ID > pos.Segment:
			lag += s.Size
		}
	}
	return lag, nil
}

// Prune deletes the segments of the queue in dir that lie wholly before
// pos: every segment whose id is below pos.Segment. Callers pass the
// minimum of the committed cursors of every reader, never a read position.
// The newest segment is never deleted. It returns the number of segments
// and bytes removed.
func Prune(dir string, pos Position) (n int, bytes int64, err error) {
	segs, err := Segments(dir)
	if err != nil || len(segs) == 0 {
		return 0, 0, err
	}
	newest := segs[len(segs)-1].ID
	for _, s := range segs {
		if s.ID >= pos.Segment || s.ID == newest {
			break
		}
		if err := os.Remove(SegmentPath(dir, s.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, bytes, fmt.Errorf("queue: prune segment %d: %w", s.ID, err)
		}
		n++
		bytes += s.Size
	}
	if n > 0 {
		if err := atomicfile.SyncDir(dir); err != nil {
			return n, bytes, fmt.Errorf("queue: prune: sync %s: %w", dir, err)
		}
	}
	return n, bytes, nil
}
