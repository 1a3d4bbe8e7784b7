package migrate

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sightline/sightline/config"
	"github.com/sightline/sightline/cursor"
	"github.com/sightline/sightline/queue"
)

// Queue names, as in the reference's keys and sightline's cursor files.
const (
	queueInput    = "input"
	queueAnalysis = "analysis"
)

// Plugin is one cursor file an import writes.
type Plugin struct {
	Key   cursor.Key
	State cursor.State
	// Thread is, for an analysis plugin, the Hindsight analysis thread
	// whose position it got; -1 when it got the lowest position of all
	// threads (Note says why), and for other plugin types.
	Thread int
	// Note explains a fallback, for the log; empty otherwise.
	Note string
}

// plan is what an import will write, worked out before anything is.
type plan struct {
	plugins    []Plugin // sorted by type, then name
	ignored    []string // keys read and not imported
	noPosition []string // analysis plugins left without a cursor
}

// files returns the cursor file names the plan writes.
func (p plan) files() []string {
	names := make([]string, len(p.plugins))
	for i, pl := range p.plugins {
		names[i] = filepath.Base(cursor.Path("", pl.Key.Type, pl.Key.Name))
	}
	return names
}

// makePlan turns the assignments of hindsight.cp (file) into cursor
// states, reading the .rtc of each analysis plugin under outputPath.
func makePlan(outputPath, file string, as []assignment, analysis []string) (plan, error) {
	var p plan
	inputs := make(map[string]cursor.Checkpoint)
	outputs := make(map[string]map[string]queue.Position)
	threads := make(map[int]queue.Position)
	for _, a := range as {
		lineErr := func(err error) error { return &LineError{File: file, Line: a.line, Err: err} }
		switch q, reader, isCursor := strings.Cut(a.key, "->"); {
		case a.key == queueInput || a.key == queueAnalysis:
			if _, err := position(a); err != nil {
				return plan{}, lineErr(err)
			}
			p.ignored = append(p.ignored, a.key)
		case isCursor && (q == queueInput || q == queueAnalysis):
			pos, err := position(a)
			if err != nil {
				return plan{}, lineErr(err)
			}
			if name, ok := strings.CutPrefix(reader, "output."); ok {
				if err := checkName(name); err != nil {
					return plan{}, lineErr(err)
				}
				if outputs[name] == nil {
					outputs[name] = make(map[string]queue.Position, 2)
				}
				outputs[name][q] = pos
				continue
			}
			n, ok := threadNumber(reader)
			if !ok || q != queueInput {
				return plan{}, lineErr(fmt.Errorf("%w: %q", ErrUnknownKey, a.key))
			}
			threads[n] = pos
		case !isCursor && strings.HasPrefix(a.key, "input."):
			name := strings.TrimPrefix(a.key, "input.")
			if err := checkName(name); err != nil {
				return plan{}, lineErr(err)
			}
			cp := cursor.Checkpoint{Kind: cursor.CheckpointNumber, Number: a.val.num}
			if a.val.isString {
				if len(a.val.str) > cursor.MaxCheckpointSize {
					return plan{}, lineErr(fmt.Errorf("%w: %d bytes, limit %d", cursor.ErrCheckpointTooLarge, len(a.val.str), cursor.MaxCheckpointSize))
				}
				cp = cursor.Checkpoint{Kind: cursor.CheckpointString, String: a.val.str}
			}
			inputs[name] = cp
		default:
			return plan{}, lineErr(fmt.Errorf("%w: %q", ErrUnknownKey, a.key))
		}
	}

	for name, cp := range inputs {
		p.plugins = append(p.plugins, Plugin{Key: cursor.Key{Type: cursor.TypeInput, Name: name}, State: cursor.State{Checkpoint: cp}, Thread: -1})
	}
	for name, qs := range outputs {
		p.plugins = append(p.plugins, Plugin{Key: cursor.Key{Type: cursor.TypeOutput, Name: name}, State: cursor.State{Queues: qs}, Thread: -1})
	}
	if err := p.addAnalysis(outputPath, analysis, threads); err != nil {
		return plan{}, err
	}
	slices.SortFunc(p.plugins, func(a, b Plugin) int {
		return cmp.Or(cmp.Compare(a.Key.Type, b.Key.Type), cmp.Compare(a.Key.Name, b.Key.Name))
	})
	return p, nil
}

