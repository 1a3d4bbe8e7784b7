package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestIOLinesAndSeek checks the line reader and fh:seek() positions (kept
// without system calls for read-only files) over lines longer than the
// read buffer, empty lines, a last line without a newline, seeks back and
// forth, and data appended while the file is open.
func TestIOLinesAndSeek(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	long := strings.Repeat("x", 40000)
	if err := os.WriteFile(file, []byte("a\n\n"+long+"\nbb\n"+long+"y\nlast"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := input(`require "io" require "string" require "table"
		local name = read_config("file")
		local want = {"a", "", string.rep("x", 40000), "bb", string.rep("x", 40000) .. "y", "last"}
		for _, lines in ipairs({
			function() local f = assert(io.open(name, "rb")) return f, f:lines() end,
			function() local f = assert(io.open(name, "r")) return f, function() return f:read() end end,
			function() local f = assert(io.open(name, "r+")) return f, f:lines() end,
		}) do
			local f, it = lines()
			local i, off = 0, 0
			for line in it do
				i = i + 1
				assert(line == want[i], "line " .. i)
				off = off + #line + (i < #want and 1 or 0)
				assert(f:seek() == off, "seek after line " .. i .. ": " .. tostring(f:seek()) .. " want " .. off)
			end
			assert(i == #want, "lines read: " .. i)
			assert(f:seek("set", 2) == 2 and f:read() == "" and f:seek() == 3)
			assert(f:seek("cur", 40000) == 40003 and f:read() == "" and f:seek() == 40004)
			assert(f:read() == "bb" and f:seek("cur", -3) == 40004 and f:read() == "bb")
			assert(f:seek("end", -2) == #table.concat(want, "\n") - 2 and f:read() == "st")
			f:close()
		end
		-- appended while open: reading and the offsets go on
		local f = assert(io.open(name))
		assert(f:read("*a") and f:read() == nil)
		local end0 = f:seek()
		local w = assert(io.open(name, "a"))
		w:write("\nmore\n") w:close()
		assert(f:read() == "" and f:read() == "more" and f:seek() == end0 + 6)
		f:close()
		function process_message() return 0 end`).with("file", file).mustLoad(t)
	_ = s
}

// TestIOSeekPipe checks that a read-only file that cannot seek reports the
// error of the system call, as Lua's does.
func TestIOSeekPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, err = w.WriteString("one\ntwo\n")
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		done <- err
	}()
	s, _ := input(`require "io" require "string"
		local f = assert(io.open(read_config("file")))
		assert(f:read() == "one")
		local pos, err = f:seek()
		assert(pos == nil and err:find("illegal seek"), tostring(err))
		assert(f:read() == "two")
		f:close()
		function process_message() return 0 end`).with("file", fifo).mustLoad(t)
	_ = s
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
