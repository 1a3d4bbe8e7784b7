package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfiles runs a batch-mode daemon with SIGHTLINE_CPUPROFILE and
// SIGHTLINE_MEMPROFILE set and checks both profiles are written.
func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"run/input", "run/analysis", "run/output"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "sightline.toml")
	main := "output_path = \"" + filepath.Join(dir, "output") + "\"\nsandbox_run_path = \"" + filepath.Join(dir, "run") +
		"\"\nsandbox_install_path = \"\"\n"
	if err := os.WriteFile(cfg, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	t.Setenv("SIGHTLINE_CPUPROFILE", cpu)
	t.Setenv("SIGHTLINE_MEMPROFILE", mem)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "-once", "-config", cfg}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, p := range []string{cpu, mem} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", p, err)
		}
	}
	if strings.Contains(stderr.String(), "PROFILE") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
