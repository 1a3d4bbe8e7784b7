package logstreamercmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline/sightline/cursor"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	writeFiles(t, dir, map[string]string{
		"sightline.toml":        "output_path = \"output\"\nsandbox_run_path = \"run\"\n",
		"run/input/web.cfg":     "filename = 'logstreamer.lua'\ninstruction_limit = 0\nlog_directory = '" + logs + "'\nfile_match = [[(?P<Site>[a-z]+)/access\\.log\\.?(?P<Seq>\\d*)]]\ndifferentiator = { 'Site' }\npriority = { '^Seq' }\n",
		"run/input/other.cfg":   "filename = 'other.lua'\n",
		"run/analysis/.keep":    "",
		"run/output/.keep":      "",
		"output/cursors/.keep":  "",
		"logs/www/access.log":   "x\n",
		"logs/www/access.log.1": "y\n",
		"logs/api/access.log":   "abc\n",
	})
	cp := `{"v":1,"streams":{"www":{"file":"www/access.log.1","seek":2,"hash":"` + strings.Repeat("0", 40) + `","dev":0,"ino":0}}}`
	if err := cursor.Save(cursor.Path(filepath.Join(dir, "output"), "input", "web"), cursor.State{
		Checkpoint: cursor.Checkpoint{Kind: cursor.CheckpointString, String: cp}}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Run([]string{"-config", filepath.Join(dir, "sightline.toml")}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := "Found 2 Logstream(s) for section [web].\n\n" +
		"Logstream name: [api]\nStream Choosing Filename: , SeekPosition: 0\nFiles: 1 (printing oldest to newest)\n\t" + logs + "/api/access.log\n\n" +
		"Logstream name: [www]\nStream Choosing Filename: " + logs + "/www/access.log.1, SeekPosition: 2\nFiles: 2 (printing oldest to newest)\n\t" +
		logs + "/www/access.log.1\n\t" + logs + "/www/access.log\n\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRunBadConfig(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"sightline.toml":    "output_path = \"output\"\nsandbox_run_path = \"run\"\n",
		"run/input/web.cfg": "filename = 'logstreamer.lua'\nlog_directory = '" + dir + "'\n",
	})
	var out, errb bytes.Buffer
	if code := Run([]string{"-config", filepath.Join(dir, "sightline.toml")}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "file_match: is required") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}
