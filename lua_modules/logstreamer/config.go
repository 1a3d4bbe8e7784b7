package logstreamer

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Defaults of the options, Heka's where Heka has the option.
const (
	DefaultLogDirectory      = "/var/log"
	DefaultOldestDuration    = 720 * time.Hour
	DefaultRescanInterval    = time.Minute
	DefaultCheckDataInterval = 250 * time.Millisecond
	// DefaultJournalDirectory is Heka's <base_dir>/logstreamer, where its
	// journals are imported from when there is no checkpoint yet.
	DefaultJournalDirectory = "/var/cache/hekad/logstreamer"
)

// Lost-position policies (option lost_position).
const (
	LostOldest = "oldest" // read the stream again from its oldest file (Heka)
	LostTail   = "tail"   // continue at the end of the newest file
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("logstreamer: bad config")

// Config is a logstreamer's configuration: its plugin config keys, read
// with ParseConfig.
type Config struct {
	LogDirectory      string
	FileMatch         string // as written; Pattern appends "$"
	Priority          []string
	Differentiator    []string
	Translation       map[string]map[string]int
	OldestDuration    time.Duration
	RescanInterval    time.Duration
	CheckDataInterval time.Duration
	InitialTail       bool
	Hostname          string
	JournalDirectory  string

	Delimiter     string
	KeepDelimiter bool
	RecordStart   *regexp.Regexp
	RecordEnd     *regexp.Regexp
	MaxRecordSize int

	DecoderModule      string
	DefaultHeaders     map[string]any
	SendDecodeFailures bool
	SourceFields       bool
	LostPosition       string
	ReadToEnd          bool
}

// Getter returns the value of a plugin config key: nil when the key is
// absent, else a string, float64, bool, or a table as map[string]any
// (string keys) or []any (a sequence).
type Getter func(key string) (any, error)

// Keys are the plugin config keys the logstreamer reads.
var Keys = []string{
	"log_directory", "file_match", "priority", "differentiator", "translation",
	"oldest_duration", "rescan_interval", "check_data_interval", "initial_tail",
	"hostname", "journal_directory", "delimiter", "keep_delimiter", "record_start",
	"record_end", "decoder_module", "default_headers", "send_decode_failures",
	"source_fields", "lost_position", "read_to_end",
}

// ParseConfig reads and checks the options. name is the plugin's name, the
// default differentiator; hostname the default of the hostname option;
// maxRecord the largest record (the plugin's max_message_size). Errors
// wrap ErrConfig and name the key.
func ParseConfig(get Getter, name, hostname string, maxRecord int) (*Config, error) {
	p := parser{get: get}
	c := &Config{
		LogDirectory:       p.str("log_directory", DefaultLogDirectory),
		FileMatch:          p.str("file_match", ""),
		Priority:           p.strings("priority", nil),
		Differentiator:     p.strings("differentiator", []string{name}),
		Translation:        p.translation("translation"),
		OldestDuration:     p.duration("oldest_duration", DefaultOldestDuration),
		RescanInterval:     p.duration("rescan_interval", DefaultRescanInterval),
		CheckDataInterval:  p.duration("check_data_interval", DefaultCheckDataInterval),
		InitialTail:        p.boolean("initial_tail"),
		Hostname:           p.str("hostname", hostname),
		JournalDirectory:   p.str("journal_directory", DefaultJournalDirectory),
		Delimiter:          p.str("delimiter", "\n"),
		KeepDelimiter:      p.boolean("keep_delimiter"),
		RecordStart:        p.regex("record_start"),
		RecordEnd:          p.regex("record_end"),
		MaxRecordSize:      maxRecord,
		DecoderModule:      p.str("decoder_module", ""),
		DefaultHeaders:     p.table("default_headers"),
		SendDecodeFailures: p.boolean("send_decode_failures"),
		SourceFields:       p.boolean("source_fields"),
		LostPosition:       p.str("lost_position", LostOldest),
		ReadToEnd:          p.boolean("read_to_end"),
	}
	// Relative directories are taken from the directory holding
	// sandbox_run_path (the main config's, in the usual layout), not from
	// the working directory, which is / under systemd.
	if run := p.str("sandbox_run_path", ""); run != "" {
		for _, d := range []*string{&c.LogDirectory, &c.JournalDirectory} {
			if *d != "" && !filepath.IsAbs(*d) {
				*d = filepath.Join(filepath.Dir(run), *d)
			}
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	switch {
	case c.FileMatch == "":
		return nil, p.fail("file_match", errors.New("is required"))
	case c.LogDirectory == "":
		return nil, p.fail("log_directory", errors.New("must not be empty"))
	case c.Delimiter == "":
		return nil, p.fail("delimiter", errors.New("must not be empty"))
	case c.RecordStart != nil && c.RecordEnd != nil:
		return nil, p.fail("record_end", errors.New("record_start and record_end exclude each other"))
	case c.LostPosition != LostOldest && c.LostPosition != LostTail:
		return nil, p.fail("lost_position", fmt.Errorf("%q is neither %q nor %q", c.LostPosition, LostOldest, LostTail))
	case c.RescanInterval <= 0:
		return nil, p.fail("rescan_interval", errors.New("must be positive"))
	case c.CheckDataInterval <= 0:
		return nil, p.fail("check_data_interval", errors.New("must be positive"))
	case c.MaxRecordSize <= 0:
		c.MaxRecordSize = 64 << 10
	}
	if len(c.Differentiator) == 0 {
		return nil, p.fail("differentiator", errors.New("must not be empty"))
	}
	for _, pr := range c.Priority {
		if strings.TrimPrefix(pr, "^") == "" {
			return nil, p.fail("priority", fmt.Errorf("entry %q names no group", pr))
		}
	}
	for group, m := range c.Translation {
		if len(m) == 1 {
			if _, ok := m["missing"]; !ok {
				return nil, p.fail("translation", fmt.Errorf("a translation map with one entry ('%s') must be specifying a 'missing' key", group))
			}
		}
	}
	if _, err := regexp.Compile(c.FileMatch); err != nil {
		return nil, p.fail("file_match", err)
	}
	return c, nil
}

type parser struct {
	get Getter
	err error
}

func (p *parser) fail(key string, err error) error {
	if p.err == nil {
		p.err = fmt.Errorf("%w: %s: %w", ErrConfig, key, err)
	}
	return p.err
}

func (p *parser) value(key string) any {
	if p.err != nil {
		return nil
	}
	v, err := p.get(key)
	if err != nil {
		p.fail(key, err)
		return nil
	}
	return v
}

func (p *parser) str(key, def string) string {
	switch v := p.value(key).(type) {
	case nil:
		return def
	case string:
		return v
	default:
		p.fail(key, fmt.Errorf("must be a string, not %s", typeName(v)))
		return def
	}
}

func (p *parser) boolean(key string) bool {
	switch v := p.value(key).(type) {
	case nil:
		return false
	case bool:
		return v
	default:
		p.fail(key, fmt.Errorf("must be a boolean, not %s", typeName(v)))
		return false
	}
}

func (p *parser) strings(key string, def []string) []string {
	switch v := p.value(key).(type) {
	case nil:
		return def
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				p.fail(key, fmt.Errorf("entry %d must be a string, not %s", i+1, typeName(e)))
				return def
			}
			out = append(out, s)
		}
		return out
	case map[string]any:
		if len(v) == 0 {
			return []string{}
		}
	}
	p.fail(key, errors.New("must be a list of strings"))
	return def
}

func (p *parser) table(key string) map[string]any {
	switch v := p.value(key).(type) {
	case nil:
		return nil
	case map[string]any:
		return v
	case []any:
		if len(v) == 0 {
			return nil
		}
	}
	p.fail(key, errors.New("must be a table with string keys"))
	return nil
}

func (p *parser) regex(key string) *regexp.Regexp {
	s := p.str(key, "")
	if s == "" {
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		p.fail(key, err)
		return nil
	}
	return re
}

// duration reads a Go duration string ("250ms", "1m") or a number of
// seconds.
func (p *parser) duration(key string, def time.Duration) time.Duration {
	switch v := p.value(key).(type) {
	case nil:
		return def
	case float64:
		if v < 0 || math.IsNaN(v) || v > math.MaxInt64/float64(time.Second) {
			p.fail(key, fmt.Errorf("%v seconds is out of range", v))
			return def
		}
		return time.Duration(v * float64(time.Second))
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			p.fail(key, err)
			return def
		}
		if d < 0 {
			p.fail(key, fmt.Errorf("%q is negative", v))
			return def
		}
		return d
	default:
		p.fail(key, fmt.Errorf("must be a duration string such as \"250ms\" or a number of seconds, not %s", typeName(v)))
		return def
	}
}

func (p *parser) translation(key string) map[string]map[string]int {
	t := p.table(key)
	if t == nil {
		return nil
	}
	out := make(map[string]map[string]int, len(t))
	groups := make([]string, 0, len(t))
	for g := range t {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		m, ok := t[g].(map[string]any)
		if !ok {
			p.fail(key, fmt.Errorf("%s must be a table of names to integers", g))
			return nil
		}
		tm := make(map[string]int, len(m))
		for k, v := range m {
			n, ok := v.(float64)
			if !ok || n != math.Trunc(n) || math.Abs(n) > 1<<53 {
				p.fail(key, fmt.Errorf("%s.%s must be an integer", g, k))
				return nil
			}
			tm[strings.ToLower(k)] = int(n)
		}
		out[g] = tm
	}
	return out
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any, []any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
