package cursor

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sightline/sightline/queue"
)

// The first two lines of every cursor file.
const (
	header  = "# sightline cursor"
	version = 1
)

// maxFileSize bounds what Load reads: a cursor file with a few queues and a
// fully escaped checkpoint of MaxCheckpointSize (4 bytes per byte at
// worst) is just over 1 MiB.
const maxFileSize = 2 << 20

// appendState validates s and appends its file form (see doc.go) to b.
func appendState(b []byte, s State) ([]byte, error) {
	if err := s.validate(); err != nil {
		return b, err
	}
	queues := make([]queuePos, 0, len(s.Queues))
	for name, p := range s.Queues {
		queues = append(queues, queuePos{name, p})
	}
	slices.SortFunc(queues, func(a, b queuePos) int { return cmp.Compare(a.name, b.name) })
	return appendFile(b, queues, s.Checkpoint), nil
}

// appendFile appends the file form of a valid state, its queues sorted by
// name so that equal states have equal bytes.
func appendFile(b []byte, queues []queuePos, cp Checkpoint) []byte {
	b = append(b, header+"\nversion "...)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, '\n')
	for _, q := range queues {
		b = append(b, "queue "...)
		b = append(b, q.name...)
		b = append(b, ' ')
		b = strconv.AppendUint(b, q.pos.Segment, 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, q.pos.Offset, 10)
		b = append(b, '\n')
	}
	switch cp.Kind {
	case CheckpointNumber:
		b = append(b, "checkpoint number "...)
		b = appendNumber(b, cp.Number)
		b = append(b, '\n')
	case CheckpointString:
		b = append(b, "checkpoint string "...)
		b = strconv.AppendQuote(b, cp.String)
		b = append(b, '\n')
	}
	return append(b, "end\n"...)
}

// appendNumber writes f so that parseNumber returns exactly f: integers
// below 1e21 in plain digits (so byte offsets and timestamps read
// naturally), other finite values in the shortest form that round-trips,
// and NaN, +Inf, -Inf by name. Negative zero is written "-0".
func appendNumber(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	case f == math.Trunc(f) && math.Abs(f) < 1e21:
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// parseNumber reads what appendNumber writes. It refuses the other
// spellings strconv.ParseFloat knows (hex, "inf", "nan", underscores) and
// values out of range, so a file has one reading.
func parseNumber(s string) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	}
	if s == "" || strings.Trim(s, "0123456789+-.eE") != "" {
		return 0, fmt.Errorf("bad number %q", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q: %w", s, err)
	}
	return f, nil
}

// parse reads the file form of a State. Any damage is a *CorruptError
// naming file and line.
func parse(file string, data []byte) (State, error) {
	st := State{Queues: make(map[string]queue.Position)}
	corrupt := func(line int, err error) error {
		return &CorruptError{File: file, Line: line, Err: err}
	}
	rest := string(data)
	n := 0
	sawCheckpoint, sawEnd := false, false
	for rest != "" {
		n++
		line, tail, ok := strings.Cut(rest, "\n")
		if !ok {
			return State{}, corrupt(n, errors.New("unterminated line (file truncated)"))
		}
		rest = tail
		if sawEnd {
			return State{}, corrupt(n, errors.New("data after end line"))
		}
		if n == 1 {
			if line != header {
				return State{}, corrupt(n, fmt.Errorf("not a cursor file: want %q", header))
			}
			continue
		}
		if n == 2 {
			if err := parseVersion(line); err != nil {
				return State{}, corrupt(n, err)
			}
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		kind, args, _ := strings.Cut(line, " ")
		switch kind {
		case "queue":
			name, pos, err := parseQueue(args)
			if err != nil {
				return State{}, corrupt(n, err)
			}
			if _, dup := st.Queues[name]; dup {
				return State{}, corrupt(n, fmt.Errorf("queue %s given twice", name))
			}
			st.Queues[name] = pos
		case "checkpoint":
			if sawCheckpoint {
				return State{}, corrupt(n, errors.New("checkpoint given twice"))
			}
			c, err := parseCheckpoint(args)
			if err != nil {
				return State{}, corrupt(n, err)
			}
			st.Checkpoint, sawCheckpoint = c, true
		case "end":
			if line != "end" {
				return State{}, corrupt(n, fmt.Errorf("bad end line %q", line))
			}
			sawEnd = true
		default:
			return State{}, corrupt(n, fmt.Errorf("unknown line kind %q", kind))
		}
	}
	switch {
	case n == 0:
		return State{}, corrupt(1, errors.New("empty file"))
	case !sawEnd:
		return State{}, corrupt(n+1, errors.New("missing end line (file truncated)"))
	}
	return st, nil
}

// parseVersion accepts exactly "version 1".
func parseVersion(line string) error {
	v, ok := strings.CutPrefix(line, "version ")
	if !ok {
		return fmt.Errorf("want version line, got %q", line)
	}
	if n, err := strconv.ParseUint(v, 10, 32); err != nil || n != version {
		return fmt.Errorf("%w %q (want %d)", ErrVersion, v, version)
	}
	return nil
}

// parseQueue reads the arguments of "queue <name> <segment>:<offset>".
func parseQueue(args string) (string, queue.Position, error) {
	name, pos, ok := strings.Cut(args, " ")
	if !ok {
		return "", queue.Position{}, fmt.Errorf("want queue <name> <segment>:<offset>, got %q", args)
	}
	if err := validateQueue(name); err != nil {
		return "", queue.Position{}, err
	}
	p, err := queue.ParsePosition(pos)
	if err != nil {
		return "", queue.Position{}, err
	}
	return name, p, nil
}

// parseCheckpoint reads the arguments of "checkpoint number <n>" or
// "checkpoint string <Go-quoted string>".
func parseCheckpoint(args string) (Checkpoint, error) {
	kind, val, _ := strings.Cut(args, " ")
	switch kind {
	case "number":
		f, err := parseNumber(val)
		if err != nil {
			return Checkpoint{}, err
		}
		return Checkpoint{Kind: CheckpointNumber, Number: f}, nil
	case "string":
		if !strings.HasPrefix(val, `"`) {
			return Checkpoint{}, fmt.Errorf("checkpoint string not double-quoted: %.40q", val)
		}
		s, err := strconv.Unquote(val)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("bad quoted checkpoint %.40q: %w", val, err)
		}
		c := Checkpoint{Kind: CheckpointString, String: s}
		return c, c.validate()
	}
	return Checkpoint{}, fmt.Errorf("unknown checkpoint kind %q", kind)
}
