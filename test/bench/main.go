// Command bench measures sightline on nginx access logs, the issue's
// speed bars: it generates logs with ../shared/bench/gen_nginx_log.py,
// runs `sightline run -once` with an input shape, the input queue and an
// output that counts, and prints lines per second (from the start of the
// process to its exit, so start-up and drain included), the CPU time
// (user + system) and peak RSS of the sightline process. Each scenario
// runs -runs times (3); the run of median time is printed, with the
// lines/s of every run.
//
//	go run ./test/bench                  # every scenario, 1,000,000 lines
//	go run ./test/bench -lines 200000 -run lua
//
// Shapes: "lua" is an input written as the reference's own benchmark is
// (io.open, fh:lines(), grammar:match(line) of lpeg.common_log_format,
// inject_message(msg, fh:seek()) per line); "logstreamer" is the standard
// logstreamer input with the decoders.nginx.access decoder. Each runs on
// one file of the combined format, one of the msec format, and three
// files at once (three inputs). The page cache is warmed before each run.
package main

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sightline/sightline/message"
)

var (
	lines  = flag.Int("lines", 1_000_000, "lines per log file")
	runRe  = flag.String("run", "", "run only the scenarios whose name contains this")
	keep   = flag.Bool("keep", false, "keep the work directory")
	gen    = flag.String("gen", "../shared/bench/gen_nginx_log.py", "the log generator")
	binArg = flag.String("bin", "", "a sightline binary (default: build ./cmd/sightline)")
	runs   = flag.Int("runs", 3, "runs per scenario: the median is printed")
)

// formats are the generator's --format values and their nginx log_format.
var formats = map[string]string{
	"combined": `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
	"msec":     `$remote_addr $msec "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`,
}

type scenario struct {
	name   string
	shape  string // "lua" or "logstreamer"
	format string
	files  int
}

var scenarios = []scenario{
	{"lua/combined", "lua", "combined", 1},
	{"lua/msec", "lua", "msec", 1},
	{"lua/msec x3", "lua", "msec", 3},
	{"logstreamer/combined", "logstreamer", "combined", 1},
	{"logstreamer/msec", "logstreamer", "msec", 1},
	{"logstreamer/msec x3", "logstreamer", "msec", 3},
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	work, err := os.MkdirTemp("", "sightline-bench-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	bin := *binArg
	if bin == "" {
		bin = filepath.Join(work, "sightline")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/sightline")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building sightline: %w", err)
		}
	}
	fmt.Printf("%d lines per file, %d CPUs (%s/%s)\n", *lines, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("%-22s %12s %10s %10s %12s %10s   %s\n", "scenario", "lines/s", "seconds", "CPU s", "peak RSS", "B/msg", "lines/s of each run")
	logs := map[string]string{}
	for _, sc := range scenarios {
		if *runRe != "" && !strings.Contains(sc.name, *runRe) {
			continue
		}
		var files []string
		for i := range sc.files {
			key := fmt.Sprintf("%s.%d", sc.format, i)
			if logs[key] == "" {
				p := filepath.Join(work, "access_"+key+".log")
				if err := generate(p, sc.format, i); err != nil {
					return err
				}
				logs[key] = p
			}
			files = append(files, logs[key])
		}
		// The run of median time, and the largest peak RSS of all: on a
		// shared VM one run's time can be 15% off either way.
		var res []result
		var rss int64
		for i := range *runs {
			r, err := runScenario(bin, filepath.Join(work, fmt.Sprintf("%s.%d", strings.NewReplacer("/", "_", " ", "_").Replace(sc.name), i)), sc, files)
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			res = append(res, r)
			rss = max(rss, r.maxRSS)
		}
		slices.SortFunc(res, func(a, b result) int { return cmp.Compare(a.elapsed, b.elapsed) })
		m := res[len(res)/2]
		fmt.Printf("%-22s %12.0f %10.2f %10.2f %9.1f MiB %10.0f   (%s)\n", sc.name, float64(m.lines)/m.elapsed.Seconds(),
			m.elapsed.Seconds(), m.cpu.Seconds(), float64(rss)/(1<<20), float64(m.queueBytes)/float64(m.lines), spread(res))
	}
	return nil
}

// spread lists the lines/s of every run, slowest first.
func spread(res []result) string {
	var parts []string
	for i := len(res) - 1; i >= 0; i-- {
		parts = append(parts, fmt.Sprintf("%.0f", float64(res[i].lines)/res[i].elapsed.Seconds()))
	}
	return strings.Join(parts, " ")
}

