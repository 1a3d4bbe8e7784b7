package test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickStart runs configs/quickstart (a copy, so nothing is written
// in the repository) and checks that it prints the sample's lines and the
// counter's report, and stops cleanly.
func TestQuickStart(t *testing.T) {
	src := filepath.Join("..", "configs", "quickstart")
	dir := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "output" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o750)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o640)
	})
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile(filepath.Join(src, "sample.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(sample)), "\n")

	// Started from elsewhere: relative paths follow the config file.
	p := start(t, t.TempDir(), filepath.Join(dir, "sightline.toml"))
	ok := waitFor(func() bool {
		out := p.stdout.String()
		return strings.Contains(out, "line\t"+want[len(want)-1]+"\n") && strings.Contains(out, "inject_payload\tline=")
	}, 15*time.Second)
	p.stop(t)
	out := p.stdout.String()
	if !ok {
		t.Fatalf("quick start output:\n%s\nstderr:\n%s", out, p.stderr)
	}
	for _, l := range want {
		if strings.Count(out, "line\t"+l+"\n") != 1 {
			t.Errorf("line %q printed %d times, want once", l, strings.Count(out, "line\t"+l+"\n"))
		}
	}
}
