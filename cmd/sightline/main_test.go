package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("output_path = \"out\"\nsandbox_run_path = \"run\"\nanalysis_threads = 0\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	noDirs := filepath.Join(dir, "nodirs.toml")
	if err := os.WriteFile(noDirs, []byte("output_path = \"out\"\nsandbox_run_path = \"run\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, 0, "sightline ", ""},
		{"cat", []string{"cat", "-count", dir}, 0, "Processed: 0", ""},
		{"help", []string{"help"}, 0, "usage:", ""},
		{"stats without plugins.tsv", []string{"stats", "-config", noDirs}, 1, "", "plugins.tsv"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"bad flag", []string{"run", "-nope"}, 2, "", "flag provided but not defined"},
		{"missing config", []string{"-config", filepath.Join(dir, "none.toml")}, 1, "", "none.toml: open"},
		{"config error names file and line", []string{"run", "-config", bad}, 1, "", bad + ":3: analysis_threads: "},
		{"missing run dirs", []string{"run", "-config", noDirs}, 1, "", noDirs + ":2: sandbox_run_path: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(c.args, strings.NewReader(""), &stdout, &stderr)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), c.stdout) {
				t.Errorf("stdout %q, want it to contain %q", stdout.String(), c.stdout)
			}
			if !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), c.stderr)
			}
		})
	}
}
