package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeFile writes content to dir/name and returns the path.
func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// wantError checks that err is an *Error with the given file, line and key
// wrapping sentinel, and that its text names all three.
func wantError(tb testing.TB, err error, sentinel error, file string, line int, key string) *Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error, want %v", sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %q (%T) is not an *Error", err, err)
	}
	if !errors.Is(err, sentinel) {
		tb.Errorf("error %q does not wrap %v", err, sentinel)
	}
	if e.File != file {
		tb.Errorf("error %q: File = %q, want %q", err, e.File, file)
	}
	if e.Line != line {
		tb.Errorf("error %q: Line = %d, want %d", err, e.Line, line)
	}
	if e.Key != key {
		tb.Errorf("error %q: Key = %q, want %q", err, e.Key, key)
	}
	msg := err.Error()
	prefix := file
	if line > 0 {
		prefix += ":" + strconv.Itoa(line)
	}
	if !strings.HasPrefix(msg, prefix+": ") {
		tb.Errorf("error %q does not start with %q", msg, prefix+": ")
	}
	if key != "" && !strings.Contains(msg, key) {
		tb.Errorf("error %q does not name key %q", msg, key)
	}
	return e
}

// mustTable builds a Table from alternating keys and values, for tests.
func mustTable(kv ...any) *Table {
	t := NewTable("")
	for i := 0; i < len(kv); i += 2 {
		switch k := kv[i].(type) {
		case string:
			t.Put(Entry{Key: StringKey(k), Value: kv[i+1]})
		case int:
			t.Put(Entry{Key: IntKey(int64(k)), Value: kv[i+1]})
		}
	}
	return t
}
