package queue

import (
	"fmt"
	"strconv"
	"strings"
)

// Position names a byte in a queue: the segment id and the offset inside
// that segment. A reader's position is the byte after the last record it
// returned; a writer's position is the byte after the last record appended.
// The zero Position is the start of segment 0.
type Position struct {
	Segment uint64 // segment id, the number in "<id>.log"
	Offset  int64  // byte offset inside the segment
}

// Less reports whether p comes strictly before q.
func (p Position) Less(q Position) bool {
	if p.Segment != q.Segment {
		return p.Segment < q.Segment
	}
	return p.Offset < q.Offset
}

// Min returns the earlier of p and q.
func Min(p, q Position) Position {
	if q.Less(p) {
		return q
	}
	return p
}

// String formats p as "<segment>:<offset>", the form the reference uses in
// hindsight.cp.
func (p Position) String() string {
	return strconv.FormatUint(p.Segment, 10) + ":" + strconv.FormatInt(p.Offset, 10)
}

// ParsePosition parses the "<segment>:<offset>" form written by String.
func ParsePosition(s string) (Position, error) {
	seg, off, ok := strings.Cut(s, ":")
	if !ok {
		return Position{}, fmt.Errorf("queue: position %q: want <segment>:<offset>", s)
	}
	id, err := strconv.ParseUint(seg, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("queue: position %q: segment: %w", s, err)
	}
	o, err := strconv.ParseInt(off, 10, 64)
	if err != nil || o < 0 {
		return Position{}, fmt.Errorf("queue: position %q: bad offset", s)
	}
	return Position{Segment: id, Offset: o}, nil
}