// addAnalysis gives each analysis plugin the position of its thread, or
// the lowest thread position (see the package documentation).
func (p *plan) addAnalysis(outputPath string, analysis []string, threads map[int]queue.Position) error {
	names := slices.Clone(analysis)
	slices.Sort(names)
	names = slices.Compact(names)
	var lowest queue.Position
	for i, n := range slices.Sorted(maps.Keys(threads)) {
		if i == 0 {
			lowest = threads[n]
		}
		lowest = queue.Min(lowest, threads[n])
	}
	for _, name := range names {
		if err := checkName(name); err != nil {
			return fmt.Errorf("migrate: analysis plugin %q: %w", name, err)
		}
		if len(threads) == 0 {
			p.noPosition = append(p.noPosition, name)
			continue
		}
		thread, note, err := rtcThread(outputPath, name)
		if err != nil {
			return err
		}
		pl := Plugin{Key: cursor.Key{Type: cursor.TypeAnalysis, Name: name}, Thread: thread, Note: note}
		pos, ok := threads[thread]
		if thread >= 0 && !ok {
			pl.Note = fmt.Sprintf("hindsight.cp has no position for thread %d (its .rtc's thread)", thread)
			pl.Thread = -1
		}
		if pl.Thread < 0 {
			pos = lowest
		}
		pl.State = cursor.State{Queues: map[string]queue.Position{queueInput: pos}}
		p.plugins = append(p.plugins, pl)
	}
	return nil
}

// rtcPath returns the runtime config Hindsight wrote for analysis plugin
// name.
func rtcPath(outputPath, name string) string {
	return filepath.Join(outputPath, cursor.TypeAnalysis+"."+name+".rtc")
}

// rtcThread returns the thread analysis plugin name last ran on, from its
// .rtc: the last assignment of thread, which is the host's. It returns -1
// and a note when there is no .rtc or no thread in it.
func rtcThread(outputPath, name string) (int, string, error) {
	path := rtcPath(outputPath, name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, "no " + filepath.Base(path) + " (new to Hindsight?)", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("migrate: thread of analysis plugin %s: %w", name, err)
	}
	t, err := config.ParseLua(path, data, 0)
	if err != nil {
		return 0, "", fmt.Errorf("migrate: thread of analysis plugin %s (remove the .rtc to give it the lowest thread position): %w", name, err)
	}
	n, found, err := t.GetUint("thread")
	if err != nil {
		return 0, "", fmt.Errorf("migrate: thread of analysis plugin %s: %w", name, err)
	}
	if !found {
		return -1, "no thread in " + filepath.Base(path), nil
	}
	if n > 1<<20 {
		return 0, "", fmt.Errorf("migrate: thread of analysis plugin %s: %s:%d: thread %d out of range", name, path, t.Line("thread"), n)
	}
	return int(n), "", nil
}

// threadNumber parses "analysis<N>", N in plain decimal digits.
func threadNumber(reader string) (int, bool) {
	digits, ok := strings.CutPrefix(reader, "analysis")
	if !ok || digits == "" || len(digits) > 7 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// position parses a queue cursor value, the string "<id>:<offset>".
func position(a assignment) (queue.Position, error) {
	if !a.val.isString {
		return queue.Position{}, fmt.Errorf("%w: %s: want a position string '<id>:<offset>', got %s", ErrMalformed, a.key, a.val.describe())
	}
	id, off, ok := strings.Cut(a.val.str, ":")
	if !ok || !allDigits(id) || !allDigits(off) {
		return queue.Position{}, fmt.Errorf("%w: %s: want a position '<id>:<offset>', got %q", ErrMalformed, a.key, a.val.str)
	}
	pos, err := queue.ParsePosition(a.val.str)
	if err != nil {
		return queue.Position{}, fmt.Errorf("%w: %s: %w", ErrMalformed, a.key, err)
	}
	return pos, nil
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// checkName refuses a plugin name that cannot be one cursor file name
// (cursor's own rule: not empty, no leading dot, no slash, backslash or
// NUL).
func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%w: plugin name %q", ErrMalformed, name)
	}
	return nil
}
