package test

import (
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var updateExamples = flag.Bool("update-examples", false, "rewrite the expected/ files of the plugin and module examples from what the runs give")

// TestExamples runs every example shipped beside a plugin or module: each
// directory <pkg>/testdata/examples/<case>/ holding a sightline.toml. The
// case is copied to a temporary directory and run there with
// `sightline run -once -config sightline.toml` (TZ=UTC; relative paths in
// the configs are the case's files). Then every file under expected/ must
// equal what the run left at the same relative path, except
// expected/stdout, compared with the process's standard output, and
// expected/exit_code, its exit status (0 when absent). A file "stdin" in
// the case is piped to the process's standard input. Plugins several
// examples share (a generating input, an output dumping messages
// deterministically) are in plugins/testdata/shared/<type>/: a case uses
// them with sandbox_install_path = "shared". Write an example's expected
// files with `go test ./test -run Examples -update-examples`, and read
// them before committing.
func TestExamples(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "sightline.toml" && filepath.Base(filepath.Dir(filepath.Dir(p))) == "examples" &&
			filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(p)))) == "testdata" {
			cases = append(cases, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Skip("no examples yet")
	}
	for _, c := range cases {
		rel, _ := filepath.Rel(root, c)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			t.Parallel()
			runExample(t, c)
		})
	}
}

func runExample(t *testing.T, src string) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "shared"), os.DirFS(filepath.Join("..", "plugins", "testdata", "shared"))); err != nil {
		t.Fatal(err)
	}
	// git keeps no empty directories: a case needs only the run
	// directories it uses.
	for _, d := range []string{"input", "analysis", "output"} {
		if err := os.MkdirAll(filepath.Join(dir, "run", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Configs and Lua must not be writable by group or others, whatever
	// the umask that checked them out.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	var stdin io.Reader
	if in, err := os.Open(filepath.Join(src, "stdin")); err == nil {
		defer in.Close()
		// A pipe, not the file: what an input meets in `producer | sightline`.
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		go func() {
			_, _ = io.Copy(pw, in)
			pw.Close()
		}()
		stdin = pr
	}
	p := startStdin(t, dir, stdin, "run", "-once", "-config", "sightline.toml")
	code := p.wait(t, 2*time.Minute)
	wantCode := 0
	if b, err := os.ReadFile(filepath.Join(src, "expected", "exit_code")); err == nil {
		if wantCode, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			t.Fatalf("expected/exit_code: %v", err)
		}
	}
	if code != wantCode {
		t.Errorf("exit status %d, want %d; stderr:\n%s", code, wantCode, p.stderr)
	}
	expDir := filepath.Join(src, "expected")
	err = filepath.WalkDir(expDir, func(e string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(expDir, e)
		if rel == "exit_code" || rel == "stdin" {
			return nil
		}
		var got []byte
		if rel == "stdout" {
			got = []byte(p.stdout.String())
		} else if got, err = os.ReadFile(filepath.Join(dir, rel)); err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if *updateExamples {
			return os.WriteFile(e, got, 0o644)
		}
		want, err := os.ReadFile(e)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from expected/%s\n--- got:\n%s\n--- want:\n%s\n--- stderr:\n%s", rel, rel, clip(got), clip(want), p.stderr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// clip shortens a long text for an error message.
func clip(b []byte) string {
	const max = 4000
	if len(b) > max {
		return string(b[:max]) + "\n[... " + strconv.Itoa(len(b)-max) + " more bytes]"
	}
	return string(b)
}