// generate writes a log file and syncs it: the kernel writing a fresh
// file's dirty pages back during a run would be measured with it.
func generate(path, format string, i int) error {
	cmd := exec.Command("python3", *gen, "--lines", strconv.Itoa(*lines), "--format", format,
		"--seed", strconv.Itoa(i+1), "--seq-start", strconv.Itoa(i**lines+1), "--out", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("generating %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// injectedBytes returns the framed size of what the inputs injected, from
// the Inject Message Count and Bytes columns of plugins.tsv.
func injectedBytes(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) < 3 || !strings.HasPrefix(cols[0], "input.") {
			continue
		}
		n, err1 := strconv.ParseInt(cols[1], 10, 64)
		b, err2 := strconv.ParseInt(cols[2], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("%s: bad line %q", path, line)
		}
		if n > 0 {
			avg := int(b / n) // the frame header's length varint as for the average
			total += b + n*int64(message.FrameSize(avg)-avg)
		}
	}
	return total, nil
}

type result struct {
	lines      int
	elapsed    time.Duration
	cpu        time.Duration // user + system CPU time of the process
	maxRSS     int64         // bytes
	queueBytes int64
}

// The counting output: it writes how many messages it saw at shutdown.
const countOutput = `require "io"
local n = 0
function process_message() n = n + 1 return 0 end
function timer_event(ns, shutdown)
  if shutdown then
    local f = assert(io.open(read_config("count_file"), "w"))
    f:write(n) f:close()
  end
end
`

// The reference's benchmark input, shape 1.
const luaInput = `require "io"
local clf = require "lpeg.common_log_format"
local grammar = clf.build_nginx_grammar(read_config("log_format"))
local file = read_config("input_file")
local msg = {Type = "logfile", Logger = "bench", Hostname = "bench", Fields = nil}

function process_message(checkpoint)
  local fh = assert(io.open(file, "rb"))
  if checkpoint then fh:seek("set", checkpoint) end
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

func runScenario(bin, dir string, sc scenario, files []string) (result, error) {
	for _, d := range []string{"run/input", "run/analysis", "run/output"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return result{}, err
		}
	}
	write := func(rel, text string) error { return os.WriteFile(filepath.Join(dir, rel), []byte(text), 0o644) }
	if err := write("sightline.toml", "output_path = \"output\"\nsandbox_run_path = \"run\"\nsandbox_install_path = \"\"\nlog_level = \"warn\"\n"+
		"[input_defaults]\ninstruction_limit = 0\n"); err != nil {
		return result{}, err
	}
	if err := write("run/output/counter.lua", countOutput); err != nil {
		return result{}, err
	}
	if err := write("run/output/counter.cfg", "filename = \"counter.lua\"\nmessage_matcher = \"TRUE\"\ncount_file = \"count\"\n"); err != nil {
		return result{}, err
	}
	if sc.shape == "lua" {
		if err := write("run/input/bench.lua", luaInput); err != nil {
			return result{}, err
		}
	}
	for i, f := range files {
		var cfg string
		switch sc.shape {
		case "lua":
			cfg = fmt.Sprintf("filename = \"bench.lua\"\ninput_file = %q\nlog_format = %q\n", f, formats[sc.format])
		case "logstreamer":
			sub := filepath.Join(dir, fmt.Sprintf("logs%d", i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return result{}, err
			}
			if err := os.Symlink(f, filepath.Join(sub, "access.log")); err != nil {
				return result{}, err
			}
			cfg = fmt.Sprintf("filename = \"logstreamer.lua\"\nlog_directory = %q\nfile_match = 'access\\.log'\n"+
				"decoder_module = \"decoders.nginx.access\"\ndecoders_nginx_access = {log_format = %q}\n", sub, formats[sc.format])
		}
		if err := write(fmt.Sprintf("run/input/in%d.cfg", i), cfg); err != nil {
			return result{}, err
		}
	}
	want := 0
	for _, f := range files {
		n, err := countLines(f) // warms the page cache too
		if err != nil {
			return result{}, err
		}
		want += n
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "run", "-once", "-config", "sightline.toml")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	elapsed := time.Since(start)
	data, err := os.ReadFile(filepath.Join(dir, "count"))
	if err != nil {
		return result{}, fmt.Errorf("the counting output wrote no count: %v\n%s", err, stderr.String())
	}
	got, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || got != want {
		return result{}, fmt.Errorf("the output counted %q messages, want %d\n%s", data, want, stderr.String())
	}
	// Queue bytes per message: the inputs' injected bytes from
	// plugins.tsv (the queue's segments are pruned as the output reads
	// them) plus the framing the queue adds to each record.
	qb, err := injectedBytes(filepath.Join(dir, "output", "plugins.tsv"))
	if err != nil {
		return result{}, err
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return result{lines: want, elapsed: elapsed, cpu: cpu, maxRSS: rss, queueBytes: qb}, nil
}

// countLines counts the lines of a file, reading it in small pieces: the
// bench process must stay small, because Linux reports a child's peak RSS
// as at least the peak RSS of the process that started it (the child
// shares its address space until exec), so a bench holding a whole log in
// memory would inflate every figure after it.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte("\n"))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
