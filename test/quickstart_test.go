package test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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
	logPath := filepath.Join(dir, "logs", "access.log")
	sample, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// What stdout.lua prints for a line: status, address, request.
	fields := regexp.MustCompile(`^(\S+) - \S+ \[[^]]*\] "([^"]*)" (\d+) `)
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(sample)), "\n") {
		m := fields.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("sample line %q is not in the combined format", l)
		}
		want = append(want, m[3]+" "+m[1]+" "+m[2]+"\n")
	}

	// Started from elsewhere: relative paths follow the config file.
	p := start(t, t.TempDir(), filepath.Join(dir, "sightline.toml"))
	ok := waitFor(func() bool {
		out := p.stdout.String()
		return strings.Contains(out, want[len(want)-1]) && strings.Contains(out, "analysis.http_status report:\n")
	}, 15*time.Second)
	if ok {
		// A line appended to the log shows up: the input tails it.
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteString(`192.0.2.7 - - [21/Nov/2025:09:01:00 +0000] "GET /appended HTTP/1.1" 418 0 "-" "curl/8.5.0"` + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, "418 192.0.2.7 GET /appended HTTP/1.1\n")
		ok = waitFor(func() bool { return strings.Contains(p.stdout.String(), want[len(want)-1]) }, 15*time.Second)
	}
	p.stop(t)
	out := p.stdout.String()
	if !ok {
		t.Fatalf("quick start output:\n%s\nstderr:\n%s", out, p.stderr)
	}
	for _, l := range want {
		if strings.Count(out, l) != 1 {
			t.Errorf("line %q printed %d times, want once", l, strings.Count(out, l))
		}
	}
}
