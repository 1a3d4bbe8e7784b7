package logstreamer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Pattern is the compiled file_match, priority, differentiator and
// translation of a config, over a resolved root directory: what turns the
// paths found under the root into sorted streams (logstreamer.md §3–§6).
type Pattern struct {
	Root   string // log_directory, absolute, symlinks resolved
	re     *regexp.Regexp
	names  []string // capture group names by index ("" unnamed)
	groups map[string]int
	prio   []prioKey
	diff   []diffPart
	trans  map[string]map[string]int
	oldest time.Duration
}

type prioKey struct {
	group int // index in names; -1: not a group, scores 0
	desc  bool
}

type diffPart struct {
	literal string
	group   int // -1: literal
}

// NewPattern compiles cfg's matching rules. The log directory must exist.
func NewPattern(cfg *Config) (*Pattern, error) {
	root, err := filepath.Abs(cfg.LogDirectory)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: log_directory: %w", ErrConfig, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("%w: log_directory: %w", ErrConfig, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: log_directory: %s is not a directory", ErrConfig, root)
	}
	return compilePattern(root, cfg)
}

// compilePattern builds the full-path regex as Heka does: ^, the quoted
// root, a separator unless the root ends with one or file_match starts
// with one, file_match, and $ unless file_match ends with it.
func compilePattern(root string, cfg *Config) (*Pattern, error) {
	fm := cfg.FileMatch
	if !strings.HasSuffix(fm, "$") {
		fm += "$"
	}
	expr := "^" + regexp.QuoteMeta(root)
	if !strings.HasSuffix(root, string(filepath.Separator)) && !strings.HasPrefix(fm, string(filepath.Separator)) {
		expr += regexp.QuoteMeta(string(filepath.Separator))
	}
	expr += fm
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%w: file_match: %w", ErrConfig, err)
	}
	p := &Pattern{Root: root, re: re, names: re.SubexpNames(), groups: map[string]int{}, trans: cfg.Translation, oldest: cfg.OldestDuration}
	for i, n := range p.names {
		if n != "" {
			p.groups[n] = i
		}
	}
	for _, pr := range cfg.Priority {
		desc := strings.HasPrefix(pr, "^")
		g, ok := p.groups[strings.TrimPrefix(pr, "^")]
		if !ok {
			g = -1
		}
		p.prio = append(p.prio, prioKey{group: g, desc: desc})
	}
	for _, d := range cfg.Differentiator {
		if g, ok := p.groups[d]; ok {
			p.diff = append(p.diff, diffPart{group: g})
		} else {
			p.diff = append(p.diff, diffPart{literal: d, group: -1})
		}
	}
	return p, nil
}

// Logfile is one path of a stream with its sort keys.
type Logfile struct {
	Path     string // absolute
	keys     []int  // one per priority entry
	dev, ino uint64 // identity when scanned
}

// Rel returns the path relative to root, or the path itself when it is
// not below root.
func relPath(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

var monthNames = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3,
	"april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7,
	"august": 8, "aug": 8, "september": 9, "sep": 9, "october": 10, "oct": 10,
	"november": 11, "nov": 11, "december": 12, "dec": 12,
}

var dayNames = map[string]int{
	"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "wednesday": 2, "wed": 2,
	"thursday": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
	"sunday": 6, "sun": 6,
}

