package sandbox_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sightline/sightline/config"
	_ "github.com/sightline/sightline/lua_modules/clf" // lpeg.common_log_format
	"github.com/sightline/sightline/sandbox"
)

// The input of test/bench's "lua" shape (the reference's benchmark): it
// reads a log file line by line, matches each line with
// lpeg.common_log_format and injects a message per line.
const shape1Input = `require "io"
local clf = require "lpeg.common_log_format"
local grammar = clf.build_nginx_grammar(read_config("log_format"))
local file = read_config("input_file")
local msg = {Type = "logfile", Logger = "bench", Hostname = "bench", Fields = nil}

function process_message(checkpoint)
  local fh = assert(io.open(file, "rb"))
  for line in fh:lines() do
    local fields = grammar:match(line)
    if fields then
      msg.Timestamp = fields.time
      fields.time = nil
      msg.Fields = fields
      inject_message(msg, fh:seek())
    end
  end
  fh:close()
  return 0
end
`

type countHost struct{ n, bytes int }

func (h *countHost) Inject(msg []byte, _ sandbox.Checkpoint) error {
	if msg != nil {
		h.n++
		h.bytes += len(msg)
	}
	return nil
}

// BenchmarkShape1 is one process_message of the shape-1 input over a log
// of 20,000 lines of the bench generator, reported per line: the input
// side of `go run ./test/bench -run lua` without the queue.
func BenchmarkShape1(b *testing.B) {
	formats := map[string]string{
		"combined": `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
		"msec":     `$remote_addr $msec "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`,
	}
	for _, name := range []string{"combined", "msec"} {
		b.Run(name, func(b *testing.B) {
			const lines = 20_000
			dir := b.TempDir()
			log := filepath.Join(dir, "access.log")
			script, _ := filepath.Abs("../../shared/bench/gen_nginx_log.py")
			if _, err := os.Stat(script); err != nil {
				b.Skipf("log generator not available: %v", err)
			}
			cmd := exec.Command("python3", script, "--lines", fmt.Sprint(lines), "--format", name, "--out", log)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Skipf("log generator: %v: %s", err, out)
			}
			lua := filepath.Join(dir, "bench.lua")
			if err := os.WriteFile(lua, []byte(shape1Input), 0o644); err != nil {
				b.Fatal(err)
			}
			tab := config.NewTable(filepath.Join(dir, "bench.cfg"))
			tab.Set("filename", "bench.lua")
			tab.Set("instruction_limit", 0)
			tab.Set("input_file", log)
			tab.Set("log_format", formats[name])
			cfg, err := config.NewPlugin(config.Input, tab, nil)
			if err != nil {
				b.Fatal(err)
			}
			h := &countHost{}
			s, err := sandbox.New(sandbox.Options{Plugin: cfg, LuaFile: lua, Host: h})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close(false)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, _, err := s.ProcessInput(sandbox.Checkpoint{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if h.n != b.N*lines {
				b.Fatalf("injected %d messages, want %d", h.n, b.N*lines)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(h.n), "ns/line")
			b.ReportMetric(float64(h.bytes)/float64(h.n), "B/msg")
		})
	}
}
