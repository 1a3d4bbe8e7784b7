package logstreamer

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func getter(m map[string]any) Getter {
	return func(key string) (any, error) { return m[key], nil }
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(getter(map[string]any{
		"file_match":      `a\.log`,
		"priority":        []any{"^Seq"},
		"translation":     map[string]any{"Seq": map[string]any{"missing": 9999.0}, "Day": map[string]any{"Lunes": 1.0, "martes": 2.0}},
		"rescan_interval": "5s",
		"oldest_duration": 60.0,
	}), "web", "host1", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if c.LogDirectory != "/var/log" || c.Differentiator[0] != "web" || c.Hostname != "host1" ||
		c.RescanInterval != 5*time.Second || c.OldestDuration != time.Minute || c.CheckDataInterval != 250*time.Millisecond ||
		c.Translation["Seq"]["missing"] != 9999 || c.Translation["Day"]["lunes"] != 1 {
		t.Fatalf("%+v", c)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"no file_match", map[string]any{}, "file_match: is required"},
		{"bad regex", map[string]any{"file_match": "("}, "file_match:"},
		{"bad duration", map[string]any{"file_match": "a", "rescan_interval": "soon"}, "rescan_interval:"},
		{"one-entry map", map[string]any{"file_match": "a", "translation": map[string]any{"Seq": map[string]any{"other": 1.0}}},
			"a translation map with one entry ('Seq') must be specifying a 'missing' key"},
		{"empty priority", map[string]any{"file_match": "a", "priority": []any{"^"}}, "priority:"},
		{"both record modes", map[string]any{"file_match": "a", "record_start": "^x", "record_end": "y$"}, "record_end:"},
		{"lost_position", map[string]any{"file_match": "a", "lost_position": "skip"}, "lost_position:"},
		{"type", map[string]any{"file_match": 3.0}, "file_match: must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig(getter(c.cfg), "p", "h", 1000)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseConfigRelativeDirectories(t *testing.T) {
	c, err := ParseConfig(getter(map[string]any{
		"file_match":        `a\.log`,
		"log_directory":     "logs",
		"journal_directory": "/abs/journal",
		"sandbox_run_path":  "/etc/sightline/run",
	}), "p", "h", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if c.LogDirectory != "/etc/sightline/logs" || c.JournalDirectory != "/abs/journal" {
		t.Errorf("log_directory %q, journal_directory %q: want /etc/sightline/logs and /abs/journal", c.LogDirectory, c.JournalDirectory)
	}
}