// translate turns the value captured by group into its sort integer
// (logstreamer.md §4).
func (p *Pattern) translate(group, v string) (int, error) {
	if v == "" {
		v = "missing"
	}
	lv := strings.ToLower(v)
	switch group {
	case "MonthName":
		if n, ok := monthNames[lv]; ok {
			return n, nil
		}
		return 0, fmt.Errorf("unable to locate month name: %s", v)
	case "DayName":
		if n, ok := dayNames[lv]; ok {
			return n, nil
		}
		return 0, fmt.Errorf("unable to locate day name: %s", v)
	}
	if m, ok := p.trans[group]; ok {
		if n, ok := m[lv]; ok {
			return n, nil
		}
		if len(m) > 1 {
			return 0, fmt.Errorf("value '%s' not found in translation map '%s'", v, group)
		}
	}
	if n, err := strconv.Atoi(v); err == nil && isDigits(v) {
		return n, nil
	}
	return -1, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// match parses path: whether it matches, its stream name and its sort
// keys. A translation error leaves the failing group and every later
// named group unscored (0), as in Heka, and is returned with the file.
func (p *Pattern) match(path string) (name string, keys []int, ok bool, err error) {
	sub := p.re.FindStringSubmatchIndex(path)
	if sub == nil {
		return "", nil, false, nil
	}
	val := func(g int) string {
		if sub[2*g] < 0 {
			return ""
		}
		return path[sub[2*g]:sub[2*g+1]]
	}
	scores := make(map[int]int, len(p.prio))
	for g, n := range p.names {
		if n == "" {
			continue
		}
		s, terr := p.translate(n, val(g))
		if terr != nil {
			err = terr
			break
		}
		scores[g] = s
	}
	keys = make([]int, len(p.prio))
	for i, pr := range p.prio {
		if pr.group >= 0 {
			keys[i] = scores[pr.group]
		}
	}
	var b strings.Builder
	for _, d := range p.diff {
		if d.group < 0 {
			b.WriteString(d.literal)
		} else {
			b.WriteString(val(d.group))
		}
	}
	return b.String(), keys, true, err
}

// less orders two files of a stream, oldest first.
func (p *Pattern) less(a, b []int) bool {
	return p.compare(a, b) < 0
}

// compare compares sort keys: negative when a sorts before b.
func (p *Pattern) compare(a, b []int) int {
	for i, pr := range p.prio {
		if a[i] == b[i] {
			continue
		}
		c := -1
		if a[i] > b[i] {
			c = 1
		}
		if pr.desc {
			c = -c
		}
		return c
	}
	return 0
}

// keysOf returns the sort keys of a path, whether or not it exists.
func (p *Pattern) keysOf(path string) ([]int, bool) {
	_, keys, ok, _ := p.match(path)
	return keys, ok
}

// ScanResult is one scan of the root.
type ScanResult struct {
	// Streams maps each stream name to its files, oldest first.
	Streams map[string][]*Logfile
	// Aged names streams whose only candidates were older than
	// oldest_duration: they exist, so their positions are kept.
	Aged map[string]bool
	// Errors are the problems found: a stream with several files and no
	// priority (left out of Streams), translation errors (file kept).
	Errors []error
	// Dirs holds the modification time of each directory walked, to
	// notice new and renamed files without a full rescan.
	Dirs map[string]time.Time
	// Started is when the scan began.
	Started time.Time
}

// Scan walks the root and groups the matching files into sorted streams.
func (p *Pattern) Scan(now time.Time) *ScanResult {
	r := &ScanResult{Streams: map[string][]*Logfile{}, Aged: map[string]bool{}, Dirs: map[string]time.Time{}, Started: now}
	cut := now.Add(-p.oldest)
	_ = filepath.WalkDir(p.Root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && path != p.Root {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if fi, err := d.Info(); err == nil {
				r.Dirs[path] = fi.ModTime()
			}
			return nil
		}
		name, keys, ok, merr := p.match(path)
		if !ok {
			return nil
		}
		if merr != nil {
			r.Errors = append(r.Errors, &FileError{Path: path, Err: merr})
		}
		fi, err := os.Stat(path)
		if err != nil || fi.IsDir() {
			return nil
		}
		if p.oldest > 0 && !fi.ModTime().After(cut) {
			r.Aged[name] = true
			return nil
		}
		dev, ino, _ := fileID(fi)
		r.Streams[name] = append(r.Streams[name], &Logfile{Path: path, keys: keys, dev: dev, ino: ino})
		return nil
	})
	for name, files := range r.Streams {
		if len(files) > 1 && len(p.prio) == 0 {
			paths := make([]string, len(files))
			for i, f := range files {
				paths[i] = f.Path
			}
			r.Errors = append(r.Errors, fmt.Errorf("%w for name: %s, filematch: %s, files: %s",
				ErrNoPriority, name, p.re.String(), strings.Join(paths, ", ")))
			delete(r.Streams, name)
			continue
		}
		sort.SliceStable(files, func(i, j int) bool { return p.less(files[i].keys, files[j].keys) })
		delete(r.Aged, name)
	}
	return r
}

// ErrNoPriority reports a stream of several files without a priority to
// sort them by.
var ErrNoPriority = errors.New("found multiple logfiles without priority to sort on")

// FileError is a problem with one file found by a scan.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }
