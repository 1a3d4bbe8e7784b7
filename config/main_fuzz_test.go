package config

import (
	"errors"
	"os"
	"testing"
	"time"
)

// FuzzNewMain checks that any TOML main config either loads into values
// within the documented ranges or fails with an *Error naming the file.
func FuzzNewMain(f *testing.F) {
	for _, name := range []string{"testdata/main/every_key.toml"} {
		if src, err := os.ReadFile(name); err == nil {
			f.Add(src)
		}
	}
	for _, s := range []string{
		"output_path = 'o'\nsandbox_run_path = 'r'\ncheckpoint_interval = 1e-3",
		"output_path = 'o'\nsandbox_run_path = 'r'\nmetrics_listen = '[::1]:1'",
		"output_path = 'o'\nsandbox_run_path = 'r'\n[input_defaults]\noutput_limit = '1KiB'",
		"output_path = 'o'\nsandbox_run_path = 'r'\nlog_level = 'debug'\nmax_queue_size = '1TiB'",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tab, err := ParseTOML("fuzz.toml", src)
		if err != nil {
			return
		}
		m, err := NewMain(tab)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz.toml" {
				t.Fatalf("error %v (%T) is not an *Error naming the file", err, err)
			}
			return
		}
		switch {
		case m.OutputPath == "" || m.SandboxRunPath == "":
			t.Fatal("required path empty")
		case m.OutputSize < 1, m.AnalysisThreads < 1 || m.AnalysisThreads > 64,
			m.AnalysisUtilizationLimit < 0 || m.AnalysisUtilizationLimit > 100,
			m.MaxMessageSize < 1024 || m.MaxMessageSize > 64<<20,
			m.LogLevel < 0 || m.LogLevel > 7, len(m.Hostname) > MaxHostnameLen,
			m.CheckpointInterval < time.Millisecond || m.CheckpointInterval > time.Hour,
			m.MaxQueueSize != 0 && m.MaxQueueSize < 2*m.OutputSize:
			t.Fatalf("value out of range: %+v", m)
		}
		for _, typ := range []PluginType{Input, Analysis, Output} {
			d := m.DefaultsFor(typ)
			if v, ok := d.Get("output_limit"); ok && v.(float64) > float64(m.MaxMessageSize) {
				t.Fatalf("%v output_limit %v over max_message_size %d", typ, v, m.MaxMessageSize)
			}
		}
	})
}
